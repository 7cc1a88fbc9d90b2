"""The outbox (admins only): how many messages are in each state, the dead letters, and sending
a dead letter again once what stopped it is fixed."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func
from sqlmodel import col, select

from api.access import AdminDep
from api.deps import SessionDep
from api.schemas import Id, Limit, Offset, problems
from core.audit import record
from core.models import OutboxMessage, utcnow

router = APIRouter(prefix="/outbox", tags=["outbox"])

Status = Literal["pending", "sending", "sent", "dead", "cancelled"]


class OutboxCounts(BaseModel):
    """How many proactive messages are in each state."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"pending": 12, "sending": 1, "sent": 340, "dead": 2, "cancelled": 5}]
        }
    )

    pending: int = Field(ge=0)
    sending: int = Field(ge=0)
    sent: int = Field(ge=0)
    dead: int = Field(ge=0)
    cancelled: int = Field(ge=0)


class OutboxMessageOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "young_person_id": 7,
                    "kind": "reply",
                    "status": "dead",
                    "attempts": 10,
                    "last_error": "Telegram: Bad Gateway",
                    "due_at": "2026-12-01T18:00:00Z",
                    "sent_at": None,
                    "created_at": "2026-12-01T17:59:00Z",
                }
            ]
        },
    )

    id: int
    young_person_id: int
    kind: str
    status: Status
    attempts: int
    last_error: str | None
    due_at: datetime
    sent_at: datetime | None
    created_at: datetime


@router.get("/counts", responses=problems(401, 403))
async def outbox_counts(caller: AdminDep, session: SessionDep) -> OutboxCounts:
    """Messages waiting, on their way, sent, dead (given up on) and cancelled."""
    query = select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    found = {status: count for status, count in (await session.exec(query)).all()}
    return OutboxCounts(**{status: found.get(status, 0) for status in OutboxCounts.model_fields})


@router.get("/dead", responses=problems(401, 403))
async def dead_letters(
    caller: AdminDep, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> list[OutboxMessageOut]:
    """Messages given up on after too many failures, or refused by Telegram, newest first,
    with the last error. Fix the cause, then requeue them."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == "dead")
        .order_by(col(OutboxMessage.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return [OutboxMessageOut.model_validate(m) for m in (await session.exec(query)).all()]


@router.post("/{message_id}/requeue", responses=problems(401, 403, 404, 409))
async def requeue(message_id: Id, caller: AdminDep, session: SessionDep) -> OutboxMessageOut:
    """Send a dead letter again, now, with a fresh count of attempts."""
    message = await session.get(OutboxMessage, message_id)
    if message is None:
        raise HTTPException(404, "No such outbox message")
    if message.status != "dead":
        raise HTTPException(
            409, f"Only dead messages can be requeued; this one is {message.status}"
        )
    message.status, message.attempts, message.due_at = "pending", 0, utcnow()
    message.claimed_by = message.claimed_at = None
    record(
        session,
        staff_id=caller.id,
        action="outbox.requeue",
        young_person_id=message.young_person_id,
        subject=f"outbox:{message_id}",
        detail={"last_error": (message.last_error or "")[:500]},
    )
    await session.commit()
    return OutboxMessageOut.model_validate(message)
