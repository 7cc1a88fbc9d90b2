"""What children said: lists with filters, one child's timeline, counts per outcome statement.
A worker sees only the answers of children allocated to them. Every read is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import AfterValidator, BaseModel, Field

from api.access import Caller, StaffDep, visible_child
from api.deps import RuntimeDep, SessionDep
from api.schemas import MAX_ID, Body, Id, IsoOnly, Limit, Offset, OptionalId, problems
from core.answer_queries import AnswerFilter, Series, list_answers, read_text, timeline
from core.audit import record
from core.counts import Count, aggregates
from core.disclosure import Refused
from core.models import Answer

router = APIRouter(tags=["answers"])

Area = Literal["practice", "change", "quality_of_life"]
IDENT = r"^[a-z][a-z0-9_]*$"


def _utc(value: datetime) -> datetime:
    """A time without a zone is taken as UTC."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("this time is out of range") from None


UTCTime = Annotated[datetime, IsoOnly, AfterValidator(_utc)]
ConversationId = Annotated[
    str | None,
    Query(max_length=40, pattern=IDENT, examples=["how_are_we_doing"]),
]
QuestionId = Annotated[str | None, Query(max_length=40, pattern=IDENT, examples=["listened"])]


class Filters(Body):
    """Which answers: every field given narrows the set."""

    child_id: int | None = Field(default=None, ge=1, le=MAX_ID, examples=[12])
    conversation_id: str | None = Field(
        default=None, max_length=40, pattern=IDENT, examples=["how_are_we_doing"]
    )
    area: Area | None = None
    question_id: str | None = Field(
        default=None, max_length=40, pattern=IDENT, examples=["listened"]
    )
    since: UTCTime | None = Field(
        default=None, description="From this time (inclusive)", examples=["2026-01-01T00:00:00Z"]
    )
    until: UTCTime | None = Field(
        default=None, description="Before this time (exclusive)", examples=["2026-07-01T00:00:00Z"]
    )
    worker_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Children allocated to this worker"
    )


async def scoped(filters: Filters, caller: Caller, session: SessionDep) -> AnswerFilter:
    """The filter as this caller may use it: a worker's is narrowed to their own children,
    and another worker's child answers 404, as if they did not exist. A `since` after `until`
    is an empty window: nothing matches."""
    if filters.child_id is not None:
        await visible_child(session, caller, filters.child_id)
    return AnswerFilter(**filters.model_dump(), visible_to=None if caller.is_admin else caller.id)


async def query_filters(
    caller: StaffDep,
    session: SessionDep,
    child_id: OptionalId = None,
    conversation_id: ConversationId = None,
    area: Area | None = None,
    question_id: QuestionId = None,
    since: Annotated[UTCTime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[UTCTime | None, Query(description="Before this time (exclusive)")] = None,
    worker_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Children allocated to this worker")
    ] = None,
) -> AnswerFilter:
    filters = Filters(
        child_id=child_id,
        conversation_id=conversation_id,
        area=area,
        question_id=question_id,
        since=since,
        until=until,
        worker_id=worker_id,
    )
    return await scoped(filters, caller, session)


FilterDep = Annotated[AnswerFilter, Depends(query_filters)]


class AnswerOut(BaseModel):
    id: int
    child_id: int
    run_id: int
    conversation_id: str
    question_id: str
    area: str | None
    content_version: int
    locale: str
    status: str = Field(examples=["answered"], description="answered / skipped / rather_not_say")
    value: str | None = Field(examples=["good"])
    score: int | None = Field(examples=[4], description="5 is the best")
    text: str | None = Field(
        description="The child's own words: only when one child's answers are asked for"
    )
    has_voice: bool = Field(description="A voice note was sent (the note itself is never shown)")
    confirmed: bool
    answered_at: datetime
    updated_at: datetime


def _answer_out(answer: Answer, *, with_text: bool) -> AnswerOut:
    assert answer.id is not None
    return AnswerOut(
        id=answer.id,
        child_id=answer.young_person_id,
        run_id=answer.run_id,
        conversation_id=answer.conversation_id,
        question_id=answer.question_id,
        area=answer.area,
        content_version=answer.content_version,
        locale=answer.locale,
        status=answer.status,
        value=answer.value,
        score=answer.score,
        text=read_text(answer.text) if with_text else None,
        has_voice=answer.voice_file_id is not None,
        confirmed=answer.confirmed,
        answered_at=answer.answered_at,
        updated_at=answer.updated_at,
    )


@router.get("/answers", responses=problems(401, 404))
async def read_answers(
    caller: StaffDep,
    session: SessionDep,
    filters: FilterDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[AnswerOut]:
    """Newest first. The child's own words are shown only when `child_id` is given (one
    child's answers); for more, ask for an export with a reason."""
    answers = await list_answers(session, filters, limit=limit, offset=offset)
    for child_id in sorted({a.young_person_id for a in answers}):
        record(
            session,
            staff_id=caller.id,
            action="answers.read",
            young_person_id=child_id,
            detail={"filters": filters.public(), "offset": offset, "limit": limit},
        )
    await session.commit()
    with_text = filters.child_id is not None
    return [_answer_out(a, with_text=with_text) for a in answers]


class PointOut(BaseModel):
    run_id: int
    answered_at: datetime
    status: str
    value: str | None
    score: int | None
    change: int | None = Field(
        description="Score now minus the score the time before: above 0 is better", examples=[1]
    )
    text: str | None
    has_voice: bool
    confirmed: bool


class SeriesOut(BaseModel):
    conversation_id: str
    question_id: str
    area: str | None
    statement: str | None = Field(examples=["I am listened to and respected"])
    points: list[PointOut] = Field(description="Oldest first")


def _series_out(series: Series) -> SeriesOut:
    return SeriesOut(
        conversation_id=series.conversation_id,
        question_id=series.question_id,
        area=series.area,
        statement=series.statement,
        points=[PointOut.model_validate(p, from_attributes=True) for p in series.points],
    )


@router.get("/children/{child_id}/timeline", responses=problems(401, 404))
async def child_timeline(
    child_id: Id, caller: StaffDep, session: SessionDep, runtime: RuntimeDep
) -> list[SeriesOut]:
    """How one child's answers changed over time: per question, each answer oldest first,
    with the conversation, the dates and how the score moved."""
    await visible_child(session, caller, child_id)
    series = await timeline(session, runtime.services.library, child_id)
    record(session, staff_id=caller.id, action="answers.timeline", young_person_id=child_id)
    await session.commit()
    return [_series_out(s) for s in series]


class CountOut(BaseModel):
    conversation_id: str
    question_id: str
    area: str | None
    statement: str | None = Field(examples=["I am listened to and respected"])
    status: str = Field(
        examples=["answered"],
        description="answered / skipped / rather_not_say; `suppressed`: the question's answers "
        "from groups too small to show, together, with no value and no counts",
    )
    value: str | None = Field(examples=["good"])
    score: int | None = Field(examples=[4])
    answers: int | None = Field(description="null when suppressed", examples=[12])
    children: int | None = Field(
        description="Children who gave this answer, each counted once a month; null when "
        "suppressed",
        examples=[9],
    )
    suppressed: bool = Field(
        description="The row of answers from groups of fewer than SAYSO_MIN_GROUP_SIZE "
        "children: which answers they were, and how many, is hidden"
    )


def _count_out(count: Count) -> CountOut:
    return CountOut(
        conversation_id=count.conversation_id,
        question_id=count.question_id,
        area=count.area,
        statement=count.statement,
        status=count.status,
        value=count.value,
        score=count.score,
        answers=count.answers,
        children=count.children,
        suppressed=count.suppressed,
    )


@router.get("/answers/aggregates", responses=problems(401, 404, 409))
async def answer_counts(
    caller: StaffDep, session: SessionDep, runtime: RuntimeDep, filters: FilterDep
) -> list[CountOut]:
    """Counts per outcome statement: per conversation, question and value, with the area.
    Small numbers stay hidden under every filter (README, "Counts and small numbers"): counts
    are sums of monthly groups of at least `SAYSO_MIN_GROUP_SIZE` (default 5) children, over
    the calendar months (UTC) that are over; `since` and `until` must be the first of a month,
    and a selection of fewer children is refused (both 409). Answers from smaller groups
    are one row per question with status `suppressed`, no value and no counts."""
    try:
        counts = await aggregates(
            session,
            runtime.services.library,
            filters,
            min_group=max(1, runtime.settings.min_group_size),
        )
    except Refused as error:
        # A valid time that cannot be used for counts, or too few children: a clash with
        # what is there, 409, as for a check-in time that has passed.
        raise HTTPException(409, str(error)) from None
    record(
        session,
        staff_id=caller.id,
        action="answers.aggregate",
        young_person_id=filters.child_id,
        detail={"filters": filters.public()},
    )
    await session.commit()
    return [_count_out(c) for c in counts]


__all__ = ["Filters", "router", "scoped"]
