"""Exports of what children said, as CSV, XLSX or JSON Lines, written with constant memory.

Rows come from the database in batches through a server-side cursor (PostgreSQL) or a
stepping cursor (SQLite), and each batch is written out before the next is read. Small CSV and
JSON Lines exports stream straight into the HTTP response; big ones and every XLSX are an
`ExportJob` in the background, with progress, and a file to download when done."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import xlsxwriter
from sqlalchemy import String, and_, case, func, literal, select, update
from sqlalchemy import column as sql_column
from sqlalchemy import values as sql_values
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import col
from sqlmodel import select as select_rows
from sqlmodel.ext.asyncio.session import AsyncSession

from core.answer_queries import AnswerFilter, filtered, read_text, statement_of
from core.content import Library
from core.counts import aggregates
from core.disclosure import Refused
from core.export_access import record_held
from core.models import Answer, ExportJob, utcnow

log = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "jsonl")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Up to this many rows, a CSV or JSON Lines export streams straight back; more is a job.
INLINE_MAX_ROWS = 10_000
BATCH = 2_000
# A running job that has not written a batch for this long was lost (the process stopped).
STALE_AFTER = timedelta(minutes=5)
PROGRESS_EVERY_SECONDS = 0.5
# Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_ROWS = 1_048_576
# A hidden count, marked as the ONS marks one: confidential. Not "<5": the suppressed row holds
# every small group of a question together, which may be more than five answers.
HIDDEN = "[c]"

ANSWER_COLUMNS = (
    "answer_id",
    "child_id",
    "run_id",
    "conversation_id",
    "question_id",
    "statement",
    "area",
    "content_version",
    "locale",
    "status",
    "value",
    "score",
    "has_voice",
    "confirmed",
    "answered_at",
    "updated_at",
)
AGGREGATE_COLUMNS = (
    "conversation_id",
    "question_id",
    "statement",
    "area",
    "status",
    "value",
    "score",
    "answers",
    "children",
    "suppressed",
)

Row = tuple[Any, ...]
Batches = AsyncIterator[list[Row]]


@dataclass(frozen=True)
class ExportSpec:
    """What to export. `include_text` adds the child's own words (per-child, or asked for)."""

    kind: str
    format: str
    filter: AnswerFilter
    include_text: bool
    min_group: int

    @property
    def columns(self) -> tuple[str, ...]:
        if self.kind == "aggregates":
            return AGGREGATE_COLUMNS
        return (*ANSWER_COLUMNS, "text") if self.include_text else ANSWER_COLUMNS


# -- reading ---------------------------------------------------------------------------------


@asynccontextmanager
async def reading_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for a long read. SQLite: a connection of its own (WAL lets it read while
    the service's one writing connection carries on), so an export never holds up the bot."""
    if engine.dialect.name != "sqlite":
        async with engine.connect() as connection:
            yield connection
        return
    reader = create_async_engine(engine.url, poolclass=NullPool)
    try:
        async with reader.connect() as connection:
            yield connection
    finally:
        await reader.dispose()


def _answer_query(spec: ExportSpec) -> Any:
    a = Answer.__table__.c
    columns = [
        a.id,
        a.young_person_id,
        a.run_id,
        a.conversation_id,
        a.question_id,
        a.area,
        a.content_version,
        a.locale,
        a.status,
        a.value,
        a.score,
        # Whether there is a voice note, never its Telegram file id.
        a.voice_file_id.is_not(None),
        a.confirmed,
        a.answered_at,
        a.updated_at,
    ]
    if spec.include_text:
        columns.append(a.text)
    return filtered(select(*columns), spec.filter).order_by(a.id)


async def answer_batches(
    connection: AsyncConnection, library: Library, spec: ExportSpec
) -> Batches:
    """Answers in id order, BATCH rows at a time, never all of them at once."""
    statements: dict[tuple[str, str], str | None] = {}
    query = _answer_query(spec).execution_options(yield_per=BATCH)
    result = await connection.stream(query)
    async for partition in result.partitions(BATCH):
        batch = []
        for row in partition:
            key = (row[3], row[4])
            if key not in statements:
                statements[key] = statement_of(library, *key)
            out = (*row[:5], statements[key], *row[5:15])
            if spec.include_text:
                out = (*out, read_text(row[15]))
            batch.append(out)
        yield batch


async def aggregate_batches(
    connection: AsyncConnection, library: Library, spec: ExportSpec
) -> Batches:
    """Counts are few (questions x values), so they come in one batch."""
    session = AsyncSession(bind=connection)
    counts = await aggregates(session, library, spec.filter, min_group=spec.min_group)
    yield [
        (
            c.conversation_id,
            c.question_id,
            c.statement,
            c.area,
            c.status,
            c.value,
            c.score,
            c.answers,
            c.children,
            c.suppressed,
        )
        for c in counts
    ]


def batches_for(connection: AsyncConnection, library: Library, spec: ExportSpec) -> Batches:
    read = aggregate_batches if spec.kind == "aggregates" else answer_batches
    return read(connection, library, spec)


# -- writing ---------------------------------------------------------------------------------


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula starts with a quote instead, so it shows as
    the words it is ("=1+1" stays "=1+1", it is never worked out)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


TIMES = {"answered_at", "updated_at"}
FLAGS = {"has_voice", "confirmed", "suppressed"}
NUMBERS = {"answer_id", "child_id", "run_id", "content_version", "score"}
COUNTS = {"answers", "children"}


def _csv_cells(spec: ExportSpec) -> Callable[[Row], list[Any]]:
    """Turns a row into CSV cells: ISO times, lowercase booleans, '[c]' for a hidden count,
    and every piece of text made safe. Which column is which is worked out once per export,
    and the per-row work is plain loops (a function call per cell halves the rate)."""
    hidden = HIDDEN
    columns = spec.columns
    times = [i for i, name in enumerate(columns) if name in TIMES]
    flags = [i for i, name in enumerate(columns) if name in FLAGS]
    counts = [i for i, name in enumerate(columns) if name in COUNTS]
    texts = [i for i, name in enumerate(columns) if name not in TIMES | FLAGS | COUNTS | NUMBERS]
    starts = FORMULA_STARTS

    def cells(row: Row) -> list[Any]:
        out = list(row)
        for i in times:
            if out[i] is not None:
                out[i] = out[i].isoformat(timespec="microseconds")
        for i in flags:
            if out[i] is not None:
                out[i] = "true" if out[i] else "false"
        for i in counts:
            if out[i] is None:
                out[i] = hidden
        for i in texts:
            value = out[i]
            if value and value.startswith(starts):
                out[i] = "'" + value
        return out

    return cells


async def csv_chunks(spec: ExportSpec, batches: Batches) -> AsyncIterator[bytes]:
    """UTF-8 with a byte-order mark, so spreadsheet programs read every language right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(spec.columns)
    cells = _csv_cells(spec)
    async for batch in batches:
        writer.writerows(map(cells, batch))
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


async def jsonl_chunks(spec: ExportSpec, batches: Batches) -> AsyncIterator[bytes]:
    """One JSON object a line; a suppressed count is null (with `suppressed: true`)."""
    columns = spec.columns
    times = [i for i, name in enumerate(columns) if name in TIMES]
    encode = json.JSONEncoder(ensure_ascii=False).encode
    async for batch in batches:
        lines = []
        for row in batch:
            out = list(row)
            for i in times:
                if out[i] is not None:
                    out[i] = out[i].isoformat(timespec="microseconds")
            lines.append(encode(dict(zip(columns, out, strict=True))))
        yield ("\n".join(lines) + "\n").encode() if batch else b""


def chunks_for(spec: ExportSpec, batches: Batches) -> AsyncIterator[bytes]:
    if spec.format == "jsonl":
        return jsonl_chunks(spec, batches)
    if spec.format == "csv":
        return csv_chunks(spec, batches)
    raise ValueError("XLSX is written to a file, not streamed")


class XlsxWriter:
    """xlsxwriter in constant-memory mode: each row goes to a temporary file as soon as the
    next row starts, so memory stays flat however many rows there are. Text is always
    written as text, never as a formula or a link. More rows than a sheet holds go on to the
    next sheet."""

    def __init__(self, path: Path, spec: ExportSpec) -> None:
        self.spec = spec
        self.book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "remove_timezone": True,
            },
        )
        self.bold = self.book.add_format({"bold": True})
        self.when = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.sheet: Any = None
        self.row = XLSX_MAX_ROWS

    def _next_sheet(self) -> None:
        self.sheet = self.book.add_worksheet()
        self.sheet.write_row(0, 0, self.spec.columns, self.bold)
        self.sheet.freeze_panes(1, 0)
        self.row = 1

    def write(self, batch: Iterable[Row]) -> None:
        aggregate = self.spec.kind == "aggregates"
        for values in batch:
            if self.row >= XLSX_MAX_ROWS:
                self._next_sheet()
            for column, value in enumerate(values):
                if value is None:
                    if aggregate and self.spec.columns[column] in ("answers", "children"):
                        self.sheet.write_string(self.row, column, HIDDEN)
                elif isinstance(value, datetime):
                    self.sheet.write_datetime(self.row, column, value, self.when)
                elif isinstance(value, bool):
                    self.sheet.write_boolean(self.row, column, value)
                elif isinstance(value, int | float):
                    self.sheet.write_number(self.row, column, value)
                else:
                    self.sheet.write_string(self.row, column, str(value))
            self.row += 1

    def close(self) -> None:
        if self.sheet is None:
            self._next_sheet()
        self.book.close()


async def write_file(
    path: Path, spec: ExportSpec, batches: Batches, on_rows: Callable[[int], Any]
) -> None:
    """Writes the export to `path`; `on_rows(n)` is awaited after every batch of n rows."""
    if spec.format == "xlsx":
        book = XlsxWriter(path, spec)
        try:
            async for batch in batches:
                # Building XLSX cells is CPU work: off the event loop, so the bot keeps talking.
                await asyncio.to_thread(book.write, batch)
                await on_rows(len(batch))
        finally:
            await asyncio.to_thread(book.close)
        return
    with path.open("wb") as out:
        async for chunk in chunks_for(spec, _counted(batches, on_rows)):
            out.write(chunk)


def _copy_query(spec: ExportSpec, library: Library) -> Any:
    """The same CSV cells as `_csv_cells` makes, made by PostgreSQL itself: the statement from
    the content, text made safe, 'true'/'false', ISO times in UTC."""
    a = Answer.__table__.c

    def safe(column: Any) -> Any:
        starts = func.left(column, 1).in_(list(FORMULA_STARTS))
        return case((starts, literal("'") + column), else_=column)

    def flag(column: Any) -> Any:
        return case((column, "true"), else_="false")

    def iso(column: Any) -> Any:
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')

    pairs = [
        (cid, q.id, q.statement)
        for cid, conversation in library.conversations.items()
        for q in conversation.questions
        if q.statement
    ]
    named = sql_values(
        sql_column("cid", String),
        sql_column("qid", String),
        sql_column("words", String),
        name="statements",
    ).data(pairs or [("", "", "")])
    columns = [
        a.id.label("answer_id"),
        a.young_person_id.label("child_id"),
        a.run_id,
        safe(a.conversation_id).label("conversation_id"),
        safe(a.question_id).label("question_id"),
        safe(named.c.words).label("statement"),
        safe(a.area).label("area"),
        a.content_version,
        safe(a.locale).label("locale"),
        safe(a.status).label("status"),
        safe(a.value).label("value"),
        a.score,
        flag(a.voice_file_id.is_not(None)).label("has_voice"),
        flag(a.confirmed).label("confirmed"),
        iso(a.answered_at).label("answered_at"),
        iso(a.updated_at).label("updated_at"),
    ]
    joined = Answer.__table__.outerjoin(
        named, and_(named.c.cid == a.conversation_id, named.c.qid == a.question_id)
    )
    return filtered(select(*columns).select_from(joined), spec.filter).order_by(a.id)


def copies_csv(connection: AsyncConnection, spec: ExportSpec) -> bool:
    """A big CSV of answers on PostgreSQL is written by COPY: several times faster. Not with
    the child's own words: those are read only through `read_text` (sealed at rest)."""
    return (
        connection.dialect.name == "postgresql"
        and spec.kind == "answers"
        and spec.format == "csv"
        and not spec.include_text
    )


async def copy_csv(
    connection: AsyncConnection,
    library: Library,
    spec: ExportSpec,
    out: BinaryIO,
    on_rows: Callable[[int], Any],
    rows_total: int | None,
) -> int:
    """COPY (SELECT ...) TO STDOUT, chunk by chunk into `out`; returns the rows written.
    Progress counts line ends (a child's words can hold more, so it stops short of the
    total until COPY reports the true count)."""
    compiled = _copy_query(spec, library).compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    args = [compiled.params[name] for name in compiled.positiontup or ()]
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    ceiling = max(0, (rows_total or 0) - 1)
    seen = 0

    async def write(chunk: bytes) -> None:
        nonlocal seen
        await asyncio.to_thread(out.write, chunk)
        counted = min(chunk.count(b"\n"), max(0, ceiling - seen))
        seen += counted
        await on_rows(counted)  # also the heartbeat, so call it even for no new rows

    out.write(b"\xef\xbb\xbf")
    status = await driver.copy_from_query(
        compiled.string, *args, output=write, format="csv", header=True
    )
    return int(status.split()[-1])


async def _counted(batches: Batches, on_rows: Callable[[int], Any]) -> Batches:
    async for batch in batches:
        yield batch
        await on_rows(len(batch))


async def stream_export(
    engine: AsyncEngine, library: Library, spec: ExportSpec
) -> AsyncIterator[bytes]:
    """A CSV or JSON Lines export as it is read, for a streamed HTTP response."""
    async with reading_connection(engine) as connection:
        async for chunk in chunks_for(spec, batches_for(connection, library, spec)):
            yield chunk


# -- which children a file holds ----------------------------------------------------------


async def children_in(connection: AsyncConnection, spec: ExportSpec) -> set[int]:
    """The children whose answers the export holds (counts hold no child)."""
    if spec.kind != "answers":
        return set()
    a = Answer.__table__.c
    result = await connection.execute(filtered(select(a.young_person_id).distinct(), spec.filter))
    return {row[0] for row in result}


def noting_children(spec: ExportSpec, batches: Batches) -> Callable[[set[int]], Batches]:
    """The batches as they are, noting in `held` the child of every answer row written."""

    async def noted(held: set[int]) -> Batches:
        async for batch in batches:
            if spec.kind == "answers":
                held.update(row[1] for row in batch)
            yield batch

    return noted


# -- background jobs -------------------------------------------------------------------------


def spec_of(job: ExportJob, *, min_group: int) -> ExportSpec:
    return ExportSpec(
        kind=job.kind,
        format=job.format,
        filter=AnswerFilter.from_json(job.filters),
        include_text=job.include_text,
        min_group=min_group,
    )


def new_job(*, staff_id: int, spec: ExportSpec, reason: str, rows_total: int | None) -> ExportJob:
    # The job keeps the filter as checked when it was asked for, a worker's scope included.
    return ExportJob(
        staff_id=staff_id,
        kind=spec.kind,
        format=spec.format,
        filters=spec.filter.to_json(),
        include_text=spec.include_text,
        reason=reason,
        rows_total=rows_total,
    )


class Jobs:
    """Runs export jobs: claimed atomically in the database, so a job runs in one place only,
    and a job lost in a restart is found again by the clock and run anew."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessionmaker: Callable[[], AsyncSession],
        library: Library,
        export_dir: Path,
        min_group: int,
        keep_hours: float,
    ) -> None:
        self.engine, self.sessionmaker, self.library = engine, sessionmaker, library
        self.export_dir, self.min_group = export_dir, min_group
        # Finished files are deleted after this long; the job row (and the audit entry) stay.
        self.keep_for = timedelta(hours=keep_hours)

    async def claim(self, job_id: int) -> bool:
        """queued -> running, for one caller only."""
        async with self.sessionmaker() as session:
            result = await session.exec(
                update(ExportJob)
                .where(col(ExportJob.id) == job_id, col(ExportJob.status) == "queued")
                .values(status="running", heartbeat_at=utcnow(), rows_done=0)
            )
            await session.commit()
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def _set(self, job_id: int, **values: Any) -> None:
        async with self.sessionmaker() as session:
            await session.exec(
                update(ExportJob).where(col(ExportJob.id) == job_id).values(**values)
            )
            await session.commit()

    async def run(self, job_id: int) -> None:
        """Claims the job and writes its file; a job someone else claimed is left alone."""
        if not await self.claim(job_id):
            return
        async with self.sessionmaker() as session:
            job = await session.get(ExportJob, job_id)
        assert job is not None
        stem = f"export-{job_id}-{secrets.token_hex(8)}"
        partial = self.export_dir / f"{stem}.{job.format}.part"
        final = partial.with_suffix("")
        done, last = 0, asyncio.get_running_loop().time()

        async def on_rows(count: int) -> None:
            nonlocal done, last
            done += count
            now = asyncio.get_running_loop().time()
            if now - last >= PROGRESS_EVERY_SECONDS:
                last = now
                await self._set(job_id, rows_done=done, heartbeat_at=utcnow())

        held: set[int] = set()
        try:
            spec = spec_of(job, min_group=self.min_group)
            await asyncio.to_thread(self.export_dir.mkdir, parents=True, exist_ok=True)
            async with reading_connection(self.engine) as connection:
                if copies_csv(connection, spec):
                    # The children are read in the same snapshot as the COPY that follows.
                    connection = await connection.execution_options(
                        isolation_level="REPEATABLE READ"
                    )
                    held = await children_in(connection, spec)
                    with partial.open("wb") as out:
                        done = await copy_csv(
                            connection, self.library, spec, out, on_rows, job.rows_total
                        )
                else:
                    batches = noting_children(spec, batches_for(connection, self.library, spec))
                    await write_file(partial, spec, batches(held), on_rows)
            os.replace(partial, final)
        except Refused as error:  # too few children by now: said as it is, not as a fault
            partial.unlink(missing_ok=True)
            await self._set(job_id, status="failed", finished_at=utcnow(), error=str(error))
            return
        except Exception as error:
            log.exception("export %s failed", job_id)
            partial.unlink(missing_ok=True)
            await self._set(
                job_id,
                status="failed",
                finished_at=utcnow(),
                error=f"The export could not be written ({type(error).__name__}). Try again.",
            )
            return
        await self._finish(job_id, final, done, held)

    async def _finish(self, job_id: int, final: Path, rows: int, held: set[int]) -> None:
        """Done, with the children the file holds, in one transaction; unless the job was
        withdrawn while it ran (a child in it was erased): then the file goes at once."""
        async with self.sessionmaker() as session:
            now = utcnow()
            marked = await session.exec(
                update(ExportJob)
                .where(col(ExportJob.id) == job_id, col(ExportJob.status) == "running")
                .values(
                    status="done",
                    rows_done=rows,
                    rows_total=rows,
                    path=str(final),
                    heartbeat_at=now,
                    finished_at=now,
                )
            )
            if marked.rowcount == 1:  # type: ignore[attr-defined]
                await record_held(session, job_id, held)
            await session.commit()
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            await asyncio.to_thread(final.unlink, missing_ok=True)

    async def tick(self) -> None:
        """The clock's part: queue again jobs lost in a restart, run what is queued, and
        delete files whose time is up (or that nobody may read any more)."""
        now = utcnow()
        async with self.sessionmaker() as session:
            await session.exec(
                update(ExportJob)
                .where(
                    col(ExportJob.status) == "running",
                    col(ExportJob.heartbeat_at) < now - STALE_AFTER,
                )
                .values(status="queued")
            )
            old = await session.exec(
                select_rows(ExportJob).where(
                    (
                        (col(ExportJob.status) == "done")
                        & (col(ExportJob.finished_at) <= now - self.keep_for)
                    )
                    | (
                        col(ExportJob.status).in_(("expired", "withdrawn"))
                        & col(ExportJob.path).is_not(None)
                    )
                )
            )
            for job in old.all():
                if job.path:
                    await asyncio.to_thread(Path(job.path).unlink, missing_ok=True)
                job.status = "expired" if job.status == "done" else job.status
                job.path = None
            await session.commit()
            queued = await session.exec(
                select_rows(ExportJob.id)
                .where(col(ExportJob.status) == "queued")
                .order_by(col(ExportJob.id))
            )
            job_ids: Sequence[int | None] = list(queued.all())
        for job_id in job_ids:
            assert job_id is not None
            await self.run(job_id)
