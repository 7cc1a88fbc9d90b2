"""Staff, their sign-in tokens, what they are told, and the audit log of what they did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from core.models.base import UTCDateTime, ids_never_reused, when


class Staff(SQLModel, table=True):
    __tablename__ = "staff"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=80)
    # admin / worker
    role: str = Field(max_length=12)
    password_hash: str = Field(max_length=200)
    active: bool = True
    created_at: datetime = when()


class StaffToken(SQLModel, table=True):
    """A short-lived bearer token; only its SHA-256 is stored, so a database dump signs no one in."""

    __tablename__ = "staff_token"

    token_hash: str = Field(max_length=64, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    created_at: datetime = when()
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class StaffNotice(SQLModel, table=True):
    """Something a worker must act on: arrange a trusted adult, a child who cannot be reached."""

    __tablename__ = "staff_notice"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    young_person_id: int | None = Field(default=None, foreign_key="young_person.id", index=True)
    kind: str = Field(max_length=32)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = when(index=True)
    read_at: datetime | None = when(nullable=True)


class AuditEntry(SQLModel, table=True):
    """Append-only: the code only ever inserts here."""

    __tablename__ = "audit_entry"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = when(index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    # e.g. answers.read, export.create, check_in.create, staff.deactivate
    action: str = Field(max_length=40, index=True)
    young_person_id: int | None = Field(default=None, index=True)
    subject: str | None = Field(default=None, max_length=80)
    reason: str | None = Field(default=None, sa_type=Text)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
