"""Times as a child reads them: local to the service, in their language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time


def local_parts(moment: datetime, timezone: str, locale: str) -> dict[str, str]:
    """{"time": "3:45 PM", "day": "Tuesday 24 November"} in the child's language."""
    local = moment.astimezone(ZoneInfo(timezone))
    return {
        "time": format_time(local, format="short", locale=locale),
        "day": format_date(local, format="EEEE d MMMM", locale=locale),
    }
