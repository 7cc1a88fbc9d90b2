"""A child's data rights, for admins: a subject-access copy of everything, and erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.access import AdminDep, visible_child
from api.deps import SessionDep
from api.schemas import Body, Id, problems
from core import data_rights
from core.audit import record
from core.models import utcnow

router = APIRouter(prefix="/children", tags=["data rights"])


class SubjectAccess(BaseModel):
    child_id: int
    generated_at: datetime
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="Every table that can hold something about a child, each with this "
        "child's rows (children's words decrypted); an empty list where there is none"
    )


class Erasure(Body):
    reason: str = Field(
        min_length=3, max_length=500, examples=["The young person asked us to delete their data"]
    )


class Erased(BaseModel):
    erased: dict[str, int] = Field(description="Rows erased, by table")
    kept: dict[str, int] = Field(
        description="Rows kept under a safeguarding hold, by table (alerts and their steps, "
        "and the child's record with only what staff need to follow them up)"
    )


@router.get("/{child_id}/subject-access", responses=problems(401, 403, 404))
async def subject_access(child_id: Id, caller: AdminDep, session: SessionDep) -> SubjectAccess:
    """Everything held about one child, from every table, including the audit entries about
    them. The request itself is audited."""
    await visible_child(session, caller, child_id)
    tables = await data_rights.subject_access(session, child_id)
    record(session, staff_id=caller.id, action="child.subject_access", young_person_id=child_id)
    await session.commit()
    return SubjectAccess(child_id=child_id, generated_at=utcnow(), tables=tables)


@router.post("/{child_id}/erase", responses=problems(401, 403, 404))
async def erase(child_id: Id, body: Erasure, caller: AdminDep, session: SessionDep) -> Erased:
    """Erase everything about a child across every table, except what a safeguarding hold
    keeps. The audit entries about the child go too; one entry records the erasure itself,
    who did it and why, with counts only."""
    await visible_child(session, caller, child_id)
    erased, kept = await data_rights.erase(session, child_id)
    record(
        session,
        staff_id=caller.id,
        action="child.erase",
        reason=body.reason,
        detail={"child": child_id, "erased": erased, "kept": kept},
    )
    await session.commit()
    return Erased(erased=erased, kept=kept)
