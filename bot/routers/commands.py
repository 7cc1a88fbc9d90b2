"""/start, /help, /feedback, /talk, /settings, /language, /privacy, /mydata, /delete, /stop."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message, TelegramObject

from bot.send import show
from core.chat import COMMANDS, Chat

# An enrolment link's payload: one random word, never screened as if a child had written it.
LINK_TOKEN = re.compile(r"^/start [A-Za-z0-9_-]{16,64}$")


class ScreenCommandWords(BaseMiddleware):
    """Anything typed after a command is a child's words too: screened before the command."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get("chat")
        text = getattr(event, "text", None) or ""
        _, _, words = text.partition(" ")
        if chat is not None and words.strip() and not LINK_TOKEN.match(text.strip()):
            safety = await chat.words_with_command(words)
            if safety is not None:
                await show(data["bot"], chat, safety)
                return None
        return await handler(event, data)


def build() -> Router:
    router = Router(name="commands")
    router.message.middleware(ScreenCommandWords())

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.start(command.args))

    @router.message(Command(*[name for name in COMMANDS if name != "start"]))
    async def command(message: Message, command: CommandObject, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.command(command.command.lower()))

    @router.message(F.text.regexp(r"^/\w"))
    async def unknown_command(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.command("unknown"))

    return router
