"""Exports that run in the background, with progress, and a file to download when done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from core.models.base import ids_never_reused, when


class ExportJob(SQLModel, table=True):
    __tablename__ = "export_job"
    __table_args__ = ids_never_reused()

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    # answers (one row per answer) / aggregates (counts per outcome statement)
    kind: str = Field(default="answers", max_length=12)
    # csv / xlsx / jsonl
    format: str = Field(max_length=8)
    filters: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    include_text: bool = False
    reason: str = Field(sa_type=Text)
    # queued / running / done / failed / expired / withdrawn (core/export_access.py)
    status: str = Field(default="queued", max_length=12, index=True)
    rows_done: int = 0
    rows_total: int | None = None
    path: str | None = Field(default=None, max_length=400)
    error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = when()
    # Touched with every batch written; a running job that stops beating was lost in a
    # restart and is queued again.
    heartbeat_at: datetime | None = when(nullable=True)
    finished_at: datetime | None = when(nullable=True)


class ExportChild(SQLModel, table=True):
    """A child whose rows are in an export's file, written when the file is: erasure finds
    every file to withdraw here, and a worker's download is checked against each of them."""

    __tablename__ = "export_child"

    export_job_id: int = Field(foreign_key="export_job.id", primary_key=True)
    young_person_id: int = Field(foreign_key="young_person.id", primary_key=True, index=True)
