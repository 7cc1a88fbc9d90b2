"""Replays a realistic mix of updates (starts, taps, free text) through the real pipeline:
webhook endpoint, de-duplication, engine, storage, replies through a stub Bot API session.

Baseline, measured in the same run on the same kind of database: a bare aiogram dispatcher
behind the same kind of webhook endpoint, whose handler echoes and inserts one row.

    .venv/bin/python bench/updates.py [--children 60] [--rounds 5] [--database sqlite|postgresql]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/yours]

Wall time on a shared machine is noisy: the CPU time each side used, per update, is printed too
(process time, both sides in the same process and run), and its ratio is the steadier figure.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from aiogram import Bot, Dispatcher, Router
from aiogram.types import Message, Update
from fastapi import FastAPI, Request
from pydantic import SecretStr
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from api.runtime import Runtime, build_runtime, settle_memory
from bot.factory import create_dispatcher
from core.config import Settings
from core.db import create_engine
from tests.telegram_stub import StubSession

SECRET = "bench-secret-0123456789abcdef"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
_ids = itertools.count(1)


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "B", "language_code": "en"}


def text_update(chat_id: int, words: str) -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "date": 1700000000,
            "text": words,
            "chat": {"id": chat_id, "type": "private"},
            "from": _user(chat_id),
        },
    }


def tap_update(chat_id: int, data: str) -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "callback_query": {
            "id": str(next(_ids)),
            "from": _user(chat_id),
            "chat_instance": "b",
            "data": data,
            "message": {
                "message_id": 1,
                "date": 1700000000,
                "chat": {"id": chat_id, "type": "private"},
            },
        },
    }


class VirtualChild:
    """Chooses each next update from what the bot last sent, like a real child would."""

    def __init__(self, chat_id: int, stub: StubSession) -> None:
        self.chat_id, self.stub, self.step = chat_id, stub, 0

    def _buttons(self) -> list[tuple[str, str]]:
        for reply in reversed(self.stub.sent(self.chat_id)):
            rows = getattr(reply.reply_markup, "inline_keyboard", None)
            if rows:
                return [(b.text, b.callback_data or "") for row in rows for b in row]
        return []

    def _tap(self, *labels: str) -> dict[str, Any]:
        buttons = self._buttons()
        for label in labels:
            for shown, data in buttons:
                if label in shown:
                    return tap_update(self.chat_id, data)
        return text_update(self.chat_id, "/feedback")

    def next_update(self) -> dict[str, Any]:
        self.step += 1
        last = self.stub.sent(self.chat_id)[-1].text if self.stub.sent(self.chat_id) else ""
        if self.step == 1:
            return text_update(self.chat_id, "/start")
        if "What would you like to tell us about?" in last:
            return self._tap("How are we doing?", "How's life?")
        if "Do you want to tell us more?" in last:
            return text_update(
                self.chat_id, "My worker is kind but I never know when they will visit."
            )
        if "type more, or tap Next" in last or "▶️ Next" in str(self._buttons()[:1]):
            return self._tap("▶️ Next")
        if "Did I get this right?" in last:
            return self._tap("✅ Yes")
        faces = ("🙂 Good", "😀 Great", "😐 OK", "😢 Awful")
        if any(face == b for b, _ in self._buttons() for face in faces):
            return self._tap(faces[self.step % len(faces)])
        return self._tap("⏭️ Skip", "▶️ Next")


class Timed:
    """ASGI wrapper: how long the app takes over each request, arrival to response."""

    def __init__(self, app: Any) -> None:
        self.app, self.seconds = app, []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        began = time.perf_counter()
        await self.app(scope, receive, send)
        self.seconds.append(time.perf_counter() - began)


async def drive(
    client: httpx.AsyncClient,
    stub: StubSession,
    chat_ids: range,
    per_child: int,
    interval: float | None = None,
) -> dict[int, list[dict[str, Any]]]:
    """Each child sends `per_child` updates in turn, choosing from the bot's last reply.
    Returns what each child sent, so the baseline can be sent exactly the same."""
    sent: dict[int, list[dict[str, Any]]] = {}

    began = time.perf_counter()

    async def one(chat_id: int) -> None:
        child, log = VirtualChild(chat_id, stub), sent.setdefault(chat_id, [])
        # Spread the children evenly over the interval: arrivals at a steady rate, not bursts.
        start = began + (interval or 0.0) * (chat_id - chat_ids.start) / len(chat_ids)
        for i in range(per_child):
            if interval is not None:
                await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
            update = child.next_update()
            log.append(update)
            response = await client.post("/telegram/webhook", json=update, headers=HEADERS)
            assert response.status_code == 200, response.text

    await asyncio.gather(*(one(c) for c in chat_ids))
    return sent


async def replay(
    client: httpx.AsyncClient, recorded: dict[int, list[dict[str, Any]]], id_offset: int = 0
) -> None:
    """The same updates, in the same per-child order and concurrency. `id_offset` moves the
    update ids for a pipeline that shares sayso's database (else its dedup drops them all)."""

    async def one(updates: list[dict[str, Any]]) -> None:
        for update in updates:
            if id_offset:
                update = {**update, "update_id": update["update_id"] + id_offset}
            await client.post("/telegram/webhook", json=update, headers=HEADERS)

    await asyncio.gather(*(one(u) for u in recorded.values()))


def baseline_app(database_url: str) -> tuple[FastAPI, Any]:
    """A bare aiogram dispatcher: echo the text and insert one row."""
    stub = StubSession(keep=1)
    bot = Bot("123456:bench", session=stub)
    engine = create_engine(database_url)
    dp = Dispatcher()

    async def echo(chat_id: int, body: str) -> None:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO echo (chat_id, body) VALUES (:c, :b)"), {"c": chat_id, "b": body}
            )
        await bot.send_message(chat_id, body or "…")

    @dp.message()
    async def on_message(message: Message) -> None:
        await echo(message.chat.id, message.text or "")

    @dp.callback_query()
    async def on_tap(query: Any) -> None:
        await echo(query.from_user.id, query.data or "")

    app = FastAPI()

    @app.post("/telegram/webhook")
    async def webhook(request: Request) -> dict[str, bool]:
        update = Update.model_validate(await request.json(), context={"bot": bot})
        await dp.feed_update(bot, update)
        return {"ok": True}

    return app, engine


def skeleton_router() -> Router:
    """sayso's plumbing with the baseline's handler: what dedup, the child's lookup, the locale
    and the update's transaction cost before any conversation happens."""
    router = Router(name="skeleton")

    @router.message()
    async def on_message(message: Message, bot: Bot) -> None:
        await bot.send_message(message.chat.id, message.text or "…")

    @router.callback_query()
    async def on_tap(query: Any, bot: Bot) -> None:
        await bot.send_message(query.from_user.id, query.data or "…")

    return router


async def skeleton_app(settings: Settings) -> tuple[FastAPI, Runtime]:
    """On sayso's own database (its children and runs), with update ids moved (see replay)."""
    runtime = await build_runtime(settings, bot_session=StubSession(keep=1))
    runtime.dispatcher = create_dispatcher(
        services=runtime.services,
        sessionmaker=runtime.sessionmaker,
        i18n=runtime.i18n,
        routers=[skeleton_router()],
    )
    return create_app(runtime), runtime


async def _empty_postgres(url: str) -> None:
    """Update ids restart at 1 each run: old processed ids would swallow them."""
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _rate(updates: int, seconds: float) -> float:
    return updates / seconds if seconds else 0.0


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=60)
    parser.add_argument("--per-child", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rate", type=float, default=200.0, help="updates/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--database-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help="with --database postgresql: a database whose public schema may be dropped",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sayso-bench-"))
    if args.database == "sqlite":
        url, base_url = (
            f"sqlite+aiosqlite:///{workdir / name}" for name in ("sayso.db", "baseline.db")
        )
    else:
        url = base_url = args.database_url
        await _empty_postgres(url)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        telegram_token="123456:bench",
        webhook_url="https://bench.example.org",
        webhook_secret=SecretStr(SECRET),
    )
    stub = StubSession(keep=4)
    runtime: Runtime = await build_runtime(settings, bot_session=stub)
    base_app, base_engine = baseline_app(base_url)
    async with base_engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE IF NOT EXISTS echo (chat_id BIGINT, body TEXT)")
        )
    skeleton, skeleton_runtime = await skeleton_app(settings)
    ours_app, base_timed = Timed(create_app(runtime)), Timed(base_app)
    settle_memory()  # as `sayso serve` does
    ours_rates, base_rates, chat_base = [], [], 10_000
    ours_cpu, base_cpu, skeleton_cpu = [], [], []
    total = args.children * args.per_child
    async with (
        _client(ours_app) as ours,
        _client(base_timed) as base,
        _client(skeleton) as bones,
    ):
        for _ in range(args.rounds):
            chats = range(chat_base, chat_base + args.children)
            chat_base += args.children
            began, cpu = time.perf_counter(), time.process_time()
            recorded = await drive(ours, stub, chats, args.per_child)
            ours_rates.append(_rate(total, time.perf_counter() - began))
            ours_cpu.append((time.process_time() - cpu) / total)
            began, cpu = time.perf_counter(), time.process_time()
            await replay(base, recorded)
            base_rates.append(_rate(total, time.perf_counter() - began))
            base_cpu.append((time.process_time() - cpu) / total)
            cpu = time.process_time()
            await replay(bones, recorded, id_offset=1_000_000_000)
            skeleton_cpu.append((time.process_time() - cpu) / total)
        closed_loop = list(ours_app.seconds)
        ours_app.seconds.clear()
        # Open loop: `rate` children, each sending one update a second.
        chats = range(chat_base, chat_base + int(args.rate))
        await drive(ours, stub, chats, int(args.seconds), interval=1.0)
    paced = ours_app.seconds
    ours_rate, base_rate = statistics.median(ours_rates), statistics.median(base_rates)
    print(
        f"database: {args.database}; {args.children} children x {args.per_child} updates, {args.rounds} rounds; "
        "the baseline gets exactly the same updates"
    )
    print(
        f"baseline (bare aiogram, echo + 1 insert): {base_rate:7.0f} updates/s   processing p50 "
        f"{_pct(base_timed.seconds, 0.5):6.2f} ms  p99 {_pct(base_timed.seconds, 0.99):7.2f} ms"
    )
    print(
        f"sayso (webhook, dedup, engine, storage):  {ours_rate:7.0f} updates/s   processing p50 "
        f"{_pct(closed_loop, 0.5):6.2f} ms  p99 {_pct(closed_loop, 0.99):7.2f} ms"
    )
    print(
        f"ratio sayso / baseline, median of {args.rounds} rounds: {ours_rate / base_rate:.2f}  (target >= 0.70)"
    )
    ours_ms, base_ms = statistics.median(ours_cpu) * 1000, statistics.median(base_cpu) * 1000
    print(
        f"CPU time per update, median of {args.rounds} rounds (client included, both sides): "
        f"sayso {ours_ms:.2f} ms, baseline {base_ms:.2f} ms, ratio {base_ms / ours_ms:.2f}"
    )
    bones_ms = statistics.median(skeleton_cpu) * 1000
    print(
        f"  of which sayso's plumbing alone (webhook, dedup, child lookup, locale, transaction; "
        f"the baseline's echo as handler): {bones_ms:.2f} ms, ratio {base_ms / bones_ms:.2f}"
    )
    print(
        f"open loop at {args.rate:.0f} updates/s for {args.seconds:.0f} s ({len(paced)} updates): processing "
        f"p50 {_pct(paced, 0.5):.2f} ms  p99 {_pct(paced, 0.99):.2f} ms  (target p99 < 50 ms)"
    )
    async with runtime.engine.connect() as connection:
        answers = (await connection.execute(text("SELECT count(*) FROM answer"))).scalar()
    print(f"answers stored: {answers}")
    await runtime.close()
    await skeleton_runtime.close()
    await base_engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
