"""Small numbers stay hidden under every filter: the statistical disclosure control of the
counts staff read and export (README, "Counts and small numbers", says why).

Every count is a sum of cells, and a cell is one calendar month (UTC) of one worker's children
(the unallocated are a group of their own) giving one answer to one question. A count adds up
only the cells that may be shown, so whatever two counts anyone asks for, their difference is
again a sum of cells that may be shown: no window, worker or subtraction can reach a smaller
group. The month still running is not counted until it is over, so a count never grows one
child at a time under a reader's eyes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from core.answer_queries import AnswerFilter

# Every worker's children together (no worker filter). The unallocated children are a group of
# their own, under the worker None.
EVERYONE = "everyone"


class Refused(Exception):
    """These counts cannot be given as asked; the message says why, for a person to read."""


class NotWholeMonths(Refused):
    def __init__(self, name: str, moment: datetime) -> None:
        start = month_start(moment)
        super().__init__(
            f"Counts are given for whole calendar months (UTC): {name} must be the first of a "
            f"month at midnight, such as {start.date().isoformat()}, so that two windows can never "
            "differ by a few children"
        )


class TooFewChildren(Refused):
    def __init__(self, minimum: int) -> None:
        super().__init__(
            f"Fewer than {minimum} children answered in this selection (the months that are "
            "over, the worker and the other filters), so no counts are given: a child could be "
            "singled out"
        )


def month_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def months(first: datetime, end: datetime) -> list[datetime]:
    """The starts of every month from the one holding `first` up to `end` (exclusive)."""
    starts, start = [], month_start(first)
    while start < end:
        starts.append(start)
        start = next_month(start)
    return starts


def counting_window(given: AnswerFilter, now: datetime) -> AnswerFilter:
    """The filter with its window checked (whole months only) and ended before the month
    still running."""
    for name, moment in (("since", given.since), ("until", given.until)):
        if moment is not None and moment != month_start(moment):
            raise NotWholeMonths(name, moment)
    running = month_start(now)
    return replace(given, until=running if given.until is None else min(given.until, running))


def everyone(given: AnswerFilter) -> AnswerFilter:
    """The same filter over every worker's children: the cells are counted per worker."""
    return replace(given, worker_id=None, visible_to=None)


def whose(given: AnswerFilter) -> int | str:
    """Whose children the filter counts: one worker's, or EVERYONE's. A worker asking about
    another worker's children counts nobody's (-1 is nobody's id)."""
    asked = {w for w in (given.worker_id, given.visible_to) if w is not None}
    if not asked:
        return EVERYONE
    return asked.pop() if len(asked) == 1 else -1


@dataclass
class Cell:
    answers: int = 0
    children: int = 0

    def add(self, other: Cell) -> None:
        self.answers += other.answers
        self.children += other.children


@dataclass
class Month:
    """One month's cell for one answer, split by worker."""

    by_worker: dict[int | None, Cell] = field(default_factory=dict)

    def shown(self, worker: int | str, minimum: int) -> tuple[Cell | None, bool]:
        """(what may be shown, whether anything of this worker's was held back)."""
        if worker == EVERYONE:
            total = Cell()
            for cell in self.by_worker.values():
                total.add(cell)
            return (total, False) if total.children >= minimum else (None, total.children > 0)
        own = self.by_worker.get(worker) if isinstance(worker, int) else None
        if own is None:
            return None, False
        # Secondary suppression: if any worker's group is small, no worker's group is shown,
        # or the total minus the others would give it away.
        if own.children < minimum or _any_small(self.by_worker.values(), minimum):
            return None, True
        return own, False


def _any_small(cells: Iterable[Cell], minimum: int) -> bool:
    return any(0 < cell.children < minimum for cell in cells)
