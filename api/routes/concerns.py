"""Concerns: the check tier of screening. Words that might be something; the child was asked
gently and given a helpline, and nobody was paged. Staff review them here: a worker sees their
children's, admins see all; unreviewed first. Marking one real raises an alert."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.access import AdminDep, Caller, StaffDep
from api.deps import SessionDep
from api.schemas import Body, Id, Limit, Offset, OptionalId, problems
from core import concerns
from core.audit import record
from core.models import Concern, YoungPerson
from core.safeguarding_review import Label, labelled, review_concern

router = APIRouter(prefix="/concerns", tags=["safeguarding"])
labels_router = APIRouter(prefix="/safeguarding", tags=["safeguarding"])

NOT_FOUND = "No such concern"
State = Literal["all", "unreviewed", "reviewed"]


class ConcernSummary(BaseModel):
    """A concern without the child's words (read one to see them)."""

    id: int
    young_person_id: int
    categories: list[str] = Field(description="The category the nearest exemplars share")
    about_someone_else: bool
    source: str
    layer: str = Field(description="What raised it: semantic, lexicon, lexicon (no model)")
    score: float = Field(description="The screener's probability that a person should see it")
    raised_at: datetime
    child_choice: Literal["more", "call", "carry_on"] | None = Field(
        description="What the child tapped: told more, asked for a call, or carried on"
    )
    alert_id: int | None = Field(description="The alert it led to, if any")
    reviewed_at: datetime | None
    reviewed_by: int | None
    label: Label | None


class ConcernOut(ConcernSummary):
    message: str | None = Field(description="The child's words")
    language: str | None


class Review(Body):
    label: Label = Field(description="real: a person must act (raises an alert); or not")
    note: str | None = Field(default=None, max_length=2000, description="Kept in the audit log")


class LabelledRow(BaseModel):
    kind: Literal["alert", "concern"]
    id: int
    label: Label
    categories: list[str]
    layer: str | None
    score: float | None
    source: str
    language: str | None
    words: str | None


def summary(concern: Concern) -> ConcernSummary:
    return ConcernSummary.model_validate(concern, from_attributes=True)


def full(concern: Concern) -> ConcernOut:
    return ConcernOut(
        **summary(concern).model_dump(),
        message=concerns.words_of(concern),
        language=concern.locale,
    )


def _visible(query: Any, caller: Caller) -> Any:
    if caller.is_admin:
        return query
    return query.join(YoungPerson, col(YoungPerson.id) == col(Concern.young_person_id)).where(
        YoungPerson.worker_id == caller.id
    )


async def visible_concern(session: AsyncSession, caller: Caller, concern_id: int) -> Concern:
    """The concern, if its child is this caller's to see now; anyone else's answers 404."""
    found = (
        await session.exec(_visible(select(Concern), caller).where(Concern.id == concern_id))
    ).first()
    if found is None:
        raise HTTPException(404, NOT_FOUND)
    return found


@router.get("", responses=problems(401))
async def list_concerns(
    caller: StaffDep,
    session: SessionDep,
    state: Annotated[State, Query(description="Which concerns to list")] = "unreviewed",
    child_id: OptionalId = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ConcernSummary]:
    """Concerns about your children (admins: everyone's), newest first."""
    query = _visible(select(Concern), caller)
    if child_id is not None:
        query = query.where(Concern.young_person_id == child_id)
    if state == "unreviewed":
        query = query.where(col(Concern.reviewed_at).is_(None))
    elif state == "reviewed":
        query = query.where(col(Concern.reviewed_at).is_not(None))
    query = query.order_by(col(Concern.raised_at).desc(), col(Concern.id).desc())
    found = (await session.exec(query.offset(offset).limit(limit))).all()
    record(
        session,
        staff_id=caller.id,
        action="concern.list",
        young_person_id=child_id,
        detail={"state": state, "count": len(found)},
    )
    await session.commit()
    return [summary(c) for c in found]


@router.get("/{concern_id}", responses=problems(401, 404))
async def get_concern(concern_id: Id, caller: StaffDep, session: SessionDep) -> ConcernOut:
    """One concern with the child's words. Every read is in the audit log."""
    concern = await visible_concern(session, caller, concern_id)
    record(
        session,
        staff_id=caller.id,
        action="concern.read",
        young_person_id=concern.young_person_id,
        subject=f"concern:{concern_id}",
    )
    await session.commit()
    return full(concern)


@router.post("/{concern_id}/review", responses=problems(401, 404, 409))
async def review(concern_id: Id, body: Review, caller: StaffDep, session: SessionDep) -> ConcernOut:
    """Mark it "real" (an alert is raised, acknowledged by you, and routine messages to the
    child wait until it is cleared) or "not_a_concern". Audited; a label can be changed."""
    concern = await visible_concern(session, caller, concern_id)
    if concern.label == body.label:
        raise HTTPException(409, f"Already marked {body.label}")
    await review_concern(session, concern, body.label, staff_id=caller.id, note=body.note)
    await session.commit()
    return full(concern)


@labels_router.get("/labelled", responses=problems(401, 403))
async def export_labelled(caller: AdminDep, session: SessionDep) -> list[LabelledRow]:
    """Every alert and concern staff have labelled, with the child's words and language: for
    a safeguarding lead to review before adding exemplars (content/safeguarding/exemplars).
    Admins only; audited."""
    rows = await labelled(session)
    record(
        session,
        staff_id=caller.id,
        action="safeguarding.labelled_export",
        detail={"count": len(rows)},
    )
    await session.commit()
    return [LabelledRow.model_validate(row) for row in rows]
