"""Database tables. Minimum data: a child is a row id, a Telegram chat id and their choices."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Text, UniqueConstraint
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite hands back naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use UTC-aware datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def when(*, index: bool = False, nullable: bool = False) -> Any:
    """A UTC timestamp column, set to now by default unless nullable."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, index=index, nullable=True)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, index=index, nullable=False)


class YoungPerson(SQLModel, table=True):
    __tablename__ = "young_person"

    id: int | None = Field(default=None, primary_key=True)
    telegram_chat_id: int | None = Field(
        default=None, sa_type=BigInteger, unique=True, index=True, nullable=True
    )
    locale: str | None = Field(default=None, max_length=12)
    reading_mode: str = Field(default="standard", max_length=12)
    onboarded: bool = False
    paused: bool = False
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

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    name: str = Field(max_length=40)
    relationship: str | None = Field(default=None, max_length=24)
    created_at: datetime = when()


class ConversationRun(SQLModel, table=True):
    """One pass through a conversation; `state` is the engine's state, so it survives restarts."""

    __tablename__ = "conversation_run"

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
    __table_args__ = (UniqueConstraint("run_id", "question_id", name="uq_answer_run_question"),)

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
    text: str | None = Field(default=None, sa_type=Text)
    voice_file_id: str | None = Field(default=None, max_length=200)
    confirmed: bool = False
    answered_at: datetime = when(index=True)
    updated_at: datetime = when()


class CallbackRequest(SQLModel, table=True):
    """ "I want to talk to someone": a worker must make contact before `due_at`."""

    __tablename__ = "callback_request"

    id: int | None = Field(default=None, primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", index=True)
    run_id: int | None = Field(default=None, foreign_key="conversation_run.id")
    status: str = Field(default="open", max_length=12, index=True)
    created_at: datetime = when()
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a retried or doubled update runs once."""

    __tablename__ = "processed_update"

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    received_at: datetime = when(index=True)
