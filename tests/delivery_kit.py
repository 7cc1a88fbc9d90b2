"""Helpers for delivery tests: a fake clock (shared with the `limits` windows), a Bot API
session that answers from a script, children with chat ids, and outbox rows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import limits.aio.storage.memory
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage, TelegramMethod
from sqlmodel import select

from api.runtime import Runtime
from bot.factory import create_bot
from bot.outbox_sender import TelegramSender
from core import proactive
from core.delivery import Clock, Delivery
from core.models import OutboxMessage
from core.outbox import enqueue
from core.render import Message
from tests.staff import add_child
from tests.telegram_stub import StubSession


class FakeClock(Clock):
    """Time moves only when someone sleeps, so pacing is checked exactly and instantly."""

    def __init__(self) -> None:
        self.t = time.time()

    def time(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.t += seconds


class ScriptedSession(StubSession):
    """Answers each chat's sends from its script ("429", "500", "net", "403", "400"; then
    "ok" once the script runs out), and notes when each message really went."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.script: dict[int, list[str]] = {}
        self.went: list[tuple[float, int, str]] = []
        self.refused: list[tuple[float, int, str]] = []
        # A slow Bot API: called while a send to a chat is on its way (before it is answered),
        # so something can happen meanwhile; each hook runs once.
        self.while_sending: dict[int, Callable[[], Awaitable[object]]] = {}

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        if isinstance(method, SendMessage):
            chat = int(method.chat_id)
            if (meanwhile := self.while_sending.pop(chat, None)) is not None:
                await meanwhile()
            plan = self.script.get(chat) or []
            outcome = plan.pop(0) if plan else "ok"
            if outcome != "ok":
                self.refused.append((self.clock.time(), chat, outcome))
                raise _refusal(outcome, method)
            self.went.append((self.clock.time(), chat, method.text))
        return await super().make_request(bot, method, timeout)


def _refusal(outcome: str, method: SendMessage) -> Exception:
    if outcome == "429":
        return TelegramRetryAfter(
            method=method, message="Too Many Requests: retry after 3", retry_after=3
        )
    if outcome == "500":
        return TelegramServerError(method=method, message="Bad Gateway")
    if outcome == "net":
        return TelegramNetworkError(method=method, message="Connection reset")
    if outcome == "403":
        return TelegramForbiddenError(
            method=method, message="Forbidden: bot was blocked by the user"
        )
    return TelegramBadRequest(method=method, message="Bad Request: chat not found")


async def numbered(occasion: proactive.Occasion) -> list[Message] | None:
    """The test renderer: "message <n> (<language>)"; None when the payload says it is moot."""
    payload = occasion.message.payload
    if payload.get("moot"):
        return None
    text = f"message {payload['n']} ({occasion.translator.locale})"
    if payload.get("long"):
        text = (text + " " + "word " * 1200).strip()
    return [Message(text)]


class Kit:
    def __init__(self, runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runtime = runtime
        self.clock = FakeClock()
        monkeypatch.setattr(
            limits.aio.storage.memory, "time", SimpleNamespace(time=self.clock.time)
        )
        monkeypatch.setitem(proactive.RENDERERS, "reply", numbered)
        self.session = ScriptedSession(self.clock)
        self.bot = create_bot(runtime.settings, self.session)
        self.delivery = self.new_delivery()

    def new_delivery(self, worker: str | None = None) -> Delivery:
        extra = {"worker": worker} if worker else {}
        return Delivery(
            services=self.runtime.services,
            sessionmaker=self.runtime.sessionmaker,
            sender=TelegramSender(self.bot),
            clock=self.clock,
            **extra,  # type: ignore[arg-type]
        )

    async def child(self, chat_id: int, **fields: Any) -> int:
        return await add_child(
            self.runtime,
            worker_id=fields.pop("worker_id", None),
            telegram_chat_id=chat_id,
            **fields,
        )

    async def enqueue(
        self, child_id: int, n: int, due_at: datetime | None = None, **payload: Any
    ) -> int:
        async with self.runtime.sessionmaker() as session:
            row = enqueue(
                session,
                young_person_id=child_id,
                kind="reply",
                payload={"n": n, **payload},
                due_at=due_at or self.clock.now(),
            )
            await session.commit()
            assert row.id is not None
            return row.id

    async def row(self, row_id: int) -> OutboxMessage:
        async with self.runtime.sessionmaker() as session:
            found = await session.get(OutboxMessage, row_id)
            assert found is not None
            return found

    async def rows(self) -> list[OutboxMessage]:
        async with self.runtime.sessionmaker() as session:
            return list(
                (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
            )

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [text for _, chat, text in self.session.went if chat_id in (None, chat)]
