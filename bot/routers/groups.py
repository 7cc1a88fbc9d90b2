"""Private chats only: in a group or channel the bot says nothing and leaves."""

from __future__ import annotations

import contextlib

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message


async def _leave(bot: Bot, chat_id: int) -> None:
    with contextlib.suppress(TelegramAPIError):
        await bot.leave_chat(chat_id)


def build() -> Router:
    router = Router(name="groups")
    not_private = F.chat.type != "private"

    @router.message(not_private)
    async def message_in_group(message: Message, bot: Bot) -> None:
        await _leave(bot, message.chat.id)

    @router.edited_message(not_private)
    async def edit_in_group(message: Message, bot: Bot) -> None:
        await _leave(bot, message.chat.id)

    @router.channel_post()
    async def channel_post(message: Message, bot: Bot) -> None:
        await _leave(bot, message.chat.id)

    @router.my_chat_member(not_private)
    async def added_to_group(event: ChatMemberUpdated, bot: Bot) -> None:
        if event.new_chat_member.status in ("member", "administrator", "restricted"):
            await _leave(bot, event.chat.id)

    @router.callback_query(F.message.chat.type != "private")
    async def tap_in_group(query: CallbackQuery) -> None:
        await query.answer()

    return router
