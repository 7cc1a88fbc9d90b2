"""The real polling loop against a local stand-in for the Bot API (SAYSO_TELEGRAM_API_URL)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from api.runtime import Runtime, build_runtime
from api.telegram import Polling, start_bot
from core.config import Settings
from core.models import ProcessedUpdate, YoungPerson
from tests.faults import counting_writes


class FakeBotApi:
    """Answers getMe/getUpdates/sendMessage like Telegram, and hands out one /start.

    Long polling as Telegram does it: getUpdates waits up to its `timeout` for news, and a long
    poll that its client dropped (a process that stopped mid-wait) still holds the bot's slot
    until that timeout ends: any getUpdates meanwhile is refused with 409 Conflict."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.updates = [
            {
                "update_id": 900001,
                "message": {
                    "message_id": 1,
                    "date": 1700000000,
                    "text": "/start",
                    "chat": {"id": 77, "type": "private"},
                    "from": {"id": 77, "is_bot": False, "first_name": "T", "language_code": "cy"},
                },
            }
        ]
        self.got_message = asyncio.Event()
        self.calls: list[tuple[float, str]] = []  # (when, "getUpdates" / "getUpdates 409" ...)
        self.held_until = 0.0
        self.throttle_commands = False
        self.accepted = asyncio.Event()  # set at each getUpdates Telegram accepts

    def polled(self, since: float = 0.0) -> list[float]:
        return [at for at, what in self.calls if what == "getUpdates" and at >= since]

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = dict(await request.post())
        now = time.monotonic()
        if method == "getMe":
            result: Any = {"id": 1, "is_bot": True, "first_name": "sayso", "username": "sayso_bot"}
        elif method == "getUpdates":
            if self.held_until > now:
                self.calls.append((now, "getUpdates 409"))
                description = "Conflict: terminated by other getUpdates request"
                body = {"ok": False, "error_code": 409, "description": description}
                return web.json_response(body, status=409)
            self.calls.append((now, "getUpdates"))
            self.accepted.set()
            result, self.updates = self.updates, []
            if not result:
                wait = float(form.get("timeout") or 0)
                self.held_until = now + wait
                await asyncio.sleep(wait)  # cancelled if the client goes: the slot stays held
                self.held_until = 0.0
        elif method == "setMyCommands" and self.throttle_commands:
            self.calls.append((now, method))
            body = {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 30",
                "parameters": {"retry_after": 30},
            }
            return web.json_response(body, status=429)
        elif method == "sendMessage":
            self.sent.append(form)
            self.got_message.set()
            result = {
                "message_id": len(self.sent),
                "date": 1700000000,
                "text": form["text"],
                "chat": {"id": int(form["chat_id"]), "type": "private"},
            }
        else:
            result = True
        if method != "getUpdates":
            self.calls.append((now, method))
        return web.json_response({"ok": True, "result": result})


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = FakeBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api.url = f"http://127.0.0.1:{port}"  # type: ignore[attr-defined]
    yield api
    await runner.cleanup()


async def _runtime(settings: Settings, fake: FakeBotApi) -> Runtime:
    return await build_runtime(
        settings.model_copy(update={"telegram_api_url": fake.url})  # type: ignore[attr-defined]
    )


async def _stop(polling: Polling | None, runtime: Runtime) -> None:
    assert polling is not None
    await polling.stop()
    await runtime.close()


async def test_bot_polls_a_custom_bot_api_server(settings: Settings, fake: FakeBotApi) -> None:
    runtime = await _runtime(settings, fake)
    polling = await start_bot(runtime)
    try:
        await asyncio.wait_for(fake.got_message.wait(), timeout=20)
        assert fake.sent[0]["chat_id"] == "77"
        assert (
            "sayso" in fake.sent[0]["text"] and "I am sayso" not in fake.sent[0]["text"]
        )  # in Welsh
    finally:
        await _stop(polling, runtime)


async def _polling(fake: FakeBotApi, since: float = 0.0, within: float = 10.0) -> float:
    """Seconds from `since` until Telegram accepted a getUpdates (a long poll under way)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        fake.accepted.clear()
        if fake.polled(since):
            break
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(fake.accepted.wait(), deadline - time.monotonic())
    assert fake.polled(since), f"never polled; calls: {fake.calls}"
    return fake.polled(since)[0] - since


async def test_a_clean_stop_ends_polling_without_an_error(
    settings: Settings, fake: FakeBotApi, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = await _runtime(settings, fake)
    polling = await start_bot(runtime)
    await asyncio.wait_for(fake.got_message.wait(), timeout=20)
    await _polling(fake, since=time.monotonic())  # a long poll is waiting at Telegram
    caplog.set_level(logging.INFO)

    await _stop(polling, runtime)
    stopped = time.monotonic()
    await asyncio.sleep(0.5)

    assert polling is not None and polling.task.done()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert not fake.polled(since=stopped)  # nothing left polling on a closed session


async def test_a_restarted_bot_polls_again_within_three_seconds(
    settings: Settings, fake: FakeBotApi
) -> None:
    """The long poll the stopped process leaves behind holds Telegram's slot until it would
    have ended; the next process must not wait long for it, nor for its command menus."""
    first = await _runtime(settings, fake)
    polling = await start_bot(first)
    await asyncio.wait_for(fake.got_message.wait(), timeout=20)
    await _polling(fake, since=time.monotonic())
    await _stop(polling, first)

    fake.throttle_commands = True  # Telegram throttles the menus after a few restarts
    again = time.monotonic()
    second = await _runtime(settings, fake)
    polling = await start_bot(second)
    try:
        assert await _polling(fake, since=again) < 3.0
    finally:
        await _stop(polling, second)


@pytest.mark.parametrize("failing_write", [0, 2])
async def test_a_polled_turn_that_fails_is_done_again_whole_in_this_process(
    settings: Settings, fake: FakeBotApi, caplog: pytest.LogCaptureFixture, failing_write: int
) -> None:
    """Polling confirms an update when it fetches it: Telegram never sends it again, so a
    failed turn (here one of its database writes) must be retried here, or the child's
    words are lost."""
    runtime = await _runtime(settings, fake)
    with counting_writes(runtime.engine, fail_at=failing_write) as writes:
        polling = await start_bot(runtime)
        try:
            await asyncio.wait_for(fake.got_message.wait(), timeout=20)
        except TimeoutError:
            await _stop(polling, runtime)
            raise
    try:
        assert writes.fail_at is None  # the fault happened
        assert len([m for m in fake.sent if m["chat_id"] == "77"]) == 1  # welcomed once
        async with runtime.sessionmaker() as session:
            children = await session.scalar(select(func.count()).select_from(YoungPerson))
            assert children == 1
            assert await session.get(ProcessedUpdate, 900001) is not None
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("update 900001 failed; the whole turn again" in w for w in warnings)
    finally:
        await _stop(polling, runtime)
