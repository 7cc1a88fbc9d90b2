"""Building the bot and dispatcher: factories, never module-level singletons."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.middlewares import ChildMiddleware, LocaleMiddleware, SessionMiddleware
from bot.routers import build_routers
from core.chat import Services
from core.config import Settings


def create_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    """A Bot for the configured token, talking to Telegram or to a local Bot API server."""
    assert settings.telegram_token is not None, "no SAYSO_TELEGRAM_TOKEN"
    if session is None:
        server = TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/"))
        session = AiohttpSession(api=server)
    return Bot(
        token=settings.telegram_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=None, link_preview_is_disabled=True),
    )


def event_isolation(settings: Settings) -> BaseEventIsolation:
    """One update at a time per chat: in this process, or across processes through Redis."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation

        return RedisEventIsolation.from_url(settings.redis_url)
    return SimpleEventIsolation()


def create_dispatcher(
    *,
    services: Services,
    sessionmaker: async_sessionmaker[AsyncSession],
    i18n: I18n,
    isolation: BaseEventIsolation | None = None,
    routers: list[Router] | None = None,
) -> Dispatcher:
    """`routers`: the bot's own unless given (the benchmark measures the plumbing alone)."""
    dp = Dispatcher(events_isolation=isolation or SimpleEventIsolation())
    dp.update.outer_middleware(SessionMiddleware(sessionmaker))
    for observer in (dp.message, dp.edited_message, dp.callback_query):
        observer.outer_middleware(ChildMiddleware(services))
        observer.outer_middleware(LocaleMiddleware(i18n))
    dp.include_routers(*(build_routers() if routers is None else routers))
    _inline_magic_filters(dp)
    return dp


def _inline_magic_filters(dp: Dispatcher) -> None:
    """aiogram runs every synchronous filter in a worker thread (`asyncio.to_thread`), and an
    `F.` filter is synchronous: a thread hop, twice over the GIL, for a few attribute reads on
    the update, several times per update. Magic filters never block, so they run on the loop."""
    routers: list[Router] = list(dp.chain_tail)
    for router in routers:
        for observer in router.observers.values():
            for handler in [observer._handler, *observer.handlers]:
                for event_filter in handler.filters or []:
                    if event_filter.magic is not None and not event_filter.awaitable:
                        event_filter.callback = _on_loop(event_filter.magic.resolve)
                        event_filter.awaitable = True


def _on_loop(resolve: Any) -> Any:
    async def check(value: Any) -> Any:
        return resolve(value)

    return check
