"""Taps, typed words and voice notes: everything a child gives inside a conversation."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import CallbackQuery, Message

from bot.callbacks import unpack
from bot.commands import register_chat_commands
from bot.send import commit_turn, show
from core.chat import Chat
from core.render import Action


def build() -> Router:
    router = Router(name="conversation")

    @router.callback_query()
    async def tap(query: CallbackQuery, chat: Chat, bot: Bot) -> None:
        unpacked = unpack(query.data)
        run, action = unpacked if unpacked else (None, Action("unknown"))
        before = chat.locale
        messages = await chat.act(run, action)
        await commit_turn(chat)  # stored and committed before any network call
        await query.answer()
        if chat.locale != before:
            await register_chat_commands(bot, chat.child.telegram_chat_id or 0, chat.tr)
        await show(bot, chat, messages)

    @router.message(F.text)
    async def typed(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.typed(message.text or ""))

    @router.message(F.voice)
    async def voice(message: Message, chat: Chat, bot: Bot) -> None:
        assert message.voice is not None
        await show(bot, chat, await chat.voice(message.voice.file_id, message.caption))

    @router.message(F.caption)
    async def captioned(message: Message, chat: Chat, bot: Bot) -> None:
        """A photo or file with words: the file is not kept, the words are."""
        await show(bot, chat, await chat.captioned(message.caption or ""))

    return router
