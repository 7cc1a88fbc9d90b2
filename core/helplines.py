"""Free helplines a child can use now, by age: the same words in the safety reply (alert) and
the gentle check (concern). Childline is for under-19s; Samaritans for adults."""

from __future__ import annotations

from core.i18n import Translator
from core.render import N_

ADULT_BANDS = ("19-25",)

HELP_NOW = N_("You can talk to someone now. It is free, day or night:")
CHILDLINE = N_("📞 Childline: call 0800 1111")
SHOUT = N_("💬 Shout: text SHOUT to 85258")
SAMARITANS = N_("📞 Samaritans: call 116 123")


def helplines(tr: Translator, band: str | None) -> list[str]:
    """The helplines for this age band (all of them when the band is not known)."""
    lines = []
    if band not in ADULT_BANDS:  # under 19, or we do not know
        lines.append(tr.gettext(CHILDLINE))
    lines.append(tr.gettext(SHOUT))
    if band is None or band in ADULT_BANDS:
        lines.append(tr.gettext(SAMARITANS))
    return lines
