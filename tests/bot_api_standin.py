"""A local stand-in for the Telegram Bot API over real HTTP (aiohttp), for delivery tests and
the delivery benchmark. Per bot token, like Telegram: at most `per_second` messages in any
second (beyond that: 429 with retry_after, and the bot is refused until then), optional random
429s, and chats that answer 403 (blocked), 400 (chat not found) or 502."""

from __future__ import annotations

import math
import random
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Bot:
    """What one token's bot was sent, and how often it was told to wait."""

    arrivals: list[tuple[float, int, str]] = field(default_factory=list)
    window: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0
    enforced_429: int = 0
    injected_429: int = 0
    early: int = 0

    def texts(self) -> Counter[str]:
        return Counter(text for _, _, text in self.arrivals)


class StandIn:
    def __init__(
        self,
        *,
        per_second: int = 30,
        inject_429: float = 0.0,
        retry_after: int = 1,
        seed: int = 1,
        blocked: set[int] | None = None,
        missing: set[int] | None = None,
        failing: set[int] | None = None,
    ) -> None:
        self.per_second, self.inject_429, self.retry_after = per_second, inject_429, retry_after
        self.random = random.Random(seed)
        self.blocked, self.missing, self.failing = (
            blocked or set(),
            missing or set(),
            failing or set(),
        )
        self.bots: dict[str, Bot] = {}
        self._ids = 0
        self._runner: web.AppRunner | None = None
        self.url = ""

    def bot(self, token: str) -> Bot:
        return self.bots.setdefault(token, Bot())

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _wait(self, bot: Bot, now: float) -> web.Response:
        # Rounded first: (now + 1) - now is 1.0000000000000002 for some clock readings, and a
        # bare ceil made that 2 seconds now and then.
        seconds = max(1, math.ceil(round(bot.blocked_until - now, 6)))
        return _error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        if method != "sendmessage":
            return web.json_response({"ok": True, "result": True})
        now = time.monotonic()  # on arrival, before the body is read
        data = await request.post()
        bot = self.bot(request.match_info["token"])
        chat_id, text = int(str(data["chat_id"])), str(data["text"])
        if now < bot.blocked_until:
            bot.early += 1
            return self._wait(bot, now)
        while bot.window and bot.window[0] <= now - 1.0:
            bot.window.popleft()
        if len(bot.window) >= self.per_second:
            bot.enforced_429 += 1
            bot.blocked_until = now + self.retry_after
            return self._wait(bot, now)
        if self.inject_429 and self.random.random() < self.inject_429:
            bot.injected_429 += 1
            bot.blocked_until = now + self.retry_after
            return self._wait(bot, now)
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.missing:
            return _error(400, "Bad Request: chat not found")
        if chat_id in self.failing:
            return _error(502, "Bad Gateway")
        bot.window.append(now)
        bot.arrivals.append((now, chat_id, text))
        self._ids += 1
        message: dict[str, Any] = {
            "message_id": self._ids,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": text,
        }
        return web.json_response({"ok": True, "result": message})


def _error(status: int, description: str, **parameters: Any) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
