"""/settings, /privacy, /help and /stop."""

from __future__ import annotations

from sqlmodel import select

from api.runtime import Runtime
from core.models import Preferences, TrustedContact, YoungPerson
from tests.child import Child
from tests.stored import stored


async def _person(runtime: Runtime, child: Child) -> tuple[YoungPerson, Preferences]:
    record = await stored(runtime, child)
    return record.person, record.prefs


async def test_settings_show_current_choices_and_change_one(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/settings")
    assert "Warning before contact: 1 day before" in onboarded.said()
    await onboarded.tap("✏️ Warning before contact")
    await onboarded.tap("A week before")
    assert "✅ Saved." in onboarded.said()
    assert "Warning before contact: A week before" in onboarded.said()
    _, prefs = await _person(runtime, onboarded)
    assert prefs.advance_notice_days == 7


async def test_add_and_remove_a_trusted_adult(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/settings")
    await onboarded.tap("✏️ Who we contact first")
    await onboarded.tap("An adult I trust first")
    await onboarded.send("Priya")
    await onboarded.tap("Teacher")
    await onboarded.tap("🗑️ Remove Priya")
    async with runtime.sessionmaker() as session:
        assert (await session.exec(select(TrustedContact))).all() == []
    _, prefs = await _person(runtime, onboarded)
    assert prefs.contact_route == "trusted_adult"


async def test_reading_mode_easy_uses_easy_words(onboarded: Child) -> None:
    await onboarded.send("/settings")
    await onboarded.tap("✏️ How I write to you")
    await onboarded.tap("Easy read")
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    assert "How well do workers know you?" in onboarded.said()


async def test_privacy_says_who_reads_and_when_we_share(onboarded: Child) -> None:
    await onboarded.send("/privacy")
    said = onboarded.said()
    assert "read your answers" in said and "we have to tell people who can help" in said


async def test_stop_pauses_messages_until_start(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How's life?")
    await onboarded.send("/stop")
    assert "paused all messages" in onboarded.said()
    person, _ = await _person(runtime, onboarded)
    assert person.paused
    await onboarded.send("/start")
    assert "Messages are on again" in onboarded.said()
    person, _ = await _person(runtime, onboarded)
    assert not person.paused


async def test_help_lists_what_the_bot_can_do(onboarded: Child) -> None:
    await onboarded.send("/help")
    assert "/feedback" in onboarded.said() and "/talk" in onboarded.said()
