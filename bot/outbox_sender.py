"""Proactive messages on Telegram: core Messages cut and keyed as bot/send.py does, and the
Bot API's refusals turned into what core.delivery does about them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.send import keyboard, split_text
from core.chat import Services
from core.delivery import Delivery, Rejected, RetryAfter, Transient, Unreachable
from core.render import Message


@dataclass(frozen=True)
class Piece:
    """One Telegram message: a long text goes in several, the buttons under the last."""

    text: str
    markup: InlineKeyboardMarkup | None = None


class TelegramSender:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def pieces(self, messages: list[Message]) -> Sequence[Piece]:
        pieces: list[Piece] = []
        for message in messages:
            parts = split_text(message.text) or [" "]
            pieces.extend(Piece(part) for part in parts[:-1])
            pieces.append(Piece(parts[-1], keyboard(message)))
        return pieces

    async def send(self, chat_id: int, piece: Piece) -> int:
        try:
            sent = await self.bot.send_message(chat_id, piece.text, reply_markup=piece.markup)
        except TelegramRetryAfter as error:
            raise RetryAfter(error.retry_after, error.message) from error
        except TelegramForbiddenError as error:  # blocked by the user, or deactivated
            raise Unreachable(f"Telegram: {error.message}") from error
        except (
            TelegramBadRequest,
            TelegramNotFound,
            TelegramMigrateToChat,
            TelegramEntityTooLarge,
        ) as error:
            raise Rejected(f"Telegram: {error.message}") from error
        except (TelegramAPIError, ClientDecodeError) as error:  # 5xx, network, the unexpected
            raise Transient(f"Telegram: {error}") from error
        return sent.message_id


def create_delivery(
    *, services: Services, sessionmaker: async_sessionmaker[AsyncSession], bot: Bot
) -> Delivery:
    return Delivery(services=services, sessionmaker=sessionmaker, sender=TelegramSender(bot))
