"""The fixed safety reply and the safety questions: plain, honest, and checked at load time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core import concerns, helplines, safeguarding
from core.config import ROOT
from core.content import ContentError, load_file, load_library
from tests.readability import grade
from tests.test_plain_words import SECRECY

REPLY = [
    safeguarding.THANKS,
    safeguarding.DANGER,
    helplines.HELP_NOW,
    helplines.CHILDLINE,
    helplines.SHOUT,
    helplines.SAMARITANS,
    safeguarding.TELL_WORKER,
    safeguarding.TELL_DUTY,
    safeguarding.OUT_OF_HOURS,
    safeguarding.NOT_EMERGENCY,
    safeguarding.CARRY_ON_NOTE,
    safeguarding.CARRY_ON,
]


# The gentle check asks one question on purpose ("Do you want to tell me more?").
CHECK = [
    concerns.SOUNDS_HARD,
    concerns.ANY_TIME,
    concerns.TELL_MORE,
    concerns.MORE,
    concerns.CALL,
    concerns.LISTENING,
    concerns.KEPT,
    concerns.CALL_ASKED,
]


@pytest.mark.parametrize("text", CHECK)
def test_the_gentle_check_is_plain_honest_and_calm(text: str) -> None:
    words = re.findall(r"[A-Za-z']+", text)
    if len(words) >= 4:
        assert grade(text) <= 5, f"grade {grade(text):.1f}: {text}"
    assert not SECRECY.search(text)
    assert "999" not in text and "danger" not in text.lower()  # no alarm
    assert text.count("?") <= 1


@pytest.mark.parametrize("text", REPLY)
def test_the_safety_reply_is_plain_and_honest(text: str) -> None:
    words = re.findall(r"[A-Za-z']+", text)
    if len(words) >= 4:
        assert grade(text) <= 5, f"grade {grade(text):.1f}: {text}"
    assert not SECRECY.search(text)
    assert "?" not in text  # no probing questions
    assert len(text) <= 200


def test_the_helpline_numbers_are_the_real_ones() -> None:
    assert "999" in safeguarding.DANGER
    assert "0800 1111" in helplines.CHILDLINE
    assert "SHOUT" in helplines.SHOUT and "85258" in helplines.SHOUT
    assert "116 123" in helplines.SAMARITANS


def test_feeling_safe_is_the_shipped_safety_question() -> None:
    library = load_library(ROOT / "content")
    marked = [(c.id, q.id) for c in library.conversations.values() for q in c.questions if q.safety]
    assert marked == [("hows_life", "safe")]


def test_only_a_scale_question_can_be_a_safety_question(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(
        "id: x\nversion: 1\ntitle: X\noutro: {text: Bye}\nquestions:\n"
        "  - id: q1\n    type: text\n    text: Why?\n    safety: true\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentError) as error:
        load_file(path)
    assert f"{path}:9: questions.0.safety" in str(error.value)
    assert "only scale questions" in str(error.value)
