"""A young person on Telegram, for tests: sends words and taps buttons, update by update."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from aiogram.methods import SendMessage
from aiogram.types import Update

from api.runtime import Runtime
from tests.telegram_stub import StubSession

_update_ids = itertools.count(1)


def next_update_id() -> int:
    return next(_update_ids)


class Child:
    def __init__(
        self, runtime: Runtime, stub: StubSession, chat_id: int, language_code: str | None = "en"
    ) -> None:
        self.runtime, self.stub, self.chat_id = runtime, stub, chat_id
        self.language_code = language_code
        self.replies: list[SendMessage] = []

    # -- what the child does --------------------------------------------------------------

    async def send(self, text: str, **extra: Any) -> list[SendMessage]:
        return await self.message({"text": text, **extra})

    async def message(
        self, content: dict[str, Any], chat_type: str = "private"
    ) -> list[SendMessage]:
        payload = {
            "message_id": next_update_id(),
            "date": int(datetime.now(UTC).timestamp()),
            "chat": {"id": self.chat_id, "type": chat_type},
            "from": self._user(),
            **content,
        }
        return await self.feed({"message": payload})

    async def tap(self, label: str) -> list[SendMessage]:
        """Tap the newest button whose text contains `label`."""
        for reply in reversed(self.stub.sent(self.chat_id)):
            markup = reply.reply_markup
            for row in getattr(markup, "inline_keyboard", None) or []:
                for button in row:
                    if label in button.text:
                        return await self.press(button.callback_data or "")
        raise AssertionError(f"no button {label!r}; last said: {self.last_text()!r}")

    async def read_on(self) -> None:
        """Tap Next through information messages."""
        while "▶️ Next" in self.buttons():
            await self.tap("▶️ Next")

    async def press(self, data: str) -> list[SendMessage]:
        callback = {
            "id": str(next_update_id()),
            "from": self._user(),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": self.chat_id, "type": "private"},
                "text": "question",
            },
        }
        return await self.feed({"callback_query": callback})

    async def feed(self, body: dict[str, Any], update_id: int | None = None) -> list[SendMessage]:
        before = len(self.stub.sent(self.chat_id))
        bot = self.runtime.bot
        assert bot is not None
        update = Update.model_validate(
            {"update_id": update_id or next_update_id(), **body}, context={"bot": bot}
        )
        await self.runtime.dispatcher.feed_update(bot, update)
        self.replies = self.stub.sent(self.chat_id)[before:]
        return self.replies

    # -- what the child sees -------------------------------------------------------------------

    def last_text(self) -> str:
        sent = self.stub.sent(self.chat_id)
        return sent[-1].text if sent else ""

    def said(self) -> str:
        return "\n".join(r.text for r in self.replies)

    def buttons(self) -> list[str]:
        markup = self.replies[-1].reply_markup if self.replies else None
        return [b.text for row in getattr(markup, "inline_keyboard", None) or [] for b in row]

    def _user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.chat_id, "is_bot": False, "first_name": "Test"}
        if self.language_code:
            user["language_code"] = self.language_code
        return user
