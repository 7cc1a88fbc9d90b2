"""The child's tables. Minimum data: a row id, a chat id, their choices and what they said."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.crypto import Sealed
from core.models.base import UTCDateTime, ids_never_reused, when


class YoungPerson(SQLModel, table=True):
    __tablename__ = "young_person"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    telegram_chat_id: int | None = Field(
        default=None, sa_type=BigInteger, unique=True, index=True, nullable=True
    )
    locale: str | None = Field(default=None, max_length=12)
    reading_mode: str = Field(default="standard", max_length=12)
    onboarded: bool = False
    paused: bool = False
    # Chosen by the worker at enrolment: a first name or initials, never a full name.
    display_name: str | None = Field(default=None, max_length=40)
    age_band: str | None = Field(default=None, max_length=8)
    # None: a self-referral waiting for an admin to allocate a worker.
    worker_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    channel: str = Field(default="telegram", max_length=12)
    # Set when Telegram refuses delivery (blocked, deactivated); cleared when they come back.
    unreachable_at: datetime | None = when(nullable=True)
    created_at: datetime = when()


class Preferences(SQLModel, table=True):
    """Contact rules in a shape a scheduler can read directly."""

    __tablename__ = "preferences"

    young_person_id: int = Field(foreign_key="young_person.id", primary_key=True)
    advance_notice_days: int = 1
    quiet_start: time | None = Field(default=time(21, 0), nullable=True)
    quiet_end: time | None = Field(default=time(8, 0), nullable=True)
    # Weekday numbers, Monday = 0.
    preferred_days: list[int] = Field(default_factory=lambda: list(range(7)), sa_type=JSON)
    # [[start_hour, end_hour], ...] in local time; end is exclusive.
    preferred_hours: list[list[int]] = Field(default_factory=lambda: [[9, 21]], sa_type=JSON)
    contact_route: str = Field(default="direct", max_length=16)
    tell_before_changes: bool = True
    updated_at: datetime = when()


class TrustedContact(SQLModel, table=True):
    """A trusted adult: a first name and a relationship, nothing that can reach them."""

    __tablename__ = "trusted_contact"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    name: str = Field(sa_type=Sealed)
    relationship: str | None = Field(default=None, max_length=24)
    created_at: datetime = when()


class ConversationRun(SQLModel, table=True):
    """One pass through a conversation; `state` is the engine's state, so it survives restarts."""

    __tablename__ = "conversation_run"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    conversation_id: str = Field(max_length=40)
    content_version: int
    locale: str = Field(max_length=12)
    status: str = Field(default="active", max_length=12, index=True)
    state: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    started_at: datetime = when()
    updated_at: datetime = when()
    finished_at: datetime | None = when(nullable=True)


class Answer(SQLModel, table=True):
    """One answer to one question in one run; changed in place when the child changes it."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("run_id", "question_id", name="uq_answer_run_question"),
        ids_never_reused(),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="conversation_run.id", index=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    conversation_id: str = Field(max_length=40, index=True)
    question_id: str = Field(max_length=40)
    area: str | None = Field(default=None, max_length=20, index=True)
    content_version: int
    locale: str = Field(max_length=12)
    # answered / skipped / rather_not_say
    status: str = Field(max_length=16)
    value: str | None = Field(default=None, max_length=40)
    score: int | None = None
    text: str | None = Field(default=None, sa_type=Sealed)
    voice_file_id: str | None = Field(default=None, sa_type=Sealed)
    confirmed: bool = False
    answered_at: datetime = when(index=True)
    updated_at: datetime = when()


class CallbackRequest(SQLModel, table=True):
    """ "I want to talk to someone": a worker must make contact before `due_at`."""

    __tablename__ = "callback_request"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="conversation_run.id")
    status: str = Field(default="open", max_length=12, index=True)
    created_at: datetime = when()
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = when(nullable=True)
    closed_by: int | None = Field(default=None, foreign_key="staff.id")
    # When admins were told it is overdue, so they are told once.
    overdue_notified_at: datetime | None = when(nullable=True)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a retried or doubled update runs once."""

    __tablename__ = "processed_update"

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    received_at: datetime = when(index=True)
