"""The call-back queue: children who asked to talk to someone, oldest deadline first."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from api.access import Caller, StaffDep
from api.deps import SessionDep
from api.schemas import Id, Limit, Offset, OptionalId, problems
from core.callbacks_queue import CallbackError, close, is_overdue
from core.models import CallbackRequest, YoungPerson, utcnow

router = APIRouter(prefix="/callbacks", tags=["call-backs"])

NOT_FOUND = "No such call-back request"


class CallbackOut(BaseModel):
    id: int
    child_id: int
    display_name: str | None
    worker_id: int | None
    status: Literal["open", "closed"]
    created_at: datetime
    due_at: datetime = Field(description="Contact must be made by then (the 24-hour promise)")
    overdue: bool = Field(description="Still open after its deadline")
    closed_at: datetime | None
    closed_by: int | None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 4,
                    "child_id": 7,
                    "display_name": "AB",
                    "worker_id": 3,
                    "status": "open",
                    "created_at": "2026-12-01T09:30:00Z",
                    "due_at": "2026-12-02T09:30:00Z",
                    "overdue": False,
                    "closed_at": None,
                    "closed_by": None,
                }
            ]
        }
    )


def _out(request: CallbackRequest, child: YoungPerson, now: datetime) -> CallbackOut:
    assert request.id is not None
    return CallbackOut(
        id=request.id,
        child_id=request.young_person_id,
        display_name=child.display_name,
        worker_id=child.worker_id,
        status=request.status,  # type: ignore[arg-type]
        created_at=request.created_at,
        due_at=request.due_at,
        overdue=is_overdue(request, now),
        closed_at=request.closed_at,
        closed_by=request.closed_by,
    )


def _visible(caller: Caller) -> Select[tuple[CallbackRequest, YoungPerson]]:
    query = select(CallbackRequest, YoungPerson).join(
        YoungPerson, col(YoungPerson.id) == CallbackRequest.young_person_id
    )
    return query if caller.is_admin else query.where(YoungPerson.worker_id == caller.id)


@router.get("", responses=problems(401))
async def list_callbacks(
    caller: StaffDep,
    session: SessionDep,
    status: Literal["open", "closed", "all"] = Query(default="open"),
    overdue: bool = Query(default=False, description="Only open requests past their deadline"),
    child_id: OptionalId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[CallbackOut]:
    """The caller's queue (admins: everyone's, including children not yet allocated), the
    deadline soonest first."""
    now = utcnow()
    query = _visible(caller)
    if overdue:
        query = query.where(CallbackRequest.status == "open", col(CallbackRequest.due_at) <= now)
    elif status != "all":
        query = query.where(CallbackRequest.status == status)
    if child_id is not None:
        query = query.where(CallbackRequest.young_person_id == child_id)
    query = query.order_by(col(CallbackRequest.due_at), col(CallbackRequest.id))
    rows = (await session.exec(query.offset(offset).limit(limit))).all()
    return [_out(request, child, now) for request, child in rows]


async def _find(
    session: AsyncSession, caller: Caller, callback_id: int
) -> tuple[CallbackRequest, YoungPerson]:
    row = (await session.exec(_visible(caller).where(CallbackRequest.id == callback_id))).first()
    if row is None:
        raise HTTPException(404, NOT_FOUND)
    return row[0], row[1]


@router.get("/{callback_id}", responses=problems(401, 404))
async def get_callback(callback_id: Id, caller: StaffDep, session: SessionDep) -> CallbackOut:
    request, child = await _find(session, caller, callback_id)
    return _out(request, child, utcnow())


@router.post("/{callback_id}/close", responses=problems(401, 404, 409))
async def close_callback(callback_id: Id, caller: StaffDep, session: SessionDep) -> CallbackOut:
    """Contact has been made: the request leaves the open queue."""
    request, child = await _find(session, caller, callback_id)
    try:
        await close(session, request=request, staff_id=caller.id)
    except CallbackError as error:
        raise HTTPException(409, str(error)) from None
    await session.commit()
    return _out(request, child, utcnow())
