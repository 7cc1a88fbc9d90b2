""" "You said, we did": replies to what children said, who gets them, and how they reacted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, ids_never_reused, when


class Reply(SQLModel, table=True):
    __tablename__ = "reply"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    created_by: int | None = Field(default=None, foreign_key="staff.id")
    # done / in_progress / cannot
    status: str = Field(max_length=12)
    # What it answers: {"answer_ids": [...], "question_ids": [...], "outcomes": [...]}
    links: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # feedback (the children whose feedback it answers) / group (chosen children)
    audience: str = Field(default="feedback", max_length=12)
    # The chosen children, for a group audience.
    child_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    send_at: datetime = Field(sa_type=UTCDateTime, index=True)
    # scheduled / queued / cancelled
    state: str = Field(default="scheduled", max_length=12, index=True)
    created_at: datetime = when()
    # When the audience was resolved and its messages put in the outbox.
    queued_at: datetime | None = when(nullable=True)
    cancelled_at: datetime | None = when(nullable=True)


class ReplyText(SQLModel, table=True):
    __tablename__ = "reply_text"

    reply_id: int = Field(foreign_key="reply.id", primary_key=True)
    locale: str = Field(max_length=12, primary_key=True)
    body: str = Field(sa_type=Text)
    why: str | None = Field(default=None, sa_type=Text)


class ReplyRecipient(SQLModel, table=True):
    __tablename__ = "reply_recipient"

    reply_id: int = Field(foreign_key="reply.id", primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", primary_key=True, index=True)
    outbox_id: int | None = Field(default=None, foreign_key="outbox_message.id")
    # thanks / not_really / more
    reaction: str | None = Field(default=None, max_length=12)
    reacted_at: datetime | None = when(nullable=True)
