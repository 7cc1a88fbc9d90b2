"""The outbox: every proactive message is a row, written in the transaction of the change
that caused it. Delivery (claiming, pacing, retrying) reads from here; see core/delivery.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import OutboxMessage, YoungPerson, utcnow
from core.safeguarding import ROUTINE_KINDS, routine_paused

KINDS = ("heads_up", "check_in", "reminder", "change", "cancel", "reply")


def enqueue(
    session: AsyncSession,
    *,
    young_person_id: int,
    kind: str,
    due_at: datetime | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    """Added to the caller's session: it commits with the change, or not at all."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    message = OutboxMessage(
        young_person_id=young_person_id, kind=kind, payload=payload or {}, due_at=due_at or utcnow()
    )
    session.add(message)
    return message


async def cancel_pending(
    session: AsyncSession, *, young_person_id: int, kinds: tuple[str, ...] | None = None
) -> None:
    """Pending messages to a child that should no longer go (they left, blocked the bot...)."""
    query = update(OutboxMessage).where(
        col(OutboxMessage.young_person_id) == young_person_id,
        col(OutboxMessage.status) == "pending",
    )
    if kinds is not None:
        query = query.where(col(OutboxMessage.kind).in_(kinds))
    await session.exec(query.values(status="cancelled"))  # type: ignore[call-overload]


# -- whether a message may reach the child now ---------------------------------------------------


@dataclass(frozen=True)
class Hold:
    """Why a message may not go now. `status` is what the row becomes: "pending" waits and goes
    once the hold lifts (the child sends /start, a worker clears the alert), exactly as a row
    nobody had claimed yet would; "cancelled" never goes."""

    status: str
    reason: str


GONE = Hold("cancelled", "the child's data was deleted")
UNREACHABLE = Hold("cancelled", "the child cannot be reached")
STOPPED = Hold("pending", "held: the child paused all messages (/stop)")
ALERT = Hold("pending", "held: routine messages wait until a safeguarding alert is cleared")


async def hold(
    session: AsyncSession, child: YoungPerson | None, message: OutboxMessage
) -> Hold | None:
    """The one rule, for every channel and every moment a message is looked at (claimed, right
    before the Bot API call, shown in the web chat): None when it may reach the child now.
    Read from the database each time: a /stop or /delete can land at any moment in between."""
    if child is None or child.id is None:
        return GONE
    if child.unreachable_at is not None:
        return UNREACHABLE
    if child.paused:
        return STOPPED
    if message.kind in ROUTINE_KINDS and await routine_paused(session, child.id):
        return ALERT
    return None
