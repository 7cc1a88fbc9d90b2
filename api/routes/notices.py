"""What staff are told to act on: arrange a trusted adult, pick a new time, an overdue call-back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from api.access import StaffDep
from api.deps import SessionDep
from api.schemas import Id, Limit, Offset, problems
from core.models import StaffNotice, utcnow

router = APIRouter(prefix="/notices", tags=["notices"])


class NoticeOut(BaseModel):
    id: int
    kind: str = Field(examples=["arrange_trusted_adult"])
    child_id: int | None
    detail: dict[str, Any]
    created_at: datetime
    read_at: datetime | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 9,
                    "kind": "arrange_trusted_adult",
                    "child_id": 7,
                    "detail": {
                        "check_in_id": 12,
                        "planned_for": "2026-12-03T16:00:00Z",
                        "trusted_adults": [{"name": "Jo", "relationship": "foster carer"}],
                        "reason": "contact_route",
                    },
                    "created_at": "2026-11-30T10:00:00Z",
                    "read_at": None,
                }
            ]
        }
    )


def _out(notice: StaffNotice) -> NoticeOut:
    assert notice.id is not None
    return NoticeOut(
        id=notice.id,
        kind=notice.kind,
        child_id=notice.young_person_id,
        detail=notice.detail,
        created_at=notice.created_at,
        read_at=notice.read_at,
    )


@router.get("", responses=problems(401))
async def list_notices(
    caller: StaffDep,
    session: SessionDep,
    unread: bool = Query(default=False, description="Only those not yet marked read"),
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[NoticeOut]:
    """The caller's own notices, newest first."""
    query = select(StaffNotice).where(StaffNotice.staff_id == caller.id)
    if unread:
        query = query.where(col(StaffNotice.read_at).is_(None))
    query = query.order_by(col(StaffNotice.id).desc()).offset(offset).limit(limit)
    return [_out(n) for n in (await session.exec(query)).all()]


@router.post("/{notice_id}/read", responses=problems(401, 404))
async def mark_read(notice_id: Id, caller: StaffDep, session: SessionDep) -> NoticeOut:
    notice = await session.get(StaffNotice, notice_id)
    if notice is None or notice.staff_id != caller.id:
        raise HTTPException(404, "No such notice")
    if notice.read_at is None:
        notice.read_at = utcnow()
        await session.commit()
    return _out(notice)
