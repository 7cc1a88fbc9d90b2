"""The child's contact rules as a clock: the first moment a message may reach them.

Preferred days and hours, and quiet hours, are in the service's local time (the child's).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.models import Preferences

HORIZON_DAYS = 8


def _local(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """`hour` o'clock on `day`, local; 24 means midnight at the end of the day."""
    return datetime.combine(day, time(0), zone) + timedelta(hours=hour)


def in_quiet_hours(prefs: Preferences, moment: datetime, zone: ZoneInfo) -> bool:
    start, end = prefs.quiet_start, prefs.quiet_end
    if start is None or end is None or start == end:
        return False
    now = moment.astimezone(zone).time()
    return start <= now < end if start < end else now >= start or now < end


def _preferred(prefs: Preferences, moment: datetime, zone: ZoneInfo) -> bool:
    local = moment.astimezone(zone)
    if local.weekday() not in (prefs.preferred_days or range(7)):
        return False
    hours = prefs.preferred_hours or [[0, 24]]
    minutes = local.hour * 60 + local.minute
    return any(start * 60 <= minutes < end * 60 for start, end in hours)


def _candidates(prefs: Preferences, after: datetime, zone: ZoneInfo) -> list[datetime]:
    """Every moment an allowed stretch can begin: `after`, each preferred-hours start and each
    end of quiet hours, over the next few days. The first allowed one is the answer."""
    first_day = after.astimezone(zone).date()
    points = [after]
    for offset in range(HORIZON_DAYS):
        day = first_day + timedelta(days=offset)
        points += [_local(day, start, zone) for start, _ in prefs.preferred_hours or [[0, 24]]]
        if prefs.quiet_end is not None:
            points.append(datetime.combine(day, prefs.quiet_end, zone))
    return sorted(p.astimezone(UTC) for p in points if p >= after)


def first_allowed_moment(prefs: Preferences, after: datetime, *, timezone: str) -> datetime:
    """The earliest moment at or after `after` on a preferred day, in preferred hours and
    outside quiet hours. Quiet hours always win: if the preferred times leave no room, the
    first moment outside quiet hours is used instead."""
    zone = ZoneInfo(timezone)
    candidates = _candidates(prefs, after, zone)
    for moment in candidates:
        if _preferred(prefs, moment, zone) and not in_quiet_hours(prefs, moment, zone):
            return moment
    for moment in candidates:
        if not in_quiet_hours(prefs, moment, zone):
            return moment
    return after
