"""The audit log: who read, exported or changed what about a child, and when. Insert only."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import AuditEntry


def record(
    session: AsyncSession,
    *,
    staff_id: int | None,
    action: str,
    young_person_id: int | None = None,
    subject: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Added to the caller's transaction, so the entry exists exactly when the change does."""
    session.add(
        AuditEntry(
            staff_id=staff_id,
            action=action,
            young_person_id=young_person_id,
            subject=subject,
            reason=reason,
            detail=detail or {},
        )
    )
