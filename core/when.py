"""Times as a child reads them: local to the service, in their language, and human.

A child is told "about 4 PM tomorrow" or "about 10:30 AM on Tuesday", never "16:07 on Tuesday
24 November". Times are rounded to the half hour: close enough to plan around (a check-in planned
for 16:30 is not announced as "about 5 PM"), and still a time a child says aloud. A whole hour
is shown without minutes where the language uses a 12-hour clock ("4 PM"); 24-hour languages
keep their usual "16:00".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, format_time, get_time_format

from core.i18n import Translator

STEP = timedelta(minutes=30)
WEEK_DAYS = 7


def local_parts(moment: datetime, timezone: str, locale: str) -> dict[str, str]:
    """{"time": "3:45 PM", "day": "Tuesday 24 November"} in the child's language."""
    local = moment.astimezone(ZoneInfo(timezone))
    return {
        "time": format_time(local, format="short", locale=locale),
        "day": format_date(local, format="EEEE d MMMM", locale=locale),
    }


def rounded(moment: datetime, how: Literal["nearest", "down"] = "nearest") -> datetime:
    """`moment` on a half hour: the nearest one, or the one at or before it ("down")."""
    zone = moment.tzinfo
    base = moment.replace(minute=0, second=0, microsecond=0)
    steps, rest = divmod(moment - base, STEP)
    if how == "nearest" and rest * 2 >= STEP:
        steps += 1
    result = base + steps * STEP
    return result.astimezone(zone) if zone else result


def clock_time(local: datetime, locale: str) -> str:
    """'4 PM', '4:30 PM', '16:00': a rounded local time as the child's language writes it."""
    twelve_hour = "h" in get_time_format("short", locale=locale).pattern
    if twelve_hour and local.minute == 0:
        text = format_skeleton("h", local, locale=locale)
    else:
        text = format_time(local, format="short", locale=locale)
    return text.replace("\u202f", " ")


def human_time(
    moment: datetime,
    *,
    now: datetime,
    timezone: str,
    tr: Translator,
    how: Literal["nearest", "down"] = "nearest",
) -> str:
    """'about 4 PM today', 'about 8 AM tomorrow', 'about 10:30 AM on Tuesday'.

    `how="down"` is for a promise made with "by": the child is never told a later time than the
    real deadline, so a deadline of 16:59 reads "by about 4:30 PM", not "by about 5 PM".
    "nearest" is for a moment something will happen (a check-in), where early or late are alike.
    """
    zone = ZoneInfo(timezone)
    local = rounded(moment.astimezone(zone), how)
    time = clock_time(local, tr.locale)
    days = (local.date() - now.astimezone(zone).date()).days
    if days == 0:
        return tr.gettext("about {time} today").replace("{time}", time)
    if days == 1:
        return tr.gettext("about {time} tomorrow").replace("{time}", time)
    if 1 < days < WEEK_DAYS:
        day = format_date(local, format="EEEE", locale=tr.locale)
    else:
        day = format_date(local, format="EEEE d MMMM", locale=tr.locale)
    return tr.gettext("about {time} on {day}").replace("{time}", time).replace("{day}", day)
