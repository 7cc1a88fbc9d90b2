"""Starting the bot inside `sayso serve`: polling by default, a webhook when configured."""

from __future__ import annotations

import asyncio
import logging

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError

from api.runtime import Runtime
from api.webhook import WEBHOOK_PATH
from bot.commands import register_commands

log = logging.getLogger(__name__)


async def start_bot(runtime: Runtime) -> asyncio.Task[None] | None:
    """Register commands and the webhook, or start polling. Telegram being unreachable
    is logged, not fatal: the admin API keeps working and polling retries by itself."""
    bot, dp, settings = runtime.bot, runtime.dispatcher, runtime.settings
    if bot is None:
        return None
    translators = {code: runtime.services.translator(code) for code in runtime.services.locales}
    try:
        await register_commands(bot, translators)
        if settings.webhook_url:
            assert settings.webhook_secret is not None
            await bot.set_webhook(
                settings.webhook_url.rstrip("/") + WEBHOOK_PATH,
                secret_token=settings.webhook_secret.get_secret_value(),
                allowed_updates=dp.resolve_used_update_types(),
            )
            log.info("Telegram webhook set; updates arrive at %s", WEBHOOK_PATH)
            return None
        await bot.delete_webhook()
    except (TelegramAPIError, TelegramNetworkError) as error:
        log.warning("Could not reach Telegram yet (%s); will keep trying", type(error).__name__)
    if settings.webhook_url:
        return None
    log.info("Telegram bot polling for updates")
    return asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False),
        name="telegram-polling",
    )
