"""/start, /help, /feedback, /talk, /settings, /language, /privacy, /mydata, /delete, /stop."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message

from bot.send import show
from core.chat import Chat
from core.render import Message as Say


def build() -> Router:
    router = Router(name="commands")

    @router.message(CommandStart())
    async def start(message: Message, command: CommandObject, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.start(command.args))

    @router.message(Command("help"))
    async def help_(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, chat.help())

    @router.message(Command("feedback"))
    async def feedback(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, chat.menu())

    @router.message(Command("talk"))
    async def talk(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.begin("talk"))

    @router.message(Command("settings"))
    async def settings(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.settings_menu())

    @router.message(Command("language"))
    async def language(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, chat.language_menu())

    @router.message(Command("privacy"))
    async def privacy(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, chat.privacy())

    @router.message(Command("mydata"))
    async def mydata(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.my_data())

    @router.message(Command("delete"))
    async def delete(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.forget("ask"))

    @router.message(Command("stop"))
    async def stop(message: Message, chat: Chat, bot: Bot) -> None:
        await show(bot, chat, await chat.stop_all())

    @router.message(F.text.regexp(r"^/\w"))
    async def unknown_command(message: Message, chat: Chat, bot: Bot) -> None:
        note = Say(chat.tr.gettext("Sorry, I don't know that command."))
        await show(bot, chat, [note, *chat.help()])

    return router
