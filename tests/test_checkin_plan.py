"""When a check-in's messages go: the child's notice, quiet hours, days and times."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.checkin_plan import next_occurrence, plan, reminder_at
from core.contact import in_quiet_hours
from core.models import Preferences

LONDON = "Europe/London"
# Tuesday 24 November 2026, 10:00 in London (GMT).
NOW = datetime(2026, 11, 24, 10, tzinfo=UTC)


def _prefs(**fields: object) -> Preferences:
    return Preferences(young_person_id=1, **fields)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def test_the_heads_up_comes_at_the_childs_lead_time() -> None:
    # Two days' notice for Friday 16:00: the heads-up is on Wednesday at 16:00.
    planned = plan(
        _prefs(advance_notice_days=2),
        requested_for=_utc(2026, 11, 27, 16),
        now=NOW,
        timezone=LONDON,
    )
    assert planned.check_in_at == _utc(2026, 11, 27, 16)
    assert planned.heads_up_at == _utc(2026, 11, 25, 16)


def test_no_notice_wanted_means_no_heads_up() -> None:
    planned = plan(
        _prefs(advance_notice_days=0),
        requested_for=_utc(2026, 11, 27, 16),
        now=NOW,
        timezone=LONDON,
    )
    assert planned.check_in_at == _utc(2026, 11, 27, 16)
    assert planned.heads_up_at is None


def test_too_little_notice_moves_the_check_in_later() -> None:
    # Asked for tomorrow; the child wants three days' notice.
    planned = plan(
        _prefs(advance_notice_days=3),
        requested_for=_utc(2026, 11, 25, 11),
        now=NOW,
        timezone=LONDON,
    )
    assert planned.check_in_at == NOW + timedelta(days=3)
    assert planned.heads_up_at == NOW


def test_nothing_lands_in_quiet_hours_at_any_hour_of_the_week() -> None:
    prefs = _prefs(
        advance_notice_days=1, quiet_start=time(20), quiet_end=time(9), preferred_hours=[[0, 24]]
    )
    zone = ZoneInfo(LONDON)
    for hour in range(0, 24 * 7, 1):
        asked = NOW + timedelta(days=2, hours=hour)
        planned = plan(prefs, requested_for=asked, now=NOW, timezone=LONDON)
        assert planned.heads_up_at is not None
        for moment in (planned.check_in_at, planned.heads_up_at):
            assert not in_quiet_hours(prefs, moment, zone), (asked, moment)
        assert planned.check_in_at >= asked
        assert planned.heads_up_at <= planned.check_in_at - timedelta(days=1)


def test_preferred_days_and_times_move_both_messages() -> None:
    # Saturdays only, 15:00 to 18:00; asked for Tuesday 1 December at 10:00.
    prefs = _prefs(advance_notice_days=1, preferred_days=[5], preferred_hours=[[15, 18]])
    planned = plan(prefs, requested_for=_utc(2026, 12, 1, 10), now=NOW, timezone=LONDON)
    assert planned.check_in_at == _utc(2026, 12, 5, 15)
    # The latest Saturday moment that still gives a day's notice: the Saturday before.
    assert planned.heads_up_at == _utc(2026, 11, 28, 15)


def test_the_reminder_is_a_day_later_at_an_allowed_moment() -> None:
    prefs = _prefs(quiet_start=time(21), quiet_end=time(8), preferred_hours=[[15, 18]])
    moment = reminder_at(prefs, planned_for=_utc(2026, 11, 27, 17), now=NOW, timezone=LONDON)
    assert moment == _utc(2026, 11, 28, 17)
    late = reminder_at(prefs, planned_for=_utc(2026, 11, 27, 18, 30), now=NOW, timezone=LONDON)
    assert late == _utc(2026, 11, 29, 15)


def test_repeats_keep_the_local_time_across_the_clock_change() -> None:
    # Thursday 22 October 2026, 16:00 in London is 15:00 UTC (summer time); the clocks go back
    # on 25 October, so a week later 16:00 London is 16:00 UTC.
    first = _utc(2026, 10, 22, 15)
    after = next_occurrence(first, 1, _utc(2026, 10, 23), timezone=LONDON)
    assert after == _utc(2026, 10, 29, 16)
    # A series whose next times have passed goes on from the next one still ahead.
    assert next_occurrence(first, 2, _utc(2026, 11, 10), timezone=LONDON) == _utc(2026, 11, 19, 16)
