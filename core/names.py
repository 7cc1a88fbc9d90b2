"""Checking what a child types as a trusted adult's name: a first name, never contact details."""

from __future__ import annotations

import re

MAX_NAME = 40
# Digits, @, links and long strings suggest a phone number, email, handle or address.
_NOT_A_NAME = re.compile(r"\d|@|https?:|www\.|\.(com|uk|org|net)\b", re.IGNORECASE)


def clean_name(text: str) -> str | None:
    """The name to keep, or None when it is not a plain short name."""
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME or _NOT_A_NAME.search(name):
        return None
    if not any(ch.isalpha() for ch in name):
        return None
    return name
