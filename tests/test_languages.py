"""The child hears the bot in their own language, chosen by them, else by their app."""

from __future__ import annotations

from collections.abc import Callable

from aiogram.methods import SetMyCommands
from sqlmodel import select

from api.runtime import Runtime, load_i18n
from bot.translator import AiogramTranslator
from core.config import Settings
from core.i18n import is_rtl, pick_locale
from core.models import YoungPerson
from tests.child import Child
from tests.telegram_stub import StubSession


def test_locale_comes_from_choice_then_app_then_english() -> None:
    shipped = ["en", "ar", "cy", "fa", "pl", "uk"]
    assert pick_locale("cy", "pl", shipped) == "cy"
    assert pick_locale(None, "pl-PL", shipped) == "pl"
    assert pick_locale(None, "zh-hans", shipped) == "en"
    assert pick_locale(None, None, shipped) == "en"


def test_two_shipped_languages_read_right_to_left() -> None:
    assert is_rtl("ar") and is_rtl("fa") and not is_rtl("pl")


def test_plural_forms_follow_each_language(settings: Settings) -> None:
    pl = AiogramTranslator(load_i18n(settings), "pl")
    one, few, many = (
        pl.ngettext(
            "You answered {count} question. Here is what you told me:",
            "You answered {count} questions. Here is what you told me:",
            n,
        )
        for n in (1, 3, 5)
    )
    assert len({one, few, many}) == 3
    ar = AiogramTranslator(load_i18n(settings), "ar")
    forms = {
        ar.ngettext(
            "You answered {count} question. Here is what you told me:",
            "You answered {count} questions. Here is what you told me:",
            n,
        )
        for n in (0, 1, 2, 3, 11, 100)
    }
    assert len(forms) >= 3


async def test_app_language_is_used_before_a_choice(make_child: Callable[..., Child]) -> None:
    child = make_child(language_code="uk")
    await child.send("/start")
    assert "sayso" in child.said()
    assert "I am sayso" not in child.said()
    assert any("▶️" in b for b in child.buttons())


async def test_language_command_switches_at_once_and_registers_commands(
    onboarded: Child, runtime: Runtime, stub: StubSession
) -> None:
    await onboarded.send("/language")
    await onboarded.tap("العربية")
    assert "English" not in onboarded.said()
    async with runtime.sessionmaker() as session:
        person = (
            await session.exec(
                select(YoungPerson).where(YoungPerson.telegram_chat_id == onboarded.chat_id)
            )
        ).one()
    assert person.locale == "ar"
    scoped = [r for r in stub.requests if isinstance(r, SetMyCommands) and r.scope is not None]
    assert scoped and scoped[-1].scope.chat_id == onboarded.chat_id
    await onboarded.send("/feedback")
    assert "What would you like to tell us about?" not in onboarded.said()


async def test_content_is_asked_in_the_childs_language(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/language")
    await onboarded.tap("Polski")
    await onboarded.send("/talk")
    english = "If you are in danger right now, call 999."
    assert english not in onboarded.said() and "999" in onboarded.said()


async def test_commands_are_registered_for_every_language(
    runtime: Runtime, stub: StubSession
) -> None:
    from api.telegram import start_bot

    await start_bot(runtime) if runtime.settings.webhook_url else None
    from bot.commands import register_commands

    translators = {code: runtime.services.translator(code) for code in runtime.services.locales}
    await register_commands(runtime.bot, translators)
    languages = {r.language_code for r in stub.requests if isinstance(r, SetMyCommands)}
    assert languages == {None, *[c for c in runtime.services.locales if c != "en"]}
    english = next(
        r for r in stub.requests if isinstance(r, SetMyCommands) and r.language_code is None
    )
    welsh = next(
        r for r in stub.requests if isinstance(r, SetMyCommands) and r.language_code == "cy"
    )
    assert [c.command for c in english.commands] == [c.command for c in welsh.commands]
    assert english.commands[0].description != welsh.commands[0].description
