"""Per-update plumbing: one DB session, each update id once, the child and their language."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import CallbackQuery, TelegramObject, Update, User
from aiogram.types import Chat as TgChat
from aiogram.utils.i18n import I18n, I18nMiddleware
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from core.chat import Chat, Services
from core.children import find_or_create_child
from core.db import pending
from core.models import ProcessedUpdate, utcnow
from core.safeguarding import alert_first

PROCESSED = ProcessedUpdate.__table__
# Built once: a statement object caches its own cache key, so each use skips building it again.
RECORD_UPDATE = insert(PROCESSED)

log = logging.getLogger(__name__)
RETRY_DELAYS = "retry_delays"  # the key of the transport's retry policy in aiogram's data
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class SessionMiddleware(BaseMiddleware):
    """The update's one transaction: its id is recorded in the same transaction as its work,
    which `bot.send.show` (or, for a handler that shows nothing, this) commits once, so a
    retried or doubled update is dropped, and one that failed left nothing and is done again
    whole. A safeguarding alert is the one thing committed first, on its own (`alert_first`)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.sessionmaker = sessionmaker

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        # Stable across Telegram's retries of this update: an alert it raised is found again.
        data["origin"] = f"telegram:{event.update_id}"
        # Given by the transport: polling retries here (Telegram will not send the update
        # again); a webhook does not (its 500 makes Telegram send it again).
        retry_delays: Sequence[float] = data.get(RETRY_DELAYS, ())
        for delay in (*retry_delays, None):
            try:
                return await alert_first(
                    self.sessionmaker, lambda: self._turn(handler, event, data)
                )
            except Exception:
                if delay is None:
                    if retry_delays:
                        log.error(
                            "update %s failed %d times; given up",
                            event.update_id,
                            1 + len(retry_delays),
                        )
                    raise
                # The turn left nothing behind (one transaction): doing it again whole is safe.
                # aiogram holds this child's lock meanwhile, so their next update waits its turn.
                log.warning(
                    "update %s failed; the whole turn again in %.0f s",
                    event.update_id,
                    delay,
                    exc_info=True,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _turn(self, handler: Handler, event: Update, data: dict[str, Any]) -> Any:
        async with self.sessionmaker() as session:
            data["session"] = session
            try:
                # First in the transaction, committed before any reply goes out (bot.send).
                # A doubled update fails here (PostgreSQL waits for the first to finish).
                await session.exec(
                    RECORD_UPDATE, params={"update_id": event.update_id, "received_at": utcnow()}
                )
                result = await handler(event, data)
                if pending(session):  # else bot.send.show committed it already
                    await session.commit()
            except IntegrityError:
                await session.rollback()
                if await session.get(ProcessedUpdate, event.update_id) is None:
                    raise
                log.info("update %s already processed; dropped", event.update_id)
                return UNHANDLED
            return result


class ChildMiddleware(BaseMiddleware):
    """Finds or creates the child behind a private chat; nothing is kept but the chat id."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: TgChat | None = data.get("event_chat")
        user: User | None = data.get("event_from_user")
        chat_id = chat.id if chat is not None and chat.type == "private" else None
        if chat is None and isinstance(event, CallbackQuery) and user is not None:
            # A tap on a message too old to be attached: in a private chat, chat id = user id.
            chat_id = user.id
        if chat_id is not None:
            child, run = await find_or_create_child(data["session"], chat_id=chat_id)
            hint = user.language_code if user else None
            data["chat"] = Chat(
                self.services, data["session"], child, hint=hint, run=run, origin=data["origin"]
            )
        return await handler(event, data)


class LocaleMiddleware(I18nMiddleware):
    """aiogram's i18n context, set from the child's own choice, else their app, else English."""

    def __init__(self, i18n: I18n) -> None:
        super().__init__(i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        chat: Chat | None = data.get("chat")
        return chat.locale if chat is not None else self.i18n.default_locale
