"""Times a child is told are human: "about 4 PM tomorrow", and a promise owns up to quiet time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from api.runtime import Runtime
from core.i18n import BabelTranslator
from core.models import Preferences, YoungPerson
from core.when import human_time, rounded
from tests.child import Child

LONDON = ZoneInfo("Europe/London")
LOCALES = Path(__file__).resolve().parent.parent / "locales"
# Tuesday 24 November 2026, 10:00 in London (GMT).
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
QUIET_NOTE = "That is in your quiet time, so someone may contact you in your quiet time."


def _at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "how", "said"),
    [
        (_at(24, 16, 7), "nearest", "about 4 PM today"),
        (_at(24, 16, 20), "nearest", "about 4:30 PM today"),
        (_at(25, 16, 50), "nearest", "about 5 PM tomorrow"),
        (_at(25, 16, 59), "down", "about 4:30 PM tomorrow"),
        (_at(26, 10, 29), "down", "about 10 AM on Thursday"),
        (_at(30, 9, 0), "nearest", "about 9 AM on Monday"),
        (_at(30, 9, 0) + timedelta(days=7), "nearest", "about 9 AM on Monday 7 December"),
    ],
)
def test_times_are_rounded_and_said_as_a_child_says_them(
    moment: datetime, how: str, said: str
) -> None:
    english = BabelTranslator(LOCALES, "en")
    assert human_time(moment, now=NOW, timezone="Europe/London", tr=english, how=how) == said  # type: ignore[arg-type]


def test_a_deadline_rounded_down_is_never_later_than_the_real_one() -> None:
    moment = _at(25, 23, 59)
    for minutes in range(0, 24 * 60, 7):
        deadline = moment + timedelta(minutes=minutes)
        assert (
            rounded(deadline, "down")
            <= deadline
            < rounded(deadline, "down") + timedelta(minutes=30)
        )


def test_a_24_hour_language_keeps_its_own_clock() -> None:
    polish = BabelTranslator(LOCALES, "pl")
    said = human_time(_at(25, 16, 7), now=NOW, timezone="Europe/London", tr=polish)
    assert said == "jutro około 16:00"


async def _quiet(runtime: Runtime, child: Child, start: int, end: int) -> None:
    async with runtime.sessionmaker() as session:
        query = select(YoungPerson).where(YoungPerson.telegram_chat_id == child.chat_id)
        person = (await session.exec(query)).one()
        prefs = await session.get(Preferences, person.id)
        assert prefs is not None
        prefs.quiet_start, prefs.quiet_end = time(start % 24), time(end % 24)
        await session.commit()


async def _ask_to_talk(child: Child) -> str:
    await child.send("/talk")
    await child.tap("📞 Yes, please")
    await child.tap("Where I live")
    await child.tap("💬 Send me a message here")
    await child.tap("⏭️ Skip")
    await child.tap("✅ Yes, that's right")
    return child.said()


async def test_the_promise_gives_a_rounded_time_with_about(
    onboarded: Child, runtime: Runtime
) -> None:
    hour = datetime.now(LONDON).hour
    await _quiet(runtime, onboarded, hour + 4, hour + 6)  # quiet time well away from the deadline
    said = await _ask_to_talk(onboarded)
    assert "Someone will contact you within 24 hours." in said
    assert re.search(r"That is by about \d{1,2}(:30)? [AP]M (tomorrow|on \w+)\.", said), said
    assert not re.search(r"\d:(?!00|30)\d\d", said), said  # never "16:07"
    assert "quiet time" not in said


async def test_a_deadline_in_quiet_time_says_so(onboarded: Child, runtime: Runtime) -> None:
    hour = datetime.now(LONDON).hour
    # The deadline is this time tomorrow: quiet hours around it (wide enough for a clock change).
    await _quiet(runtime, onboarded, hour - 1, hour + 3)
    said = await _ask_to_talk(onboarded)
    assert "Someone will contact you within 24 hours." in said
    assert "That is by about" in said
    assert QUIET_NOTE in said
