"""Flesch-Kincaid grade for short child-facing strings (syllables from Pyphen's dictionary)."""

from __future__ import annotations

import re

import pyphen

_DICTIONARY = pyphen.Pyphen(lang="en_GB")
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def syllables(word: str) -> int:
    return max(1, len(_DICTIONARY.positions(word.lower())) + 1)


def grade(text: str) -> float:
    """0.39 * words per sentence + 11.8 * syllables per word - 15.59."""
    text = _PLACEHOLDER.sub("it", text)
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len(re.findall(r"[.!?:]+(?:\s|$)", text.strip())) or 1)
    total = sum(syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * total / len(words) - 15.59
