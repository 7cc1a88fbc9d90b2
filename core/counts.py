"""Counts per outcome statement: how many children gave each answer, with small numbers
hidden by the rules in core.disclosure."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.answer_queries import AnswerFilter, filtered, statement_of
from core.content import Library
from core.disclosure import (
    Cell,
    Month,
    TooFewChildren,
    counting_window,
    everyone,
    months,
    whose,
)
from core.models import Answer, YoungPerson, utcnow

# What one count is of: conversation, question, area, status, value, score.
Key = tuple[str, str, str | None, str, str | None, int | None]
SUPPRESSED = "suppressed"


@dataclass
class Count:
    """How many answers gave this value to this statement, and from how many children (counted
    once in each month). A question's answers from groups too small to show are together in
    one row of status `suppressed`, with no value and no counts."""

    conversation_id: str
    question_id: str
    area: str | None
    statement: str | None
    status: str
    value: str | None
    score: int | None
    answers: int | None
    children: int | None

    @property
    def suppressed(self) -> bool:
        return self.children is None


def _counted(query: Any) -> Any:
    """Typed or spoken words are never counted (they are not a value)."""
    a = Answer.__table__.c
    return query.where((a.status != "answered") | a.value.is_not(None))


async def population(session: AsyncSession, given: AnswerFilter) -> int:
    """How many children the filter counts."""
    a = Answer.__table__.c
    query = filtered(select(func.count(a.young_person_id.distinct())), given)
    return int((await session.exec(_counted(query))).one()[0])  # type: ignore[call-overload]


async def check(
    session: AsyncSession, given: AnswerFilter, *, min_group: int, now: datetime | None = None
) -> AnswerFilter:
    """The filter as counts use it (whole months that are over), or Refused with the reason."""
    window = counting_window(given, now or utcnow())
    if await population(session, window) < min_group:
        raise TooFewChildren(min_group)
    return window


def _month_number(moment: Any, starts: list[datetime]) -> Any:
    """Which of `starts` the moment falls in, as a number from 0, worked out in the query."""
    if len(starts) == 1:
        return literal(0)
    return case(*[(moment < s, i) for i, s in enumerate(starts[1:])], else_=len(starts) - 1)


async def _earliest(session: AsyncSession, given: AnswerFilter) -> datetime | None:
    query = _counted(filtered(select(func.min(Answer.__table__.c.answered_at)), given))
    first: datetime | None = (await session.exec(query)).one()[0]  # type: ignore[call-overload]
    return first


def _cells_query(given: AnswerFilter, starts: list[datetime]) -> Any:
    """Answers and children per month, worker and answer. The month is worked out in a
    subquery, so that the outer query can group by it by name on both databases."""
    a, p = Answer.__table__.c, YoungPerson.__table__.c
    keys = (a.conversation_id, a.question_id, a.area, a.status, a.value, a.score)
    month = _month_number(a.answered_at, starts).label("month")
    joined = Answer.__table__.join(YoungPerson.__table__, p.id == a.young_person_id)
    rows = _counted(
        filtered(select(month, p.worker_id, a.young_person_id, *keys).select_from(joined), given)
    ).subquery()
    by = [rows.c.month, rows.c.worker_id, *[rows.c[k.name] for k in keys]]
    counted = (func.count(), func.count(rows.c.young_person_id.distinct()))
    return select(*by, *counted).group_by(*by)


async def _months(session: AsyncSession, given: AnswerFilter) -> dict[tuple[int, Key], Month]:
    """Every cell: (month number, answer) -> that month's counts by worker."""
    first = await _earliest(session, given)
    if first is None or given.until is None:
        return {}
    query = _cells_query(given, months(first, given.until))  # `first` is in the window
    cells: dict[tuple[int, Key], Month] = defaultdict(Month)
    for number, worker, *key, answers, children in (await session.exec(query)).all():  # type: ignore[call-overload]
        cells[(number, tuple(key))].by_worker[worker] = Cell(answers, children)  # type: ignore[arg-type]
    return cells


async def aggregates(
    session: AsyncSession,
    library: Library,
    given: AnswerFilter,
    *,
    min_group: int,
    now: datetime | None = None,
) -> list[Count]:
    """Counts per conversation, question and value, from the months that are over, each a sum
    of the cells that may be shown; what is held back is one `suppressed` row per question.
    Refused (core.disclosure) for a window that is not whole months, or fewer children than
    `min_group` in the selection."""
    window = await check(session, given, min_group=min_group, now=now)
    worker = whose(window)
    shown: dict[Key, Cell] = defaultdict(Cell)
    held: dict[tuple[str, str], str | None] = {}
    for (_, key), month in (await _months(session, everyone(window))).items():
        cell, hidden = month.shown(worker, min_group)
        if cell is not None:
            shown[key].add(cell)
        if hidden:
            held[(key[0], key[1])] = key[2]
    return _rows(library, shown, held)


def _order(count: Count) -> tuple[Any, ...]:
    last = count.status == SUPPRESSED
    score = -(count.score or 0) if count.score is not None else 1
    return (count.conversation_id, count.question_id, last, score, count.value or "", count.status)


def _totals(shown: dict[Key, Cell]) -> list[tuple[Key, tuple[int, int]]]:
    return [(key, (cell.answers, cell.children)) for key, cell in shown.items()]


def _rows(
    library: Library, shown: dict[Key, Cell], held: dict[tuple[str, str], str | None]
) -> list[Count]:
    counts = [
        Count(cid, qid, area, statement_of(library, cid, qid), status, value, score, *cell)
        for (cid, qid, area, status, value, score), cell in _totals(shown)
    ]
    counts += [
        Count(cid, qid, area, statement_of(library, cid, qid), SUPPRESSED, None, None, None, None)
        for (cid, qid), area in held.items()
    ]
    return sorted(counts, key=_order)
