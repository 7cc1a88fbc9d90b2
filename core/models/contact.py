"""Reaching a child: enrolment links, check-ins, and the outbox every proactive message goes through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Text
from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, ids_never_reused, when


class EnrolmentToken(SQLModel, table=True):
    """Single-use and expiring. Only its SHA-256 is stored; the link itself is shown once."""

    __tablename__ = "enrolment_token"

    token_hash: str = Field(max_length=64, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    channel: str = Field(default="telegram", max_length=12)
    created_at: datetime = when()
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = when(nullable=True)


class CheckIn(SQLModel, table=True):
    __tablename__ = "check_in"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    worker_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    conversation_id: str = Field(max_length=40)
    # What the worker asked for, and when it will really happen once the child's rules apply.
    requested_for: datetime = Field(sa_type=UTCDateTime)
    planned_for: datetime = Field(sa_type=UTCDateTime, index=True)
    repeat_weeks: int | None = None
    # waiting_for_trusted_adult / waiting_for_new_time / waiting_for_child / scheduled / due /
    # started / done / missed / cancelled (see core/checkins.py)
    status: str = Field(default="scheduled", max_length=28, index=True)
    # ok / another_time / ask_carer: the child's answer to the heads-up
    child_answer: str | None = Field(default=None, max_length=16)
    reminders_sent: int = 0
    run_id: int | None = Field(default=None, foreign_key="conversation_run.id")
    # A repeating check-in: the occurrence this one follows.
    follows_id: int | None = Field(default=None, foreign_key="check_in.id")
    created_at: datetime = when()
    updated_at: datetime = when()


class OutboxMessage(SQLModel, table=True):
    """One proactive message, written in the transaction of the change that caused it.
    It is rendered when sent, so it is in the child's language of that moment."""

    __tablename__ = "outbox_message"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    # heads_up / check_in / reminder / change / cancel / reply
    kind: str = Field(max_length=20)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # pending / sending / sent / dead / cancelled
    status: str = Field(default="pending", max_length=12, index=True)
    attempts: int = 0
    # Telegram messages of this one already sent (a long text goes in pieces): a retry goes on
    # from the next piece instead of repeating the first.
    parts_sent: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = when(nullable=True)
    sent_at: datetime | None = when(nullable=True)
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = when()
