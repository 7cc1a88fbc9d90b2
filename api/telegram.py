"""Starting the bot inside `sayso serve`: polling by default, a webhook when configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.utils.backoff import BackoffConfig

from api.runtime import Runtime
from api.webhook import WEBHOOK_PATH
from bot.commands import register_commands
from bot.middlewares import RETRY_DELAYS

log = logging.getLogger(__name__)
MAX_RETRY_SECONDS = 60.0


# How long one getUpdates waits for news. Telegram keeps a long poll that a stopping process
# dropped for up to this long, and answers the next process 409 Conflict meanwhile (a restart
# used to wait out aiogram's 10 s here, then its backoff): kept short, a restarted process
# finds the slot free by the time it has started. Idle, it is one request every 2 seconds.
POLL_SECONDS = 2
# Retries of getUpdates (a conflict, a network blip): soon, so polling resumes within a
# second or two of Telegram being ready, never more than a few requests a second.
POLL_BACKOFF = BackoffConfig(min_delay=0.25, max_delay=2.0, factor=1.5, jitter=0.1)
STOP_SECONDS = 5.0
# Polling confirms an update to Telegram when it fetches it, so a turn that fails (the database
# restarting, a lock held too long) is done again here, soon and then less often, for about ten
# minutes in all; then it is given up with an ERROR that names the update.
POLLING_RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 120.0, 120.0, 120.0)


class Polling:
    """The bot polling in the background, and stopping the way aiogram means it to: its stop
    signal, so the dispatcher ends its own loops. (Cancelling the task instead left aiogram's
    inner loop running on a closed session, which logged an ERROR at every clean stop.)"""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.stopping = asyncio.Event()
        self.task = asyncio.create_task(self._poll_until_stopped(), name="telegram-polling")
        # The command menus are set beside polling, never before it: they are six requests
        # that Telegram may throttle (429), and a child's message must not wait for them.
        self.commands = asyncio.create_task(self._register(), name="telegram-commands")

    async def stop(self) -> None:
        self.stopping.set()
        self.commands.cancel()
        with contextlib.suppress(RuntimeError):  # "Polling is not started": not there yet
            await self.runtime.dispatcher.stop_polling()
        try:
            await asyncio.wait_for(asyncio.shield(self.task), STOP_SECONDS)
        except TimeoutError:  # stopped before aiogram had set up its stop signal
            self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        with contextlib.suppress(asyncio.CancelledError):
            await self.commands

    async def _register(self) -> None:
        delay = 1.0
        while True:
            try:
                await _register(self.runtime)
                return
            except (TelegramAPIError, TelegramNetworkError, OSError) as error:
                wait = float(getattr(error, "retry_after", None) or delay)
                log.warning(
                    "Could not set the bot's command menus (%s); trying again in %.0f s",
                    type(error).__name__,
                    wait,
                )
                await asyncio.sleep(wait)
                delay = min(delay * 2, MAX_RETRY_SECONDS)

    async def _poll_until_stopped(self) -> None:
        """aiogram stops polling when Telegram cannot be reached at start; start it again."""
        bot, delay = self.runtime.bot, 1.0
        assert bot is not None
        while not self.stopping.is_set():
            try:
                await bot.delete_webhook()
                if self.stopping.is_set():
                    return
                log.info("Telegram bot polling for updates")
                await self.runtime.dispatcher.start_polling(
                    bot,
                    polling_timeout=POLL_SECONDS,
                    backoff_config=POLL_BACKOFF,
                    handle_signals=False,
                    close_bot_session=False,
                    **{RETRY_DELAYS: POLLING_RETRY_SECONDS},
                )
                return  # stopped on purpose
            except (TelegramAPIError, TelegramNetworkError, OSError) as error:
                log.warning(
                    "Could not reach Telegram (%s); trying again in %.0f s",
                    type(error).__name__,
                    delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)


async def start_bot(runtime: Runtime) -> Polling | None:
    """Set the webhook, or start polling in the background. Telegram being unreachable is
    logged, never fatal: the rest of the service keeps working and the bot keeps trying."""
    if runtime.bot is None:
        return None
    if runtime.settings.webhook_url:
        await _set_up_webhook(runtime)
        return None
    return Polling(runtime)


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
