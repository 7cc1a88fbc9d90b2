"""Showing core messages on Telegram: inline keyboards and splitting long text."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import pack
from core.chat import Chat
from core.db import pending
from core.render import Message

TELEGRAM_LIMIT = 4096


def keyboard(message: Message) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    rows = [
        [InlineKeyboardButton(text=b.label, callback_data=pack(b.action, message.run)) for b in row]
        for row in message.buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def split_text(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Pieces no longer than Telegram allows, broken at lines or spaces where possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text else pieces


async def commit_turn(chat: Chat) -> None:
    """The update's one commit (its words, state, outbox rows and update id together)."""
    if pending(chat.session):  # else committed already (a handler that committed before a call)
        await chat.session.commit()


async def show(bot: Bot, chat: Chat, messages: list[Message]) -> None:
    """Store first, then speak: the update's transaction, with its update id, commits before
    any reply goes out, so a doubled update is caught before it can answer twice."""
    await commit_turn(chat)
    chat_id = chat.child.telegram_chat_id
    assert chat_id is not None
    for message in messages:
        parts = split_text(message.text) or [" "]
        for part in parts[:-1]:
            await bot.send_message(chat_id, part)
        await bot.send_message(chat_id, parts[-1], reply_markup=keyboard(message))
