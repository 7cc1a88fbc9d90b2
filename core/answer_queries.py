"""Reading what children said: filters, a child's timeline, and counts per outcome statement."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.content import Library
from core.models import Answer, YoungPerson


def read_text(stored: str | None) -> str | None:
    """The one place free text is read for staff (the column type has already decrypted it)."""
    return stored


@dataclass(frozen=True)
class AnswerFilter:
    """Which answers: every field given narrows the set. `since` is inclusive, `until` is not."""

    child_id: int | None = None
    conversation_id: str | None = None
    area: str | None = None
    question_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    worker_id: int | None = None
    # Not a filter the caller chooses: a worker only ever sees their own children's answers.
    visible_to: int | None = field(default=None, compare=False)

    def public(self) -> dict[str, Any]:
        """The filters as the caller gave them, for the audit log and the export job."""
        given = {k: v for k, v in asdict(self).items() if v is not None and k != "visible_to"}
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in given.items()}

    def to_json(self) -> dict[str, Any]:
        """Everything, the worker's scope included, to run the same query later."""
        scope = {"visible_to": self.visible_to} if self.visible_to is not None else {}
        return {**self.public(), **scope}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnswerFilter:
        values = dict(data)
        for key in ("since", "until"):
            if values.get(key) is not None:
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)


def _children_of(worker_id: int) -> Any:
    return select(YoungPerson.id).where(YoungPerson.worker_id == worker_id)


def conditions(given: AnswerFilter) -> list[ColumnElement[bool]]:
    """The WHERE clauses for a filter, shared by lists, counts, aggregates and exports."""
    where: list[ColumnElement[bool]] = []
    if given.child_id is not None:
        where.append(col(Answer.young_person_id) == given.child_id)
    if given.conversation_id is not None:
        where.append(col(Answer.conversation_id) == given.conversation_id)
    if given.area is not None:
        where.append(col(Answer.area) == given.area)
    if given.question_id is not None:
        where.append(col(Answer.question_id) == given.question_id)
    if given.since is not None:
        where.append(col(Answer.answered_at) >= given.since)
    if given.until is not None:
        where.append(col(Answer.answered_at) < given.until)
    for worker in (given.worker_id, given.visible_to):
        if worker is not None:
            where.append(col(Answer.young_person_id).in_(_children_of(worker)))
    return where


def filtered(query: Select[Any], given: AnswerFilter) -> Select[Any]:
    where = conditions(given)
    return query.where(*where) if where else query


async def list_answers(
    session: AsyncSession, given: AnswerFilter, *, limit: int, offset: int
) -> list[Answer]:
    """Newest first, then by id, so pages never overlap or skip."""
    query = filtered(select(Answer), given).order_by(
        col(Answer.answered_at).desc(), col(Answer.id).desc()
    )
    result = await session.exec(query.offset(offset).limit(limit))
    return list(result.all())


async def count_answers(session: AsyncSession, given: AnswerFilter) -> int:
    query = filtered(select(func.count()).select_from(Answer), given)
    return int((await session.exec(query)).one())


def statement_of(library: Library, conversation_id: str, question_id: str) -> str | None:
    """The outcome statement a question measures ("I am listened to and respected")."""
    conversation = library.get(conversation_id)
    question = conversation.question(question_id) if conversation else None
    return question.statement if question else None


@dataclass
class Point:
    run_id: int
    answered_at: datetime
    status: str
    value: str | None
    score: int | None
    # Score minus the score at the previous point that had one: + better, - worse.
    change: int | None
    text: str | None
    has_voice: bool
    confirmed: bool


@dataclass
class Series:
    conversation_id: str
    question_id: str
    area: str | None
    statement: str | None
    points: list[Point]


async def timeline(session: AsyncSession, library: Library, child_id: int) -> list[Series]:
    """Every question the child answered, each with their answers oldest first."""
    query = (
        select(Answer)
        .where(Answer.young_person_id == child_id)
        .order_by(
            col(Answer.conversation_id),
            col(Answer.question_id),
            col(Answer.answered_at),
            col(Answer.id),
        )
    )
    series: dict[tuple[str, str], Series] = {}
    last_score: dict[tuple[str, str], int] = {}
    for answer in (await session.exec(query)).all():
        key = (answer.conversation_id, answer.question_id)
        if key not in series:
            statement = statement_of(library, *key)
            series[key] = Series(*key, area=answer.area, statement=statement, points=[])
        previous = last_score.get(key)
        change = None
        if answer.score is not None:
            change = answer.score - previous if previous is not None else None
            last_score[key] = answer.score
        assert answer.id is not None
        series[key].points.append(
            Point(
                run_id=answer.run_id,
                answered_at=answer.answered_at,
                status=answer.status,
                value=answer.value,
                score=answer.score,
                change=change,
                text=read_text(answer.text),
                has_voice=answer.voice_file_id is not None,
                confirmed=answer.confirmed,
            )
        )
    # Earliest-started questions first, so the timeline reads in the order things were asked.
    return sorted(series.values(), key=lambda s: (s.points[0].answered_at, s.question_id))
