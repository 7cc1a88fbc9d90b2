"""Children on the books: a worker sees those allocated to them; admins see all and allocate."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.access import AdminDep, StaffDep, visible_child
from api.deps import SessionDep
from api.schemas import MAX_ID, Body, Id, Limit, Offset, problems
from core import web_chat
from core.audit import record
from core.models import Staff, YoungPerson

router = APIRouter(prefix="/children", tags=["children"])


class ChildOut(BaseModel):
    id: int
    display_name: str | None
    age_band: str | None
    worker_id: int | None
    channel: str
    locale: str | None
    linked: bool
    onboarded: bool
    paused: bool
    unreachable: bool
    created_at: datetime


def child_out(child: YoungPerson, *, in_web_chat: bool = False) -> ChildOut:
    """`in_web_chat`: the child has opened their web-chat link (see core.web_chat.opened)."""
    assert child.id is not None
    return ChildOut(
        id=child.id,
        display_name=child.display_name,
        age_band=child.age_band,
        worker_id=child.worker_id,
        channel=child.channel,
        locale=child.locale,
        linked=child.telegram_chat_id is not None or in_web_chat,
        onboarded=child.onboarded,
        paused=child.paused,
        unreachable=child.unreachable_at is not None,
        created_at=child.created_at,
    )


class Allocation(Body):
    worker_id: int | None = Field(ge=1, le=MAX_ID, examples=[3])


@router.get("", responses=problems(401))
async def list_children(
    caller: StaffDep,
    session: SessionDep,
    unallocated: bool = Query(
        default=False, description="Admins: only self-referrals waiting for a worker"
    ),
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ChildOut]:
    query = select(YoungPerson).order_by(col(YoungPerson.id))
    if not caller.is_admin:
        query = query.where(YoungPerson.worker_id == caller.id)
    elif unallocated:
        query = query.where(col(YoungPerson.worker_id).is_(None))
    children = (await session.exec(query.offset(offset).limit(limit))).all()
    opened = await web_chat.opened(session, [c.id for c in children if c.id is not None])
    return [child_out(c, in_web_chat=c.id in opened) for c in children]


@router.get("/{child_id}", responses=problems(401, 404))
async def get_child(child_id: Id, caller: StaffDep, session: SessionDep) -> ChildOut:
    child = await visible_child(session, caller, child_id)
    return child_out(child, in_web_chat=bool(await web_chat.opened(session, [child_id])))


@router.put("/{child_id}/worker", responses=problems(401, 403, 404, 409))
async def allocate(
    child_id: Id, body: Allocation, caller: AdminDep, session: SessionDep
) -> ChildOut:
    """Allocate a child to a worker (or `null` to unallocate)."""
    child = await visible_child(session, caller, child_id)
    if body.worker_id is not None:
        worker = await session.get(Staff, body.worker_id)
        if worker is None or not worker.active:
            raise HTTPException(409, "No active staff account with that id")
    child.worker_id = body.worker_id
    record(
        session,
        staff_id=caller.id,
        action="child.allocate",
        young_person_id=child_id,
        detail={"worker_id": body.worker_id},
    )
    await session.commit()
    return child_out(child, in_web_chat=bool(await web_chat.opened(session, [child_id])))
