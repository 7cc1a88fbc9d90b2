"""Delivery benchmark: N "you said, we did" messages through the real `sayso worker` (its own
process) to a local stand-in Bot API that enforces 30 messages/s per bot (429 with retry_after
beyond it, and the bot refused until then) and injects random 429s. Three runs, one after the
other, each with its own bot token and database:

  baseline   a bare loop in this process that POSTs the same messages as fast as the same
             limiter allows (no database, no outbox, no rendering)
  sayso      the outbox worker, start to finish
  killed     the outbox worker, SIGKILLed half-way and started again at once

For each: messages/s over first to last arrival, as a fraction of the limit (target >= 0.95),
lost and repeated messages (targets 0 and 0; after a kill, at most the one in flight).

    .venv/bin/python bench/delivery.py                      # 10,000 messages, SQLite
    .venv/bin/python bench/delivery.py --messages 1000      # a quick look
    .venv/bin/python bench/delivery.py --database-url postgresql+asyncpg://postgres@127.0.0.1/bench
      (PostgreSQL: the database's public schema is emptied before each run)
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.runtime import build_runtime
from core.config import ROOT, Settings
from core.delivery import Clock, Pacer
from core.models import OutboxMessage, YoungPerson
from core.outbox import enqueue
from tests.bot_api_standin import StandIn

WORKER = ROOT / "tests" / "delivery_process.py"
FIRST_CHAT = 100_000


@dataclass
class Result:
    name: str
    accepted: int
    unique: int
    expected: int
    seconds: float
    enforced_429: int
    injected_429: int
    note: str = ""

    def rate(self) -> float:
        """Over whole windows: N messages spread over s seconds fill s + 1 one-second windows
        (so a sender that keeps to the limit never scores above it)."""
        return self.accepted / (self.seconds + 1.0)


def measure(standin: StandIn, token: str, name: str, expected: int, note: str = "") -> Result:
    bot = standin.bot(token)
    times = [at for at, _, _ in bot.arrivals]
    texts = bot.texts()
    return Result(
        name,
        accepted=len(times),
        unique=len(set(texts) & {f"message {n}" for n in range(expected)}),
        expected=expected,
        seconds=(max(times) - min(times)) if times else 0.0,
        enforced_429=bot.enforced_429 + bot.early,
        injected_429=bot.injected_429,
        note=note,
    )


# -- the baseline: a bare loop ------------------------------------------------------------------


async def baseline(args: argparse.Namespace, standin: StandIn, token: str) -> Result:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        send_per_second=args.rate,
        redis_url=None,
    )
    pacer = Pacer(settings, Clock())
    url = f"{standin.url}/bot{token}/sendMessage"
    async with aiohttp.ClientSession() as http:
        for n in range(args.messages):
            chat = FIRST_CHAT + n % args.children
            while True:
                await pacer.turn(chat)
                form = {"chat_id": str(chat), "text": f"message {n}"}
                async with http.post(url, data=form) as response:
                    body = await response.json()
                if body["ok"]:
                    await pacer.answered(chat)
                    break
                pacer.pause(body.get("parameters", {}).get("retry_after", 1))
    return measure(standin, token, "baseline (bare loop)", args.messages)


# -- sayso: the real worker -----------------------------------------------------------------------


async def prepare(args: argparse.Namespace, url: str) -> None:
    """A fresh database with the children and their messages, due now."""
    if not url.startswith("sqlite"):
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    runtime = await build_runtime(Settings(_env_file=None, database_url=url, redis_url=None))  # type: ignore[call-arg]
    try:
        async with runtime.sessionmaker() as session:
            children = [
                YoungPerson(telegram_chat_id=FIRST_CHAT + i, onboarded=True)
                for i in range(args.children)
            ]
            session.add_all(children)
            await session.flush()
            ids = [child.id for child in children]
            for n in range(args.messages):
                child_id = ids[n % args.children]
                assert child_id is not None
                enqueue(session, young_person_id=child_id, kind="reply", payload={"n": n})
            await session.commit()
    finally:
        await runtime.close()


async def until(condition: Callable[[], bool]) -> None:
    for _ in itertools.count():
        if condition():
            return
        await asyncio.sleep(0.01)


async def unfinished(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            query = select(func.count()).where(
                OutboxMessage.__table__.c.status.in_(["pending", "sending"])  # type: ignore[attr-defined]
            )
            return int((await connection.execute(query)).scalar_one())
    finally:
        await engine.dispose()


async def spawn(args: argparse.Namespace, url: str, api: str, token: str, log: Path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAYSO_")}
    env.update(
        SAYSO_DATABASE_URL=url,
        SAYSO_TELEGRAM_TOKEN=token,
        SAYSO_TELEGRAM_API_URL=api,
        SAYSO_SEND_PER_SECOND=str(args.rate),
        SAYSO_SEND_LEASE_SECONDS=str(args.lease),
    )
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER), env=env, cwd=log.parent, stdout=out, stderr=out
        )


async def sayso(
    args: argparse.Namespace, standin: StandIn, token: str, workdir: Path, *, kill: bool
) -> Result:
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / (token.split(':')[1] + '.db')}"
    await prepare(args, url)
    bot, log = standin.bot(token), workdir / f"{token.split(':')[1]}.log"
    started = time.monotonic()
    process = await spawn(args, url, standin.url, token, log)
    await until(lambda: bool(bot.arrivals))
    note = f"first message {time.monotonic() - started:.1f} s after start"
    if kill:
        await until(lambda: len(bot.arrivals) >= args.messages // 2)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        killed_at, stopped = len(bot.arrivals), time.monotonic()
        process = await spawn(args, url, standin.url, token, log)
        await until(lambda: len(bot.arrivals) > killed_at)
        note += f"; killed at {killed_at}, sending again {time.monotonic() - stopped:.1f} s later"
    try:
        expected = {f"message {n}" for n in range(args.messages)}
        while True:
            await asyncio.sleep(0.5)
            # cheap checks first: this process is also the stand-in, and must answer on time
            if len(bot.arrivals) < args.messages or not set(bot.texts()) >= expected:
                continue
            if await unfinished(url) == 0:
                break
            if process.returncode is not None:
                raise SystemExit(f"the worker stopped; see {log}")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()
    name = "sayso, killed + restarted" if kill else "sayso worker"
    return measure(standin, token, name, args.messages, note)


def report(args: argparse.Namespace, results: list[Result], database: str) -> None:
    print(
        f"\n{args.messages} messages to {args.children} children; stand-in limit {args.rate}/s "
        f"per bot; random 429s p={args.inject_429} (retry_after {args.retry_after} s); "
        f"{database}; lease {args.lease} s\n"
    )
    head = f"{'run':28} {'msg/s':>7} {'of limit':>9} {'lost':>5} {'repeated':>9} {'429 over/injected':>18} {'time':>7}"
    print(head)
    for r in results:
        print(
            f"{r.name:28} {r.rate():7.2f} {r.rate() / args.rate:9.3f} {r.expected - r.unique:5d} "
            f"{r.accepted - r.unique:9d} {f'{r.enforced_429}/{r.injected_429}':>18} {r.seconds:6.0f}s"
            + (f"   {r.note}" if r.note else "")
        )
    base = results[0].rate()
    for r in results[1:]:
        print(f"ratio {r.name} / baseline: {r.rate() / base:.3f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--children", type=int, default=2_000)
    parser.add_argument("--rate", type=int, default=30, help="the stand-in's limit, and ours")
    parser.add_argument("--inject-429", type=float, default=0.001, help="chance per message")
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--lease", type=float, default=15, help="SAYSO_SEND_LEASE_SECONDS")
    parser.add_argument("--database-url", help="PostgreSQL (emptied first); default SQLite")
    parser.add_argument("--only", choices=["baseline", "sayso", "killed"], action="append")
    args = parser.parse_args()
    runs = args.only or ["baseline", "sayso", "killed"]
    standin = StandIn(
        per_second=args.rate, inject_429=args.inject_429, retry_after=args.retry_after
    )
    await standin.start()
    results = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n, run in enumerate(runs):
                token = f"{100_001 + n}:bench-{run}"
                print(f"running {run} ...", flush=True)
                if run == "baseline":
                    results.append(await baseline(args, standin, token))
                else:
                    results.append(
                        await sayso(args, standin, token, Path(tmp), kill=run == "killed")
                    )
    finally:
        await standin.stop()
    report(args, results, "PostgreSQL" if args.database_url else "SQLite")


if __name__ == "__main__":
    asyncio.run(main())
