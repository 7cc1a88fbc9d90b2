"""A Bot API session that records what the bot sends and answers like Telegram would."""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Chat, Message


class StubSession(BaseSession):
    def __init__(self, keep: int | None = None) -> None:
        """`keep`: remember only the last few messages per chat (for long benchmark runs)."""
        super().__init__()
        self.keep = keep
        self.requests: list[TelegramMethod[Any]] = []
        self._by_chat: dict[int, list[SendMessage]] = {}
        self._all_sent: list[SendMessage] = []
        self._ids = itertools.count(1000)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109
    ) -> Any:
        if self.keep is None:
            self.requests.append(method)
        if isinstance(method, SendMessage):
            chat = self._by_chat.setdefault(int(method.chat_id), [])
            chat.append(method)
            if self.keep is None:
                self._all_sent.append(method)
            elif len(chat) > self.keep:
                del chat[0]
            return Message(
                message_id=next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                text=method.text,
                reply_markup=method.reply_markup,
            )
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        raise NotImplementedError
        yield b""  # pragma: no cover

    async def close(self) -> None:
        return None

    def sent(self, chat_id: int | None = None) -> list[SendMessage]:
        return list(self._all_sent if chat_id is None else self._by_chat.get(chat_id, []))
