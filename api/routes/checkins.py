"""Check-ins: a worker asks to hear from a child; the child's contact rules decide when."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from api.access import Caller, StaffDep, visible_child
from api.deps import RuntimeDep, SessionDep
from api.schemas import MAX_ID, Body, Id, IsoOnly, Limit, Offset, OptionalId, problems
from core import checkins, web_chat
from core.audit import record
from core.checkins import CheckInError
from core.config import Settings
from core.content import Library
from core.models import CheckIn, OutboxMessage, YoungPerson, utcnow

router = APIRouter(prefix="/check-ins", tags=["check-ins"])

Status = Literal[checkins.STATUSES]  # type: ignore[valid-type]
MovedBy = Literal["notice", "quiet_hours", "best_times", "trusted_adult", "office_hours"]
NOT_FOUND = "No such check-in"
WHEN = "2026-12-03T16:00:00Z"
FURTHEST = timedelta(days=366)


When = Annotated[
    AwareDatetime,
    IsoOnly,
    Field(description="With a timezone, e.g. Z for UTC; within a year", examples=[WHEN]),
]


class PlannedMessage(BaseModel):
    """One message of the plan, as the outbox holds it."""

    kind: Literal["heads_up", "check_in", "reminder", "change", "cancel"]
    due_at: datetime
    status: str
    unread: bool = Field(
        default=False,
        description="A web-chat child: it waits in their chat and they have not opened it yet",
    )


class CheckInOut(BaseModel):
    id: int
    child_id: int
    worker_id: int | None
    conversation_id: str
    requested_for: datetime = Field(description="The time the worker asked for (UTC)")
    planned_for: datetime = Field(
        description="When it really happens, once the child's notice and times apply (UTC). "
        "Waiting for the trusted adult: the soonest it can be if the worker arranges it at "
        "the next chance (in office hours)"
    )
    moved_by: list[MovedBy] = Field(
        description="Each rule that makes it later than asked: the child's advance `notice`, "
        "their `quiet_hours`, their `best_times` (days and times), the `trusted_adult` to "
        "arrange it with first, and `office_hours` (when the worker can arrange it)"
    )
    repeat_weeks: int | None
    status: Status
    child_answer: Literal["ok", "another_time", "ask_carer"] | None = Field(
        description="The child's answer to the heads-up"
    )
    reminders_sent: int
    run_id: int | None = Field(description="The conversation the child opened for it")
    follows_id: int | None = Field(description="A repeat: the check-in this one follows")
    messages: list[PlannedMessage]
    created_at: datetime
    updated_at: datetime

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    "child_id": 7,
                    "worker_id": 3,
                    "conversation_id": "hows_life",
                    "requested_for": WHEN,
                    "planned_for": WHEN,
                    "moved_by": [],
                    "repeat_weeks": 2,
                    "status": "waiting_for_child",
                    "child_answer": None,
                    "reminders_sent": 0,
                    "run_id": None,
                    "follows_id": None,
                    "messages": [
                        {"kind": "heads_up", "due_at": "2026-12-02T16:00:00Z", "status": "pending"},
                        {"kind": "check_in", "due_at": WHEN, "status": "pending"},
                    ],
                    "created_at": "2026-11-30T10:00:00Z",
                    "updated_at": "2026-11-30T10:00:00Z",
                }
            ]
        }
    )


class CheckInIn(Body):
    child_id: int = Field(ge=1, le=MAX_ID, examples=[7])
    conversation_id: str = Field(min_length=1, max_length=40, examples=["hows_life"])
    when: When
    repeat_weeks: int | None = Field(default=None, ge=1, le=52, examples=[2])


class CheckInChange(Body):
    """A new time; `repeat_weeks` only changes when it is sent (null stops repeating)."""

    when: When
    repeat_weeks: int | None = Field(default=None, ge=1, le=52, examples=[2])


async def _out(session: AsyncSession, check_in: CheckIn, settings: Settings) -> CheckInOut:
    assert check_in.id is not None
    child = await session.get(YoungPerson, check_in.young_person_id)
    rows = await checkins.messages_of(session, check_in)
    messages = [
        PlannedMessage(
            kind=m.kind,  # type: ignore[arg-type]
            due_at=m.due_at,
            status=m.status,
            unread=child is not None and web_chat.unread(child, m),
        )
        for m in rows
    ]
    planned_for, moved_by = check_in.planned_for, _moved_by(rows, check_in)
    if check_in.status == "waiting_for_trusted_adult":  # the soonest it can be, as of now
        projected = checkins.projection(
            check_in,
            await checkins.preferences(session, check_in.young_person_id),
            timezone=settings.timezone,
            office_hours=settings.office_hours,
        )
        planned_for, moved_by = projected.check_in_at, list(projected.moved_by)
    return CheckInOut(
        id=check_in.id,
        child_id=check_in.young_person_id,
        worker_id=check_in.worker_id,
        conversation_id=check_in.conversation_id,
        requested_for=check_in.requested_for,
        planned_for=planned_for,
        moved_by=moved_by,  # type: ignore[arg-type]
        repeat_weeks=check_in.repeat_weeks,
        status=check_in.status,  # type: ignore[arg-type]
        child_answer=check_in.child_answer,  # type: ignore[arg-type]
        reminders_sent=check_in.reminders_sent,
        run_id=check_in.run_id,
        follows_id=check_in.follows_id,
        messages=messages,
        created_at=check_in.created_at,
        updated_at=check_in.updated_at,
    )


def _moved_by(rows: list[OutboxMessage], check_in: CheckIn) -> list[str]:
    """As planned: the rules its check-in message was planned under (the newest plan's)."""
    planned = [m for m in rows if m.kind == "check_in"]
    if not planned:
        return []
    return list(max(planned, key=lambda m: m.id or 0).payload.get("moved_by", []))


def _visible(caller: Caller) -> SelectOfScalar[CheckIn]:
    """Check-ins of children this caller may see (allocation decides, as for the child)."""
    query = select(CheckIn).join(YoungPerson, col(YoungPerson.id) == CheckIn.young_person_id)
    return query if caller.is_admin else query.where(YoungPerson.worker_id == caller.id)


async def _find(session: AsyncSession, caller: Caller, check_in_id: int) -> CheckIn:
    query = _visible(caller).where(CheckIn.id == check_in_id)
    check_in = (await session.exec(query)).first()
    if check_in is None:
        raise HTTPException(404, NOT_FOUND)
    return check_in


def _conversation(library: Library, conversation_id: str) -> None:
    conversation = library.get(conversation_id)
    if conversation is None or conversation.kind == "onboarding":
        names = ", ".join(c.id for c in library.conversations.values() if c.kind == "feedback")
        raise HTTPException(404, f"No conversation {conversation_id!r}; choose one of: {names}")


async def _apply(
    session: AsyncSession, check_in: CheckIn, change: Awaitable[object], settings: Settings
) -> CheckInOut:
    """Make a change to a check-in; one its state forbids is a 409 with the reason."""
    try:
        await change
    except CheckInError as error:
        raise HTTPException(409, str(error)) from None
    await session.commit()
    return await _out(session, check_in, settings)


def _future(when: datetime) -> datetime:
    """The time in UTC. One that has passed (or is too far off) clashes with now: 409, like
    other clashes (it is a valid time, just not one that can be used now)."""
    now = utcnow()
    try:
        when = when.astimezone(UTC)
    except OverflowError:  # the first or last moments a datetime can hold, with an offset
        when = now if when.year < 2000 else now + 2 * FURTHEST
    if when <= now:
        raise HTTPException(409, "Pick a time in the future")
    if when > now + FURTHEST:
        raise HTTPException(409, "Pick a time within a year from now")
    return when


@router.post("", status_code=201, responses=problems(401, 404, 409))
async def schedule_check_in(
    body: CheckInIn, caller: StaffDep, session: SessionDep, runtime: RuntimeDep
) -> CheckInOut:
    """Plan a check-in. The heads-up comes at the child's advance notice, nothing in their quiet
    hours, only on their days and times; a child who wants contact through a trusted adult
    first waits (`waiting_for_trusted_adult`) until the worker confirms it is arranged."""
    child = await visible_child(session, caller, body.child_id)
    _conversation(runtime.services.library, body.conversation_id)
    when = _future(body.when)
    if child.paused:
        raise HTTPException(409, "This young person has paused all messages (/stop)")
    check_in = await checkins.schedule(
        session,
        child=child,
        worker_id=child.worker_id or caller.id,
        conversation_id=body.conversation_id,
        when=when,
        repeat_weeks=body.repeat_weeks,
        timezone=runtime.settings.timezone,
        office_hours=runtime.settings.office_hours,
    )
    record(
        session,
        staff_id=caller.id,
        action="check_in.create",
        young_person_id=child.id,
        subject=f"check_in:{check_in.id}",
        detail={"planned_for": check_in.planned_for.isoformat(), "status": check_in.status},
    )
    await session.commit()
    return await _out(session, check_in, runtime.settings)


@router.get("", responses=problems(401))
async def list_check_ins(
    caller: StaffDep,
    session: SessionDep,
    runtime: RuntimeDep,
    status: Annotated[Status | None, Query(description="Only check-ins in this state")] = None,
    child_id: OptionalId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[CheckInOut]:
    """The caller's check-ins (admins: everyone's), soonest first."""
    query = _visible(caller)
    if status is not None:
        query = query.where(CheckIn.status == status)
    if child_id is not None:
        query = query.where(CheckIn.young_person_id == child_id)
    query = query.order_by(col(CheckIn.planned_for), col(CheckIn.id))
    result = await session.exec(query.offset(offset).limit(limit))
    return [await _out(session, c, runtime.settings) for c in result.all()]


@router.get("/{check_in_id}", responses=problems(401, 404))
async def get_check_in(
    check_in_id: Id, caller: StaffDep, session: SessionDep, runtime: RuntimeDep
) -> CheckInOut:
    return await _out(session, await _find(session, caller, check_in_id), runtime.settings)


@router.patch("/{check_in_id}", responses=problems(401, 404, 409))
async def move_check_in(
    check_in_id: Id,
    body: CheckInChange,
    caller: StaffDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> CheckInOut:
    """A new time (also the answer to a child who asked for another time). The old plan's
    messages are cancelled; a child who asked to be told before things change, and had heard
    about it, is told of the new time first."""
    check_in = await _find(session, caller, check_in_id)
    when = _future(body.when)
    repeat = body.repeat_weeks if "repeat_weeks" in body.model_fields_set else ...
    change = checkins.move(
        session,
        check_in=check_in,
        when=when,
        staff_id=caller.id,
        timezone=runtime.settings.timezone,
        repeat_weeks=repeat,
        office_hours=runtime.settings.office_hours,
    )
    return await _apply(session, check_in, change, runtime.settings)


@router.post("/{check_in_id}/cancel", responses=problems(401, 404, 409))
async def cancel_check_in(
    check_in_id: Id, caller: StaffDep, session: SessionDep, runtime: RuntimeDep
) -> CheckInOut:
    """Cancel it (and any repeats). A child who asked to be told before things change, and
    had heard about it, is told."""
    check_in = await _find(session, caller, check_in_id)
    change = checkins.cancel(
        session, check_in=check_in, staff_id=caller.id, timezone=runtime.settings.timezone
    )
    return await _apply(session, check_in, change, runtime.settings)


@router.post("/{check_in_id}/trusted-adult-arranged", responses=problems(401, 404, 409))
async def confirm_trusted_adult(
    check_in_id: Id, caller: StaffDep, session: SessionDep, runtime: RuntimeDep
) -> CheckInOut:
    """The worker has spoken to the child's trusted adult: the child's messages are planned."""
    check_in = await _find(session, caller, check_in_id)
    change = checkins.trusted_adult_arranged(
        session, check_in=check_in, staff_id=caller.id, timezone=runtime.settings.timezone
    )
    return await _apply(session, check_in, change, runtime.settings)
