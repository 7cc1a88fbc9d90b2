"""The bot's commands, described in every language, and registered per language and chat."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat

from core.i18n import SOURCE_LOCALE, Translator
from core.render import N_

COMMANDS: list[tuple[str, str]] = [
    ("feedback", N_("Tell us what you think")),
    ("talk", N_("Ask someone to contact you")),
    ("settings", N_("Change how we contact you")),
    ("language", N_("Change language")),
    ("privacy", N_("Who reads your answers")),
    ("mydata", N_("See what we keep about you")),
    ("delete", N_("Delete your answers")),
    ("help", N_("What I can do")),
    ("stop", N_("Stop all messages")),
    ("start", N_("Start again")),
]


def commands_for(tr: Translator) -> list[BotCommand]:
    return [BotCommand(command=name, description=tr.gettext(text)) for name, text in COMMANDS]


async def register_commands(bot: Bot, translators: dict[str, Translator]) -> None:
    """Telegram shows each user the list in their app's language."""
    for code, tr in translators.items():
        language = None if code == SOURCE_LOCALE else code
        await bot.set_my_commands(commands_for(tr), language_code=language)


async def register_chat_commands(bot: Bot, chat_id: int, tr: Translator) -> None:
    """After a child picks a language, show them the commands in it whatever their app uses."""
    await bot.set_my_commands(commands_for(tr), scope=BotCommandScopeChat(chat_id=chat_id))
