"""The Babel extractor finds every child-facing string in content, with lines and notes."""

from __future__ import annotations

import io

from core.content_extract import EASY_NOTE, extract_content

YAML = b"""id: demo
version: 1
title: "Demo"
outro:
  text: "Bye"
questions:
  - id: q1
    type: choice
    statement: "Staff-only outcome statement"
    text: "How are you?"
    easy: "You OK?"
    note: "Ask gently."
    options:
      - id: a
        text: "Fine"
"""


def test_extractor_finds_strings_with_lines_and_translator_notes() -> None:
    found = {
        message: (line, comments)
        for line, _, message, comments in extract_content(io.BytesIO(YAML), [], [], {})
    }
    assert set(found) == {"Demo", "Bye", "How are you?", "You OK?", "Fine"}
    assert found["How are you?"] == (10, ["Ask gently."])
    assert found["You OK?"][1] == ["Ask gently.", EASY_NOTE]
    assert found["Fine"][0] == 15
    assert "Staff-only outcome statement" not in found
