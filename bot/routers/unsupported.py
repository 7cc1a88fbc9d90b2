"""Anything else (stickers, photos, files, places, contacts): a kind word, and nothing kept."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.send import show
from core.chat import Chat


def build() -> Router:
    router = Router(name="unsupported")

    @router.message()
    async def anything_else(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.cannot_take())

    @router.edited_message(F.text | F.caption)
    async def edited(message: Message, chat: Chat, bot: Bot) -> None:
        """The first version was kept when it came; the new words are kept too."""
        await show(bot, chat, await chat.edited(message.text or message.caption or ""))

    return router
