"""The first moment a message may reach a child, from their preferences."""

from __future__ import annotations

from datetime import UTC, datetime, time

from core.contact import first_allowed_moment
from core.models import Preferences

LONDON = "Europe/London"


def _prefs(**fields: object) -> Preferences:
    return Preferences(young_person_id=1, **fields)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_an_allowed_moment_is_used_as_it_is() -> None:
    # Tuesday 24 November 2026, 10:00 in London (GMT).
    assert first_allowed_moment(_prefs(), _utc(2026, 11, 24, 10), timezone=LONDON) == _utc(
        2026, 11, 24, 10
    )


def test_nothing_is_sent_in_quiet_hours() -> None:
    prefs = _prefs(quiet_start=time(21), quiet_end=time(8), preferred_hours=[[0, 24]])
    at = first_allowed_moment(prefs, _utc(2026, 11, 24, 23, 30), timezone=LONDON)
    assert at == _utc(2026, 11, 25, 8)


def test_preferred_days_and_times_move_the_message_on() -> None:
    # Weekends only, after school: from a Tuesday morning to Saturday 15:00.
    prefs = _prefs(preferred_days=[5, 6], preferred_hours=[[15, 18]])
    at = first_allowed_moment(prefs, _utc(2026, 11, 24, 9), timezone=LONDON)
    assert at == _utc(2026, 11, 28, 15)


def test_local_time_is_used_in_summer() -> None:
    # 1 July: London is UTC+1, so "from 9" is 08:00 UTC.
    prefs = _prefs(preferred_hours=[[9, 12]])
    at = first_allowed_moment(prefs, _utc(2026, 7, 1, 6), timezone=LONDON)
    assert at == _utc(2026, 7, 1, 8)


def test_quiet_hours_win_over_preferred_times_that_leave_no_room() -> None:
    prefs = _prefs(preferred_hours=[[20, 22]], quiet_start=time(19), quiet_end=time(23))
    at = first_allowed_moment(prefs, _utc(2026, 11, 24, 19, 30), timezone=LONDON)
    assert at == _utc(2026, 11, 24, 23)
