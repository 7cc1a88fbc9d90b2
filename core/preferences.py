"""The child's contact preferences: what each onboarding answer means for a scheduler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import time

from core.models import Preferences, YoungPerson

ADVANCE_NOTICE = {"none": 0, "one_day": 1, "three_days": 3, "one_week": 7}
QUIET_HOURS = {
    "none": None,
    "nine_to_eight": (21, 8),
    "eight_to_nine": (20, 9),
    "ten_to_seven": (22, 7),
}
PREFERRED_DAYS = {"any": list(range(7)), "weekdays": [0, 1, 2, 3, 4], "weekends": [5, 6]}
PREFERRED_TIMES = {
    "any": [[9, 21]],
    "morning": [[9, 12]],
    "afternoon": [[12, 15]],
    "after_school": [[15, 18]],
    "evening": [[18, 21]],
}
CONTACT_ROUTES = {"direct": "direct", "trusted_adult": "trusted_adult"}
READING_MODES = ("standard", "easy")
RELATIONSHIPS = (
    "carer",
    "foster_carer",
    "parent",
    "family",
    "teacher",
    "key_worker",
    "advocate",
    "other",
)


@dataclass
class Target:
    """What a setting changes: the child's row and their preferences row."""

    child: YoungPerson
    prefs: Preferences


@dataclass(frozen=True)
class Setting:
    values: tuple[str, ...] | None
    apply: Callable[[Target, str], None]


def _quiet(target: Target, value: str) -> None:
    hours = QUIET_HOURS[value]
    target.prefs.quiet_start = time(hours[0]) if hours else None
    target.prefs.quiet_end = time(hours[1]) if hours else None


def _set_pref(field: str, table: dict[str, object]) -> Callable[[Target, str], None]:
    def apply(target: Target, value: str) -> None:
        setattr(target.prefs, field, table[value])

    return apply


def _set_child(field: str) -> Callable[[Target, str], None]:
    def apply(target: Target, value: str) -> None:
        setattr(target.child, field, value)

    return apply


def _tell(target: Target, value: str) -> None:
    # "Not sure" keeps the safer choice: tell them.
    target.prefs.tell_before_changes = value != "no"


def _handled_by_service(target: Target, value: str) -> None:
    """Trusted contacts are rows of their own; the conversation service writes them."""


SETTINGS: dict[str, Setting] = {
    "language": Setting(None, _set_child("locale")),
    "reading_mode": Setting(READING_MODES, _set_child("reading_mode")),
    "advance_notice": Setting(
        tuple(ADVANCE_NOTICE), _set_pref("advance_notice_days", ADVANCE_NOTICE)
    ),
    "quiet_hours": Setting(tuple(QUIET_HOURS), _quiet),
    "preferred_days": Setting(tuple(PREFERRED_DAYS), _set_pref("preferred_days", PREFERRED_DAYS)),
    "preferred_times": Setting(
        tuple(PREFERRED_TIMES), _set_pref("preferred_hours", PREFERRED_TIMES)
    ),
    "contact_route": Setting(tuple(CONTACT_ROUTES), _set_pref("contact_route", CONTACT_ROUTES)),
    "tell_before_changes": Setting(("yes", "not_sure", "no"), _tell),
    "trusted_name": Setting(None, _handled_by_service),
    "trusted_relationship": Setting(RELATIONSHIPS, _handled_by_service),
}


def option_for(setting: str, target: Target) -> str | None:
    """The option id that matches the stored value, so settings can show the current choice."""
    prefs, child = target.prefs, target.child
    current: dict[str, object] = {
        "language": child.locale,
        "reading_mode": child.reading_mode,
        "advance_notice": _key_of(ADVANCE_NOTICE, prefs.advance_notice_days),
        "quiet_hours": _key_of(
            QUIET_HOURS,
            (prefs.quiet_start.hour, prefs.quiet_end.hour)
            if prefs.quiet_start and prefs.quiet_end
            else None,
        ),
        "preferred_days": _key_of(PREFERRED_DAYS, prefs.preferred_days),
        "preferred_times": _key_of(PREFERRED_TIMES, prefs.preferred_hours),
        "contact_route": prefs.contact_route,
        "tell_before_changes": "yes" if prefs.tell_before_changes else "no",
    }
    value = current.get(setting)
    return value if isinstance(value, str) else None


def _key_of(table: dict[str, object], value: object) -> str | None:
    return next((key for key, stored in table.items() if stored == value), None)
