"""When a check-in's messages go, from the child's contact rules. Pure: no database, no clock.

A check-in is never sooner than the child's advance notice allows: a worker who asks for
tomorrow when the child wants three days' notice gets the first allowed moment three days on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from core.contact import first_allowed_moment
from core.models import Preferences
from core.safeguarding import OfficeHours

# The one reminder comes a day after the check-in, at an allowed moment; a day after the
# reminder the check-in counts as missed.
REMINDER_AFTER = timedelta(days=1)
MISSED_AFTER_REMINDER = timedelta(days=1)
# How far back to look for an allowed moment that still gives the full notice.
_LOOK_BACK_DAYS = 8


# Which rule moved a check-in from the time the worker asked for (the API's `moved_by`).
NOTICE, QUIET_HOURS, BEST_TIMES = "notice", "quiet_hours", "best_times"
TRUSTED_ADULT, OFFICE_HOURS = "trusted_adult", "office_hours"


@dataclass(frozen=True)
class Plan:
    check_in_at: datetime
    heads_up_at: datetime | None
    moved_by: tuple[str, ...] = ()


def plan(prefs: Preferences, *, requested_for: datetime, now: datetime, timezone: str) -> Plan:
    """The check-in at the first allowed moment at or after the time asked for (and after the
    notice the child wants); the heads-up at the latest allowed moment that gives that notice.
    `moved_by` names each rule that made it later than asked."""
    notice = timedelta(days=max(prefs.advance_notice_days, 0))
    earliest = max(requested_for, now + notice)
    check_in_at = first_allowed_moment(prefs, earliest, timezone=timezone)
    moved_by = [NOTICE] if earliest > requested_for else []
    # Quiet hours alone (any day, any time otherwise): what is left is the best days and times.
    anytime = Preferences(
        quiet_start=prefs.quiet_start, quiet_end=prefs.quiet_end, preferred_hours=[[0, 24]]
    )
    quiet_only = first_allowed_moment(anytime, earliest, timezone=timezone)
    if quiet_only > earliest:
        moved_by.append(QUIET_HOURS)
    if check_in_at > quiet_only:
        moved_by.append(BEST_TIMES)
    if not notice:
        return Plan(check_in_at, None, tuple(moved_by))
    heads_up = _heads_up(prefs, check_in_at - notice, check_in_at, now, timezone)
    return Plan(check_in_at, heads_up, tuple(moved_by))


def through_trusted_adult(
    prefs: Preferences,
    *,
    requested_for: datetime,
    now: datetime,
    timezone: str,
    office_hours: OfficeHours | None,
) -> Plan:
    """A check-in that waits for the worker to arrange it with the child's trusted adult: the
    soonest it can really be. The worker arranges it in office hours at the earliest, and the
    child's notice, quiet hours and best times count from then (it is planned again, from the
    moment it is arranged)."""
    arranged = office_hours.next_open(now, timezone) if office_hours else now
    planned = plan(prefs, requested_for=requested_for, now=arranged, timezone=timezone)
    moved_by = [TRUSTED_ADULT]
    if (
        arranged > now
        and planned.check_in_at
        > plan(prefs, requested_for=requested_for, now=now, timezone=timezone).check_in_at
    ):
        moved_by.append(OFFICE_HOURS)
    return Plan(planned.check_in_at, None, (*moved_by, *planned.moved_by))


def _heads_up(
    prefs: Preferences, target: datetime, check_in_at: datetime, now: datetime, timezone: str
) -> datetime | None:
    for days_back in range(_LOOK_BACK_DAYS):
        start = max(target - timedelta(days=days_back), now)
        moment = first_allowed_moment(prefs, start, timezone=timezone)
        if moment <= target:
            return moment
        if start == now:
            break
    # No allowed moment gives the full notice: the first allowed one still warns them.
    moment = first_allowed_moment(prefs, max(target, now), timezone=timezone)
    return moment if moment < check_in_at else None


def reminder_at(
    prefs: Preferences, *, planned_for: datetime, now: datetime, timezone: str
) -> datetime:
    return first_allowed_moment(prefs, max(planned_for + REMINDER_AFTER, now), timezone=timezone)


def next_occurrence(
    requested_for: datetime, repeat_weeks: int, now: datetime, *, timezone: str
) -> datetime:
    """The next time in the series that is still ahead: same weekday and the same local time,
    across clock changes."""
    local = requested_for.astimezone(ZoneInfo(timezone))
    weeks = repeat_weeks
    while (moment := _in_weeks(local, weeks)) <= now:
        weeks += repeat_weeks
    return moment


def _in_weeks(local: datetime, weeks: int) -> datetime:
    wall = local.replace(tzinfo=None) + timedelta(weeks=weeks)
    return wall.replace(tzinfo=local.tzinfo).astimezone(UTC)
