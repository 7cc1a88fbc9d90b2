"""Starting the bot inside `sayso serve`: polling by default, a webhook when configured."""

from __future__ import annotations

import asyncio
import logging

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

from api.runtime import Runtime
from api.webhook import WEBHOOK_PATH
from bot.commands import register_commands

log = logging.getLogger(__name__)
MAX_RETRY_SECONDS = 60.0


async def start_bot(runtime: Runtime) -> asyncio.Task[None] | None:
    """Set the webhook, or start polling in the background. Telegram being unreachable is
    logged, never fatal: the rest of the service keeps working and the bot keeps trying."""
    if runtime.bot is None:
        return None
    if runtime.settings.webhook_url:
        await _set_up_webhook(runtime)
        return None
    return asyncio.create_task(_poll_until_stopped(runtime), name="telegram-polling")


async def _set_up_webhook(runtime: Runtime) -> None:
    bot, settings = runtime.bot, runtime.settings
    assert bot is not None and settings.webhook_url and settings.webhook_secret
    try:
        await _register(runtime)
        await bot.set_webhook(
            settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=runtime.dispatcher.resolve_used_update_types(),
        )
        log.info("Telegram webhook set; updates arrive at %s", WEBHOOK_PATH)
    except (TelegramAPIError, TelegramNetworkError) as error:
        log.warning(
            "Could not set the Telegram webhook (%s); set it again by restarting",
            type(error).__name__,
        )


async def _register(runtime: Runtime) -> None:
    translators = {code: runtime.services.translator(code) for code in runtime.services.locales}
    assert runtime.bot is not None
    await register_commands(runtime.bot, translators)


async def _poll_until_stopped(runtime: Runtime) -> None:
    """aiogram stops polling when Telegram cannot be reached at start; start it again."""
    bot, delay = runtime.bot, 1.0
    assert bot is not None
    while True:
        try:
            await _register(runtime)
            await bot.delete_webhook()
            log.info("Telegram bot polling for updates")
            await runtime.dispatcher.start_polling(
                bot, handle_signals=False, close_bot_session=False
            )
            return  # stopped on purpose
        except (TelegramAPIError, TelegramNetworkError, OSError) as error:
            log.warning(
                "Could not reach Telegram (%s); trying again in %.0f s", type(error).__name__, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)
