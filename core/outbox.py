"""The outbox: every proactive message is a row, written in the transaction of the change
that caused it. Delivery (claiming, pacing, retrying) reads from here; see core/delivery.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import OutboxMessage, utcnow

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
