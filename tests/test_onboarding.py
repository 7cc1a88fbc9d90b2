"""A child meets the bot for the first time."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import select

from api.runtime import Runtime
from core.models import TrustedContact
from tests.child import Child
from tests.stored import stored


async def test_start_says_hello_and_who_reads_answers(make_child: Callable[..., Child]) -> None:
    child = make_child()
    await child.send("/start")
    assert "I am sayso" in child.said()
    await child.tap("▶️ Next")
    assert "Your worker and a small team read your answers" in child.said()
    await child.tap("▶️ Next")
    said = child.said()
    assert "we have to tell people who can help keep you safe" in said
    assert "secret" not in said.lower()


async def test_onboarding_records_preferences_for_a_scheduler(
    make_child: Callable[..., Child], runtime: Runtime
) -> None:
    child = make_child()
    await child.send("/start")
    await child.read_on()
    await child.tap("English")
    await child.tap("Easy read")
    await child.tap("3 days before")
    await child.tap("10pm to 7am")
    await child.tap("Monday to Friday")
    await child.tap("After school")
    await child.tap("An adult I trust first")
    await child.send("Nan")
    await child.tap("Someone in my family")
    await child.tap("👍 Yes")
    assert "All done" in child.said()
    record = await stored(runtime, child)
    person, prefs, contacts = record.person, record.prefs, record.contacts
    assert person.onboarded and person.reading_mode == "easy" and person.locale == "en"
    assert prefs is not None
    assert prefs.advance_notice_days == 3
    assert (prefs.quiet_start.hour, prefs.quiet_end.hour) == (22, 7)
    assert prefs.preferred_days == [0, 1, 2, 3, 4]
    assert prefs.preferred_hours == [[15, 18]]
    assert prefs.contact_route == "trusted_adult"
    assert prefs.tell_before_changes is True
    assert [(c.name, c.relationship) for c in contacts] == [("Nan", "family")]


async def test_trusted_adult_name_refuses_phone_numbers(
    make_child: Callable[..., Child], runtime: Runtime
) -> None:
    child = make_child()
    await child.send("/start")
    await child.read_on()
    for _ in range(6):
        await child.tap("⏭️ Skip")
    await child.tap("An adult I trust first")
    await child.send("Sam 07700 900123")
    assert "first name" in child.said()
    await child.send("Sam")
    assert "Who are they to you?" in child.said()
    async with runtime.sessionmaker() as session:
        names = (await session.exec(select(TrustedContact.name))).all()
    assert list(names) == ["Sam"]
