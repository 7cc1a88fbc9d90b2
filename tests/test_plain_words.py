"""Every English string a child sees is plain, short, kind and honest."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from core.config import ROOT
from core.render import SCALE_LABELS, YESNO_LABELS
from tests.readability import grade, syllables

EASY_NOTE = "Easy-read version"
MIN_WORDS_FOR_GRADE = 4  # Flesch-Kincaid means nothing for a two-word button label.
EMOJI = re.compile(r"[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\u23E9-\u23FA]")
SECRECY = re.compile(
    r"won'?t tell anyone|keep (it|this|that) (a )?secret|\bsecret\b|confidential|private between us|just between us",
    re.I,
)


def _strings() -> list[tuple[str, bool]]:
    with (ROOT / "locales" / "messages.pot").open("rb") as handle:
        catalog = read_po(handle)
    found = []
    for message in catalog:
        if not message.id:
            continue
        easy = any(EASY_NOTE in comment for comment in message.auto_comments)
        for text in message.id if isinstance(message.id, tuple) else (message.id,):
            found.append((text, easy))
    return found


STRINGS = _strings()


def test_catalogue_template_is_up_to_date() -> None:
    ids = {text for text, _ in STRINGS}
    for label in (*SCALE_LABELS.values(), *YESNO_LABELS.values()):
        assert label in ids, "run `make messages`"
    assert len(STRINGS) > 200


@pytest.mark.parametrize(("text", "easy"), STRINGS, ids=[t[:40] for t, _ in STRINGS])
def test_reads_at_grade_five_or_easy_read_at_grade_three(text: str, easy: bool) -> None:
    limit = 3 if easy else 5
    words = re.findall(r"[A-Za-z']+", re.sub(r"\{[^}]*\}", "it", text))
    if len(words) >= MIN_WORDS_FOR_GRADE:
        assert grade(text) <= limit, f"grade {grade(text):.1f} > {limit}: {text}"
    else:
        long_words = [w for w in words if syllables(w) > 3]
        assert not long_words, f"hard words in a short label: {long_words}"


@pytest.mark.parametrize(("text", "easy"), STRINGS, ids=[t[:40] for t, _ in STRINGS])
def test_short_and_emoji_never_alone(text: str, easy: bool) -> None:
    assert len(text) <= 200, "one idea a message: split it"
    if EMOJI.search(text):
        assert re.search(r"[A-Za-z]{2,}", text), f"emoji without words: {text!r}"


@pytest.mark.parametrize(("text", "easy"), STRINGS, ids=[t[:40] for t, _ in STRINGS])
def test_never_promises_secrecy(text: str, easy: bool) -> None:
    assert not SECRECY.search(text), f"sounds like a promise of secrecy: {text!r}"


def test_readability_check_can_fail() -> None:
    hard = "Notwithstanding considerable organisational complexities, practitioners systematically prioritise collaborative interventions."
    assert grade(hard) > 5
