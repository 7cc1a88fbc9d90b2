"""Delivery across real processes and real HTTP: `sayso worker` subprocesses send to a local
stand-in Bot API. Killed half-way and restarted, nothing is lost and at most the one message in
flight goes twice; two workers on one PostgreSQL database never send a message twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlmodel import select

from api.runtime import Runtime
from bot.outbox_sender import Piece, TelegramSender
from core.config import ROOT
from core.delivery import Rejected, RetryAfter, Transient, Unreachable
from core.models import OutboxMessage, YoungPerson
from core.outbox import enqueue
from tests.bot_api_standin import StandIn

TOKEN = "123456:TEST-token-for-tests"
WORKER = ROOT / "tests" / "delivery_process.py"


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    server = StandIn(blocked={403}, missing={400}, failing={502})
    await server.start()
    yield server
    await server.stop()


async def test_the_adapter_reads_real_bot_api_answers(standin: StandIn) -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(standin.url))
    sender = TelegramSender(Bot(TOKEN, session=session))
    try:
        assert await sender.send(7, Piece("hello")) == 1
        with pytest.raises(Unreachable, match="blocked"):
            await sender.send(403, Piece("hello"))
        with pytest.raises(Rejected, match="chat not found"):
            await sender.send(400, Piece("hello"))
        with pytest.raises(Transient, match="Bad Gateway"):
            await sender.send(502, Piece("hello"))
        standin.inject_429 = 1.0
        with pytest.raises(RetryAfter) as flood:
            await sender.send(7, Piece("hello"))
        assert flood.value.seconds == 1
    finally:
        await session.close()
    nowhere = AiohttpSession(api=TelegramAPIServer.from_base("http://127.0.0.1:9"))
    try:
        with pytest.raises(Transient):
            await TelegramSender(Bot(TOKEN, session=nowhere)).send(7, Piece("hello"))
    finally:
        await nowhere.close()


def _environment(runtime: Runtime, standin: StandIn, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAYSO_")}
    env.update(
        SAYSO_DATABASE_URL=runtime.settings.database_url,
        SAYSO_TELEGRAM_TOKEN=TOKEN,
        SAYSO_TELEGRAM_API_URL=standin.url,
        **extra,
    )
    return env


async def _spawn(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER), env=env, cwd=log.parent, stdout=out, stderr=out
        )


async def _until(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds * 20)):
        if await condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def _messages(runtime: Runtime, count: int) -> set[str]:
    """`count` children with one message each; the texts they will read."""
    async with runtime.sessionmaker() as session:
        children = [YoungPerson(telegram_chat_id=20_000 + n) for n in range(count)]
        session.add_all(children)
        await session.flush()
        for n, child in enumerate(children):
            assert child.id is not None
            enqueue(session, young_person_id=child.id, kind="reply", payload={"n": n})
        await session.commit()
    return {f"message {n}" for n in range(count)}


async def _all_sent(runtime: Runtime) -> list[OutboxMessage]:
    async with runtime.sessionmaker() as session:
        return list((await session.exec(select(OutboxMessage))).all())


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)


async def test_a_worker_killed_half_way_and_restarted_loses_nothing(
    runtime: Runtime, standin: StandIn, tmp_path: Path
) -> None:
    expected = await _messages(runtime, 40)
    env = _environment(runtime, standin, SAYSO_SEND_PER_SECOND="20", SAYSO_SEND_LEASE_SECONDS="3")
    log, bot = tmp_path / "worker.log", standin.bot(TOKEN)

    first = await _spawn(env, log)
    try:
        await _until(lambda: _at_least(bot.arrivals, 15), 240, "the first half")
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    at_kill = len(bot.arrivals)
    assert at_kill < 40, "the worker finished before it could be killed"

    second = await _spawn(env, log)
    try:

        async def done() -> bool:
            if set(bot.texts()) != expected:  # cheap first: the database is the worker's too
                return False
            return all(r.status == "sent" for r in await _all_sent(runtime))

        await _until(done, 240, f"every message (log: {log.read_text()[-2000:]})")
    finally:
        await _stop(second)

    counts = bot.texts()
    repeated = {text: n for text, n in counts.items() if n > 1}
    assert set(counts) == expected
    assert sum(counts.values()) - len(expected) <= 1, repeated  # at most the one in flight


async def _at_least(items: list[object], count: int) -> bool:
    return len(items) >= count


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_workers_on_one_postgresql_never_send_a_message_twice(
    runtime: Runtime, standin: StandIn, tmp_path: Path
) -> None:
    env = _environment(runtime, standin, SAYSO_SEND_PER_SECOND="30")
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    workers = [await _spawn(env, log) for log in logs]
    try:

        async def ready() -> bool:
            return all(log.exists() and "worker started" in log.read_text() for log in logs)

        await _until(ready, 240, "both workers to start")
        expected = await _messages(runtime, 150)
        bot = standin.bot(TOKEN)

        async def done() -> bool:
            if set(bot.texts()) != expected:  # cheap first: the database is the worker's too
                return False
            return all(r.status == "sent" for r in await _all_sent(runtime))

        await _until(done, 120, "every message")
    finally:
        for process in workers:
            await _stop(process)

    counts = bot.texts()
    assert set(counts) == expected
    assert max(counts.values()) == 1, {t: n for t, n in counts.items() if n > 1}
    senders = {row.claimed_by for row in await _all_sent(runtime)}
    assert len(senders) == 2  # both really took part
