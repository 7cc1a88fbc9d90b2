"""Replays a realistic mix of updates (starts, taps, free text) through the real pipeline:
webhook endpoint, de-duplication, engine, storage, replies through a stub Bot API session.

Baseline, measured in the same run on the same kind of database: a bare aiogram dispatcher
behind the same kind of webhook endpoint, whose handler echoes and inserts one row.

    .venv/bin/python bench/updates.py [--children 60] [--rounds 3] [--database sqlite|postgresql]
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
from aiogram import Bot, Dispatcher
from aiogram.types import Message, Update
from fastapi import FastAPI, Request
from pydantic import SecretStr
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from api.runtime import Runtime, build_runtime
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


async def drive(
    client: httpx.AsyncClient,
    stub: StubSession,
    chat_ids: range,
    per_child: int,
    interval: float | None = None,
) -> list[float]:
    """Each child sends `per_child` updates in turn; returns the latency of every update."""
    latencies: list[float] = []

    async def one(chat_id: int) -> None:
        child = VirtualChild(chat_id, stub)
        start = time.perf_counter()
        for i in range(per_child):
            if interval is not None:
                await asyncio.sleep(max(0.0, start + i * interval - time.perf_counter()))
            update = child.next_update()
            began = time.perf_counter()
            response = await client.post("/telegram/webhook", json=update, headers=HEADERS)
            latencies.append(time.perf_counter() - began)
            assert response.status_code == 200, response.text

    await asyncio.gather(*(one(c) for c in chat_ids))
    return latencies


def baseline_app(database_url: str) -> tuple[FastAPI, StubSession, Any]:
    """A bare aiogram dispatcher: echo the text and insert one row."""
    stub = StubSession()
    bot = Bot("123456:bench", session=stub)
    engine = create_engine(database_url)
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO echo (chat_id, body) VALUES (:c, :b)"),
                {"c": message.chat.id, "b": message.text or ""},
            )
        await message.answer(message.text or "…")

    @dp.callback_query()
    async def tap(query: Any) -> None:
        async with engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO echo (chat_id, body) VALUES (:c, :b)"),
                {"c": query.from_user.id, "b": query.data or ""},
            )
        await bot.send_message(query.from_user.id, query.data or "…")

    app = FastAPI()

    @app.post("/telegram/webhook")
    async def webhook(request: Request) -> dict[str, bool]:
        update = Update.model_validate(await request.json(), context={"bot": bot})
        await dp.feed_update(bot, update)
        return {"ok": True}

    return app, stub, engine


async def baseline_drive(client: httpx.AsyncClient, chat_ids: range, per_child: int) -> list[float]:
    latencies: list[float] = []

    async def one(chat_id: int) -> None:
        for i in range(per_child):
            update = (
                text_update(chat_id, "hello") if i % 3 == 0 else tap_update(chat_id, "t:1:c:q:good")
            )
            began = time.perf_counter()
            await client.post("/telegram/webhook", json=update, headers=HEADERS)
            latencies.append(time.perf_counter() - began)

    await asyncio.gather(*(one(c) for c in chat_ids))
    return latencies


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=60)
    parser.add_argument("--per-child", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=200.0, help="updates/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database", default="sqlite")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="sayso-bench-"))
    url = (
        f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        if args.database == "sqlite"
        else "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )
    settings = Settings(
        _env_file=None,
        database_url=url,
        telegram_token="123456:bench",  # type: ignore[call-arg]
        webhook_url="https://bench.example.org",
        webhook_secret=SecretStr(SECRET),
    )
    stub = StubSession()
    runtime: Runtime = await build_runtime(settings, bot_session=stub)
    base_url = url.replace("bench.db", "baseline.db")  # its own file, as it would have
    base_app, _, base_engine = baseline_app(base_url)
    async with base_engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS echo (id INTEGER PRIMARY KEY, chat_id BIGINT, body TEXT)"
            )
        )
    ours_rates, base_rates, ours_lat, base_lat = [], [], [], []
    chat_base = 10_000
    async with _client(create_app(runtime)) as ours, _client(base_app) as base:
        for _ in range(args.rounds):
            chats = range(chat_base, chat_base + args.children)
            chat_base += args.children
            began = time.perf_counter()
            base_lat += await baseline_drive(base, chats, args.per_child)
            base_rates.append(args.children * args.per_child / (time.perf_counter() - began))
            began = time.perf_counter()
            ours_lat += await drive(ours, stub, chats, args.per_child)
            ours_rates.append(args.children * args.per_child / (time.perf_counter() - began))
        # Open loop at a fixed rate: `rate` children each sending one update a second.
        children = int(args.rate)
        chats = range(chat_base, chat_base + children)
        paced = await drive(ours, stub, chats, int(args.seconds), interval=1.0)
    ours_rate, base_rate = statistics.median(ours_rates), statistics.median(base_rates)
    print(
        f"database: {args.database}; {args.children} children x {args.per_child} updates x {args.rounds} rounds"
    )
    print(
        f"baseline (bare aiogram echo + 1 insert): {base_rate:8.0f} updates/s  p50 {_pct(base_lat, 0.5):6.1f} ms  p99 {_pct(base_lat, 0.99):6.1f} ms"
    )
    print(
        f"sayso full pipeline:                     {ours_rate:8.0f} updates/s  p50 {_pct(ours_lat, 0.5):6.1f} ms  p99 {_pct(ours_lat, 0.99):6.1f} ms"
    )
    print(
        f"ratio sayso / baseline (median of {args.rounds} rounds): {ours_rate / base_rate:.2f}  (target >= 0.70)"
    )
    print(
        f"paced at {args.rate:.0f} updates/s for {args.seconds:.0f} s ({len(paced)} updates): "
        f"p50 {_pct(paced, 0.5):.1f} ms  p99 {_pct(paced, 0.99):.1f} ms  (target p99 < 50 ms)"
    )
    answers = (
        await (await runtime.engine.connect()).execute(text("SELECT count(*) FROM answer"))
    ).scalar()
    print(f"answers stored: {answers}; messages sent: {len(stub.sent())}")
    await runtime.close()
    await base_engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
