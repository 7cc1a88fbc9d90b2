"""Call-back requests ("I want to talk to someone") as a worker's queue, with the promise's
deadline; an open request past its deadline is flagged to every admin, once."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import audit
from core.models import CallbackRequest, Staff, StaffNotice, YoungPerson, utcnow

OVERDUE_KIND = "callback_overdue"


class CallbackError(ValueError):
    """A change that cannot be made as asked, with the reason to show."""


def is_overdue(request: CallbackRequest, now: datetime | None = None) -> bool:
    return request.status == "open" and request.due_at <= (now or utcnow())


async def close(session: AsyncSession, *, request: CallbackRequest, staff_id: int) -> None:
    """Someone has made contact."""
    if request.status != "open":
        raise CallbackError("This call-back request is already closed")
    request.status, request.closed_at, request.closed_by = "closed", utcnow(), staff_id
    audit.record(
        session,
        staff_id=staff_id,
        action="callback.close",
        young_person_id=request.young_person_id,
        subject=f"callback:{request.id}",
        detail={"overdue": request.closed_at > request.due_at},
    )


async def flag_overdue(session: AsyncSession, *, now: datetime | None = None) -> int:
    """A notice to every active admin for each open request past its deadline, once each.
    Rows are locked (PostgreSQL skips those another process holds), so two processes never
    flag the same request twice. Returns how many requests were flagged. In the caller's
    transaction: the clock's job commits it (api.jobs)."""
    now = now or utcnow()
    overdue = (
        await session.exec(
            select(CallbackRequest)
            .where(
                CallbackRequest.status == "open",
                col(CallbackRequest.due_at) <= now,
                col(CallbackRequest.overdue_notified_at).is_(None),
            )
            .order_by(col(CallbackRequest.due_at))
            .limit(500)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not overdue:
        return 0
    admins = (
        await session.exec(select(Staff.id).where(Staff.role == "admin", col(Staff.active)))
    ).all()
    for request in overdue:
        child = await session.get(YoungPerson, request.young_person_id)
        for admin_id in admins:
            session.add(
                StaffNotice(
                    staff_id=admin_id,
                    young_person_id=request.young_person_id,
                    kind=OVERDUE_KIND,
                    detail={
                        "callback_id": request.id,
                        "due_at": request.due_at.isoformat(),
                        "worker_id": child.worker_id if child else None,
                    },
                )
            )
        request.overdue_notified_at = now
    return len(overdue)
