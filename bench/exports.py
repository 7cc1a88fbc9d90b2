"""Exports 1,000,000 answers to CSV through the real background export (`core.exports.Jobs`:
server-side cursor, batches, progress written as it goes) on SQLite and on PostgreSQL, and
prints rows/s and memory, next to a baseline measured in the same run on the same rows:
PostgreSQL's own `COPY (SELECT ...) TO STDOUT WITH CSV` (and, for SQLite, a bare sqlite3
cursor into `csv.writer`).

Each export runs in a fresh subprocess, which reports its resident memory before the export
and its peak (`getrusage`), so the growth is the export's own. It runs at two sizes: memory that
stays flat from 100,000 to 1,000,000 rows is constant memory.

    .venv/bin/python bench/exports.py [--rows 1000000] [--database sqlite|postgresql|both]
        [--postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/test] [--formats csv,xlsx]

The PostgreSQL database is emptied first (its public schema is dropped and made again).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.db import create_engine, create_sessionmaker, migrate

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
QUESTIONS = [
    ("how_are_we_doing", "individual", "practice"),
    ("how_are_we_doing", "listened", "practice"),
    ("how_are_we_doing", "say", "practice"),
    ("how_are_we_doing", "say_more", "practice"),
    ("hows_life", "safe", "quality_of_life"),
    ("hows_life", "home", "quality_of_life"),
    ("hows_life", "friends", "quality_of_life"),
    ("whats_changed", "better", "change"),
    ("whats_changed", "worries", "change"),
    ("whats_changed", "worries_more", "change"),
]
VALUES = [("great", 5), ("good", 4), ("ok", 3), ("bad", 2), ("awful", 1)]
# One child's answers a run; answered_at is one second apart, so a time filter picks a size.
PER_RUN = len(QUESTIONS)
RUNS_PER_CHILD = 10
EXPORT_COLUMNS = (
    "id, young_person_id, run_id, conversation_id, question_id, area, content_version, locale, "
    "status, value, score, voice_file_id IS NOT NULL, confirmed, answered_at, updated_at"
)


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    """Resident memory now; the peak is reset here, so the peak read later is the export's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux)
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    """Peak resident memory since `_rss_mb()`: VmHWM, falling back to getrusage."""
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- seeding -----------------------------------------------------------------------------------


def _people(count: int) -> list[tuple[Any, ...]]:
    children = -(-_runs(count) // RUNS_PER_CHILD)
    return [(i, f"C{i}", T0) for i in range(1, children + 1)]


def _runs(count: int) -> int:
    return -(-count // PER_RUN)


def _run_rows(count: int) -> Iterator[tuple[Any, ...]]:
    for r in range(1, _runs(count) + 1):
        yield (
            r,
            (r - 1) // RUNS_PER_CHILD + 1,
            QUESTIONS[0][0],
            1,
            "en",
            "finished",
            {},
            T0,
            T0,
            T0,
        )


def _answers(count: int) -> Iterator[tuple[Any, ...]]:
    """Generated as they are loaded, so seeding a million rows needs little memory."""
    rng = random.Random(7)
    for i in range(count):
        run = i // PER_RUN + 1
        conversation, question, area = QUESTIONS[i % PER_RUN]
        at = T0 + timedelta(seconds=i)
        worded = question.endswith("_more")
        value, score = (None, None) if worded else rng.choice(VALUES)
        words = "=I want my worker to call back" if worded else None
        voice = "AwACAgQ-voice" if worded and i % 7 == 0 else None
        child = (run - 1) // RUNS_PER_CHILD + 1
        yield (
            i + 1, run, child, conversation, question, area, 1, "en", "answered",
            value, score, words, voice, True, at, at,
        )  # fmt: skip


ANSWER_FIELDS = (
    "id",
    "run_id",
    "young_person_id",
    "conversation_id",
    "question_id",
    "area",
    "content_version",
    "locale",
    "status",
    "value",
    "score",
    "text",
    "voice_file_id",
    "confirmed",
    "answered_at",
    "updated_at",
)
RUN_FIELDS = (
    "id",
    "young_person_id",
    "conversation_id",
    "content_version",
    "locale",
    "status",
    "state",
    "started_at",
    "updated_at",
    "finished_at",
)


async def _fresh_schema(url: str) -> None:
    if url.startswith("postgresql"):
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    engine = create_engine(url)
    await migrate(engine)
    await engine.dispose()


def _plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def seed(url: str, count: int) -> float:
    """Children, runs and answers with bulk loads (COPY on PostgreSQL); returns seconds."""
    await _fresh_schema(url)
    people = _people(count)
    started = time.perf_counter()
    if url.startswith("postgresql"):
        connection = await asyncpg.connect(_plain_dsn(url))
        try:
            await connection.copy_records_to_table(
                "young_person",
                records=[
                    (i, name, "standard", True, False, "telegram", at) for i, name, at in people
                ],
                columns=[
                    "id",
                    "display_name",
                    "reading_mode",
                    "onboarded",
                    "paused",
                    "channel",
                    "created_at",
                ],
            )
            await connection.copy_records_to_table(
                "conversation_run",
                records=((*r[:6], json.dumps(r[6]), *r[7:]) for r in _run_rows(count)),
                columns=RUN_FIELDS,
            )
            await connection.copy_records_to_table(
                "answer", records=_answers(count), columns=ANSWER_FIELDS
            )
            await connection.execute(
                "INSERT INTO staff (email, name, role, password_hash, active, created_at) "
                "VALUES ('bench@council.example', 'bench', 'admin', 'x', true, now())"
            )
            await connection.execute("ANALYZE")
        finally:
            await connection.close()
    else:
        path = make_url(url).database
        assert path is not None
        db = sqlite3.connect(path)

        def stamp(at: datetime) -> str:
            return f"{at:%Y-%m-%d %H:%M:%S.%f}"

        with db:
            db.execute("PRAGMA synchronous=OFF")
            db.executemany(
                "INSERT INTO young_person (id, display_name, reading_mode, onboarded, paused, "
                "channel, created_at) VALUES (?, ?, 'standard', 1, 0, 'telegram', ?)",
                [(i, name, stamp(at)) for i, name, at in people],
            )
            db.executemany(
                f"INSERT INTO conversation_run ({', '.join(RUN_FIELDS)}) "
                f"VALUES ({', '.join('?' * len(RUN_FIELDS))})",
                ((*r[:6], "{}", *(stamp(t) for t in r[7:])) for r in _run_rows(count)),
            )
            db.executemany(
                f"INSERT INTO answer ({', '.join(ANSWER_FIELDS)}) "
                f"VALUES ({', '.join('?' * len(ANSWER_FIELDS))})",
                ((*a[:14], stamp(a[14]), stamp(a[15])) for a in _answers(count)),
            )
            db.execute(
                "INSERT INTO staff (email, name, role, password_hash, active, created_at) "
                "VALUES ('bench@council.example', 'bench', 'admin', 'x', 1, ?)",
                (stamp(T0),),
            )
        db.execute("ANALYZE")
        db.close()
    return time.perf_counter() - started


# -- one measured export, in a subprocess of its own --------------------------------------------


async def run_sayso(url: str, rows: int, fmt: str, out_dir: Path) -> dict[str, Any]:
    """The real background export: a job row, `Jobs.run`, a file on disk."""
    from core.answer_queries import AnswerFilter
    from core.config import Settings
    from core.content import load_library
    from core.exports import ExportSpec, Jobs, new_job

    settings = Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    library = load_library(settings.content_dir)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    until = (T0 + timedelta(seconds=rows)).isoformat()
    spec = ExportSpec(
        kind="answers",
        format=fmt,
        filter=AnswerFilter.from_json({"until": until}),
        include_text=False,
        min_group=5,
    )
    async with sessionmaker() as session:
        job = new_job(staff_id=1, spec=spec, reason="benchmark", rows_total=rows)
        session.add(job)
        await session.commit()
        assert job.id is not None
    jobs = Jobs(
        engine=engine,
        sessionmaker=sessionmaker,
        library=library,
        export_dir=out_dir,
        min_group=5,
        keep_hours=24,
    )
    before = _rss_mb()
    started = time.perf_counter()
    await jobs.run(job.id)
    seconds = time.perf_counter() - started
    async with sessionmaker() as session:
        from core.models import ExportJob

        done = await session.get(ExportJob, job.id)
        assert done is not None and done.status == "done", done
    await engine.dispose()
    return {"rows": done.rows_done, "seconds": seconds, "rss_before": before, "path": done.path}


async def run_copy(url: str, rows: int, out_dir: Path) -> dict[str, Any]:
    """PostgreSQL's own COPY ... TO STDOUT, the same columns and rows, into a file."""
    connection = await asyncpg.connect(_plain_dsn(url))
    until = T0 + timedelta(seconds=rows)
    target = out_dir / "copy.csv"
    before = _rss_mb()
    started = time.perf_counter()
    status = await connection.copy_from_query(
        f"SELECT {EXPORT_COLUMNS} FROM answer WHERE answered_at < $1 ORDER BY id",
        until,
        output=str(target),
        format="csv",
        header=True,
    )
    seconds = time.perf_counter() - started
    await connection.close()
    size = target.stat().st_size
    target.unlink()
    # The status is "COPY <rows>".
    return {
        "rows": int(status.split()[-1]),
        "seconds": seconds,
        "rss_before": before,
        "bytes": size,
    }


def run_sqlite_bare(url: str, rows: int, out_dir: Path) -> dict[str, Any]:
    """The least Python can do: one sqlite3 cursor into csv.writer."""
    import csv

    path = make_url(url).database
    assert path is not None
    db = sqlite3.connect(path)
    until = f"{T0 + timedelta(seconds=rows):%Y-%m-%d %H:%M:%S.%f}"
    target = out_dir / "bare.csv"
    before = _rss_mb()
    started = time.perf_counter()
    count = 0
    with target.open("w", newline="") as out:
        writer = csv.writer(out)
        cursor = db.execute(
            f"SELECT {EXPORT_COLUMNS} FROM answer WHERE answered_at < ? ORDER BY id", (until,)
        )
        while batch := cursor.fetchmany(2000):
            writer.writerows(batch)
            count += len(batch)
    seconds = time.perf_counter() - started
    db.close()
    size = target.stat().st_size
    target.unlink()
    return {"rows": count, "seconds": seconds, "rss_before": before, "bytes": size}


def child(args: argparse.Namespace) -> None:
    out_dir = Path(args.out)
    if args.child == "copy":
        result = asyncio.run(run_copy(args.url, args.rows, out_dir))
    elif args.child == "bare":
        result = run_sqlite_bare(args.url, args.rows, out_dir)
    else:
        result = asyncio.run(run_sayso(args.url, args.rows, args.child, out_dir))
    result["peak"] = _peak_mb()
    if "path" in result:
        written = Path(result.pop("path"))
        result["bytes"] = written.stat().st_size
        written.unlink()
    print(json.dumps(result))


def measure(what: str, url: str, rows: int, out_dir: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", what, "--url", url, "--rows", str(rows)]
    done = subprocess.run(
        [*command, "--out", str(out_dir)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def report(name: str, result: dict[str, Any]) -> float:
    rate = result["rows"] / result["seconds"]
    growth = result["peak"] - result["rss_before"]
    print(
        f"  {name:<34} {result['rows']:>9,} rows {result['seconds']:7.2f} s {rate:>10,.0f} rows/s"
        f"  peak RSS {result['peak']:6.1f} MB (export's growth {growth:+6.1f} MB)"
        f"  {result['bytes'] / 1e6:6.1f} MB file"
    )
    return rate


def bench(database: str, url: str, total: int, formats: list[str]) -> None:
    print(f"\n{database}: seeding {total:,} answers ...", flush=True)
    seconds = asyncio.run(seed(url, total))
    print(f"  seeded in {seconds:.1f} s ({total / seconds:,.0f} rows/s)")
    baseline = "copy" if database == "postgresql" else "bare"
    label = "COPY (SELECT ...) TO STDOUT CSV" if baseline == "copy" else "sqlite3 cursor -> csv"
    with tempfile.TemporaryDirectory() as out:
        for rows in sorted({max(1, total // 10), total}):
            print(f" {rows:,} rows:")
            base = report(f"baseline: {label}", measure(baseline, url, rows, Path(out)))
            for fmt in formats:
                ours = report(f"sayso export job ({fmt})", measure(fmt, url, rows, Path(out)))
                print(f"  {'':<34} ratio to baseline: {ours / base:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--sqlite-path", default=None, help="default: a temporary file")
    parser.add_argument("--formats", default="csv", help="comma-separated: csv,jsonl,xlsx")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    formats = [f for f in args.formats.split(",") if f]
    if args.database in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            path = args.sqlite_path or str(Path(tmp) / "bench.db")
            Path(path).unlink(missing_ok=True)
            bench("sqlite", f"sqlite+aiosqlite:///{path}", args.rows, formats)
    if args.database in ("postgresql", "both"):
        bench("postgresql", args.postgres_url, args.rows, formats)


if __name__ == "__main__":
    main()
