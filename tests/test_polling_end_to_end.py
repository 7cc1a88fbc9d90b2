"""The real polling loop against a local stand-in for the Bot API (SAYSO_TELEGRAM_API_URL)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from api.runtime import build_runtime
from api.telegram import start_bot
from core.config import Settings


class FakeBotApi:
    """Answers getMe/getUpdates/sendMessage like Telegram, and hands out one /start."""

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

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = dict(await request.post())
        if method == "getMe":
            result: Any = {"id": 1, "is_bot": True, "first_name": "sayso", "username": "sayso_bot"}
        elif method == "getUpdates":
            result, self.updates = self.updates, []
            if not result:
                await asyncio.sleep(0.05)
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
        return web.json_response({"ok": True, "result": result})


async def test_bot_polls_a_custom_bot_api_server(settings: Settings) -> None:
    fake = FakeBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    runtime = await build_runtime(
        settings.model_copy(update={"telegram_api_url": f"http://127.0.0.1:{port}"})
    )
    polling = await start_bot(runtime)
    try:
        await asyncio.wait_for(fake.got_message.wait(), timeout=20)
        assert fake.sent[0]["chat_id"] == "77"
        assert (
            "sayso" in fake.sent[0]["text"] and "I am sayso" not in fake.sent[0]["text"]
        )  # in Welsh
    finally:
        assert polling is not None
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await runtime.close()
        await runner.cleanup()
