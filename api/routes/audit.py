"""The audit log, for admins: every read of a child's answers, every export, every change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from api.access import AdminDep
from api.deps import SessionDep
from api.schemas import Limit, Offset, OptionalId, problems
from core.models import AuditEntry

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditOut(BaseModel):
    id: int
    at: datetime
    staff_id: int | None
    action: str
    young_person_id: int | None
    subject: str | None
    reason: str | None
    detail: dict[str, Any]


@router.get("", responses=problems(401, 403))
async def read_audit_log(
    caller: AdminDep,
    session: SessionDep,
    child_id: OptionalId = None,
    staff_id: OptionalId = None,
    action: str | None = Query(default=None, max_length=40, examples=["export.create"]),
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[AuditOut]:
    """Newest first."""
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc())
    if child_id is not None:
        query = query.where(AuditEntry.young_person_id == child_id)
    if staff_id is not None:
        query = query.where(AuditEntry.staff_id == staff_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    result = await session.exec(query.offset(offset).limit(limit))
    return [AuditOut.model_validate(e, from_attributes=True) for e in result.all()]
