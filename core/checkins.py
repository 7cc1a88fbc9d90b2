"""Check-ins: a worker asks to hear from a child; the child's rules decide when they are asked.

Statuses:
    waiting_for_trusted_adult  the worker must arrange it with the child's trusted adult first
    waiting_for_new_time       the child asked for another time; the worker picks one
    waiting_for_child          the heads-up is planned or out; the child has not answered it
    scheduled                  planned (the child said OK, or wants no heads-up)
    due                        the time has come; the child has been asked and not started yet
    started                    the child opened the conversation
    done / missed / cancelled  over (a repeating check-in then plans its next occurrence)

Every message is an outbox row written in the transaction of the change; each carries the
check-in's id (and the time it speaks of), so a renderer can tell when it has gone stale.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import audit, outbox
from core.checkin_plan import (
    MISSED_AFTER_REMINDER,
    REMINDER_AFTER,
    Plan,
    next_occurrence,
    plan,
    through_trusted_adult,
)
from core.checkin_plan import reminder_at as reminder_moment
from core.contact import first_allowed_moment
from core.models import (
    CheckIn,
    ConversationRun,
    OutboxMessage,
    Preferences,
    StaffNotice,
    TrustedContact,
    YoungPerson,
    utcnow,
)
from core.safeguarding import parse_office_hours

KINDS = ("heads_up", "check_in", "reminder", "change", "cancel")
STATUSES = (
    "waiting_for_trusted_adult",
    "waiting_for_new_time",
    "waiting_for_child",
    "scheduled",
    "due",
    "started",
    "done",
    "missed",
    "cancelled",
)
OVER = ("done", "missed", "cancelled")
# The heads-up can still be answered; the check-in message can still be started from.
ANSWERABLE = ("waiting_for_child", "scheduled")
STARTABLE = ("waiting_for_child", "scheduled", "due", "missed")
# Still ahead of the child, so a change can be announced.
CHANGEABLE = (
    "waiting_for_trusted_adult",
    "waiting_for_new_time",
    "waiting_for_child",
    "scheduled",
    "due",
)
HEADS_UP_ANSWERS = ("ok", "another_time", "ask_carer")


class CheckInError(ValueError):
    """A change that cannot be made as asked, with the reason to show."""


async def preferences(session: AsyncSession, child_id: int) -> Preferences:
    """The child's rules, or the defaults (not stored) for a child who has none yet."""
    return await session.get(Preferences, child_id) or Preferences(young_person_id=child_id)


async def schedule(
    session: AsyncSession,
    *,
    child: YoungPerson,
    worker_id: int | None,
    conversation_id: str,
    when: datetime,
    repeat_weeks: int | None,
    timezone: str,
    follows_id: int | None = None,
    office_hours: str | None = None,
) -> CheckIn:
    assert child.id is not None
    check_in = CheckIn(
        young_person_id=child.id,
        worker_id=worker_id,
        conversation_id=conversation_id,
        requested_for=when,
        planned_for=when,
        repeat_weeks=repeat_weeks,
        follows_id=follows_id,
    )
    session.add(check_in)
    await session.flush()
    prefs = await preferences(session, child.id)
    if prefs.contact_route == "trusted_adult":
        check_in.status = "waiting_for_trusted_adult"
        projected = projection(check_in, prefs, timezone=timezone, office_hours=office_hours)
        check_in.planned_for = projected.check_in_at
        await _notify_worker(
            session,
            check_in,
            "arrange_trusted_adult",
            reason="contact_route",
            moved_by=list(projected.moved_by),
        )
    else:
        _plan_messages(session, check_in, prefs, timezone)
    return check_in


def projection(
    check_in: CheckIn, prefs: Preferences, *, timezone: str, office_hours: str | None
) -> Plan:
    """For a check-in waiting for the trusted adult: the soonest it can really happen, if the
    worker arranges it at the first chance (office hours), and the rules that moved it."""
    return through_trusted_adult(
        prefs,
        requested_for=check_in.requested_for,
        now=utcnow(),
        timezone=timezone,
        office_hours=parse_office_hours(office_hours) if office_hours else None,
    )


def _plan_messages(
    session: AsyncSession, check_in: CheckIn, prefs: Preferences, timezone: str
) -> None:
    now = utcnow()
    planned = plan(prefs, requested_for=check_in.requested_for, now=now, timezone=timezone)
    check_in.planned_for = planned.check_in_at
    check_in.child_answer, check_in.reminders_sent, check_in.run_id = None, 0, None
    check_in.updated_at = now
    # Which rules moved it travels with its messages (the API shows it as `moved_by`).
    payload = _payload(check_in, moved_by=list(planned.moved_by))
    if planned.heads_up_at is not None:
        check_in.status = "waiting_for_child"
        _enqueue(session, check_in, "heads_up", planned.heads_up_at, payload)
    else:
        check_in.status = "scheduled"
    _enqueue(session, check_in, "check_in", planned.check_in_at, payload)


def _payload(check_in: CheckIn, **extra: Any) -> dict[str, Any]:
    return {"check_in_id": check_in.id, "planned_for": check_in.planned_for.isoformat(), **extra}


def _enqueue(
    session: AsyncSession, check_in: CheckIn, kind: str, due_at: datetime, payload: dict[str, Any]
) -> None:
    outbox.enqueue(
        session, young_person_id=check_in.young_person_id, kind=kind, due_at=due_at, payload=payload
    )


async def messages_of(session: AsyncSession, check_in: CheckIn) -> list[OutboxMessage]:
    """Every outbox row about this check-in, oldest due first."""
    about = OutboxMessage.payload["check_in_id"].as_integer()  # type: ignore[index]
    result = await session.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.young_person_id == check_in.young_person_id,
            col(OutboxMessage.kind).in_(KINDS),
            about == check_in.id,
        )
        .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
    )
    return list(result.all())


async def _cancel_rows(session: AsyncSession, check_in: CheckIn) -> None:
    """The old plan's messages that have not gone yet will not go."""
    ids = [m.id for m in await messages_of(session, check_in) if m.status == "pending"]
    if ids:
        await session.exec(
            update(OutboxMessage)  # type: ignore[call-overload]
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == "pending")
            .values(status="cancelled")
        )


async def _child_was_told(session: AsyncSession, check_in: CheckIn) -> bool:
    """Whether a message about this check-in has reached (or is reaching) the child."""
    return any(m.status in ("sent", "sending") for m in await messages_of(session, check_in))


async def trusted_adult_arranged(
    session: AsyncSession, *, check_in: CheckIn, staff_id: int, timezone: str
) -> None:
    """The worker has arranged it with the trusted adult: now the child's messages are planned."""
    if check_in.status != "waiting_for_trusted_adult":
        raise CheckInError("This check-in is not waiting for a trusted adult")
    _plan_messages(
        session, check_in, await preferences(session, check_in.young_person_id), timezone
    )
    _audit(session, check_in, staff_id, "check_in.trusted_adult_arranged")


async def move(
    session: AsyncSession,
    *,
    check_in: CheckIn,
    when: datetime,
    staff_id: int,
    timezone: str,
    repeat_weeks: int | object | None = ...,
    office_hours: str | None = None,
) -> None:
    """A new time. The old plan's messages are cancelled; a child who asked to be told before
    things change, and who already heard about it, is told now."""
    if check_in.status in (*OVER, "started"):
        raise CheckInError(f"This check-in is {check_in.status.replace('_', ' ')}: it cannot move")
    prefs = await preferences(session, check_in.young_person_id)
    told = await _child_was_told(session, check_in)
    await _cancel_rows(session, check_in)
    old = check_in.planned_for
    check_in.requested_for = when
    if repeat_weeks is not ...:
        check_in.repeat_weeks = repeat_weeks  # type: ignore[assignment]
    if check_in.status == "waiting_for_trusted_adult":
        projected = projection(check_in, prefs, timezone=timezone, office_hours=office_hours)
        check_in.planned_for, check_in.updated_at = projected.check_in_at, utcnow()
    else:
        _plan_messages(session, check_in, prefs, timezone)
    if told and prefs.tell_before_changes:
        now = utcnow()
        _enqueue(
            session,
            check_in,
            "change",
            first_allowed_moment(prefs, now, timezone=timezone),
            _payload(check_in, was=old.isoformat()),
        )
    _audit(session, check_in, staff_id, "check_in.move", was=old.isoformat())


async def cancel(session: AsyncSession, *, check_in: CheckIn, staff_id: int, timezone: str) -> None:
    if check_in.status in OVER:
        raise CheckInError(f"This check-in is already {check_in.status}")
    prefs = await preferences(session, check_in.young_person_id)
    told = await _child_was_told(session, check_in)
    await _cancel_rows(session, check_in)
    check_in.status, check_in.updated_at = "cancelled", utcnow()
    if told and prefs.tell_before_changes:
        moment = first_allowed_moment(prefs, utcnow(), timezone=timezone)
        _enqueue(session, check_in, "cancel", moment, _payload(check_in))
    _audit(session, check_in, staff_id, "check_in.cancel")


async def answer_heads_up(session: AsyncSession, *, check_in: CheckIn, value: str) -> bool:
    """The child's answer to the heads-up. False when it can no longer be answered."""
    if value not in HEADS_UP_ANSWERS or check_in.status not in ANSWERABLE:
        return False
    check_in.child_answer, check_in.updated_at = value, utcnow()
    if value == "ok":
        check_in.status = "scheduled"
    elif value == "another_time":
        check_in.status = "waiting_for_new_time"
        await _cancel_rows(session, check_in)
        await _notify_worker(session, check_in, "check_in_another_time")
    else:
        check_in.status = "waiting_for_trusted_adult"
        await _cancel_rows(session, check_in)
        await _notify_worker(session, check_in, "arrange_trusted_adult", reason="child_asked")
    _audit(session, check_in, None, "check_in.child_answer", answer=value)
    return True


def started(check_in: CheckIn, run: ConversationRun) -> None:
    check_in.status, check_in.run_id, check_in.updated_at = "started", run.id, utcnow()


async def run_closed(session: AsyncSession, run: ConversationRun, *, timezone: str) -> None:
    """A conversation run ended: the check-in it was opened for is done. A run left for another
    conversation is not: the check-in is due again, and the child can start it again."""
    result = await session.exec(
        select(CheckIn).where(CheckIn.run_id == run.id, CheckIn.status == "started")
    )
    check_in = result.first()
    if check_in is None:
        return
    if run.status == "left":
        check_in.status, check_in.updated_at = "due", utcnow()
        return
    await _over(session, check_in, "done", timezone)


async def _over(session: AsyncSession, check_in: CheckIn, status: str, timezone: str) -> None:
    check_in.status, check_in.updated_at = status, utcnow()
    _audit(session, check_in, None, f"check_in.{status}")
    if check_in.repeat_weeks:
        child = await session.get(YoungPerson, check_in.young_person_id)
        if child is None or child.paused:
            return
        await schedule(
            session,
            child=child,
            worker_id=check_in.worker_id,
            conversation_id=check_in.conversation_id,
            when=next_occurrence(
                check_in.requested_for, check_in.repeat_weeks, utcnow(), timezone=timezone
            ),
            repeat_weeks=check_in.repeat_weeks,
            timezone=timezone,
            follows_id=check_in.id,
        )


async def advance(session: AsyncSession, *, timezone: str, now: datetime | None = None) -> int:
    """The clock's part: check-ins whose time has come are due; one reminder a day later;
    missed a day after the reminder; runs that ended without the hook are caught up.
    Rows are locked (PostgreSQL skips those another process holds). Returns changes made.
    In the caller's transaction: the clock's job commits it (api.jobs)."""
    now = now or utcnow()
    changes = 0
    ended = select(ConversationRun.id).where(ConversationRun.status != "active")
    query = (
        select(CheckIn)
        .where(col(CheckIn.planned_for) <= now)
        .where(
            or_(
                col(CheckIn.status).in_(ANSWERABLE),
                (CheckIn.status == "due") & (col(CheckIn.planned_for) <= now - REMINDER_AFTER),
                (CheckIn.status == "started") & col(CheckIn.run_id).in_(ended),
            )
        )
        .order_by(col(CheckIn.planned_for))
        .limit(500)
        .with_for_update(skip_locked=True)
    )
    for check_in in (await session.exec(query)).all():
        changes += await _advance_one(session, check_in, now, timezone)
    return changes


async def _advance_one(session: AsyncSession, check_in: CheckIn, now: datetime, tz: str) -> int:
    if check_in.status in ANSWERABLE:
        check_in.status, check_in.updated_at = "due", now
        return 1
    if check_in.status == "started":
        run = await session.get(ConversationRun, check_in.run_id) if check_in.run_id else None
        if run is not None and run.status != "active":
            await run_closed(session, run, timezone=tz)
            return 1
        return 0
    # Due: the child has been asked and has not started.
    if check_in.reminders_sent == 0:
        if now < check_in.planned_for + REMINDER_AFTER:
            return 0
        prefs = await preferences(session, check_in.young_person_id)
        moment = reminder_moment(prefs, planned_for=check_in.planned_for, now=now, timezone=tz)
        _enqueue(session, check_in, "reminder", moment, _payload(check_in))
        check_in.reminders_sent, check_in.updated_at = 1, now
        return 1
    reminders = [m for m in await messages_of(session, check_in) if m.kind == "reminder"]
    last = max((m.due_at for m in reminders), default=check_in.planned_for + REMINDER_AFTER)
    if now >= last + MISSED_AFTER_REMINDER:
        await _over(session, check_in, "missed", tz)
        return 1
    return 0


async def _notify_worker(
    session: AsyncSession, check_in: CheckIn, kind: str, **detail: Any
) -> None:
    """Told to the child's worker (else whoever scheduled it)."""
    child = await session.get(YoungPerson, check_in.young_person_id)
    staff_id = (child.worker_id if child else None) or check_in.worker_id
    contacts = (
        await session.exec(
            select(TrustedContact).where(TrustedContact.young_person_id == check_in.young_person_id)
        )
    ).all()
    session.add(
        StaffNotice(
            staff_id=staff_id,
            young_person_id=check_in.young_person_id,
            kind=kind,
            detail={
                "check_in_id": check_in.id,
                "planned_for": check_in.planned_for.isoformat(),
                "trusted_adults": [
                    {"name": c.name, "relationship": c.relationship} for c in contacts
                ],
                **detail,
            },
        )
    )


def _audit(
    session: AsyncSession, check_in: CheckIn, staff_id: int | None, action: str, **detail: Any
) -> None:
    audit.record(
        session,
        staff_id=staff_id,
        action=action,
        young_person_id=check_in.young_person_id,
        subject=f"check_in:{check_in.id}",
        detail={"planned_for": check_in.planned_for.isoformat(), **detail},
    )
