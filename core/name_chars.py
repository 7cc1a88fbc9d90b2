"""Character classes for the patterns the API publishes for names and emails, so its OpenAPI
document says what core/names.py refuses (schemathesis holds the API to its document).

Worked out from the Unicode database, once: `python -m core.name_chars` writes
name_chars.json again (a test fails when it no longer matches the running Python). Each class
holds every character that is, or becomes under NFKC, what its name says. Characters beyond
U+FFFF are written as themselves: no escape for them works in every regex dialect.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

DATA = Path(__file__).with_name("name_chars.json")


def _becomes(test: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda ch: any(test(c) for c in unicodedata.normalize("NFKC", ch))


def _tests() -> dict[str, Callable[[str], bool]]:
    from core.names import is_digit, is_hidden  # the rules themselves: one home

    return {
        "hidden": _becomes(is_hidden),
        "blank": lambda ch: not unicodedata.normalize("NFKC", ch).strip(),
        "spaced": _becomes(str.isspace),
        "at": _becomes(lambda c: c == "@"),
        "digit": _becomes(is_digit),
    }


def _escape(code: int) -> str:
    return f"\\u{code:04X}" if code < 0x10000 else chr(code)


def character_class(test: Callable[[str], bool]) -> str:
    """Every character passing `test`, as ranges for inside a regex's [...]."""
    parts, start = [], None
    for code in range(sys.maxunicode + 2):
        # Surrogates never arrive as UTF-8, and some regex engines refuse them in a class.
        inside = code <= sys.maxunicode and not 0xD800 <= code <= 0xDFFF and test(chr(code))
        if inside and start is None:
            start = code
        elif not inside and start is not None:
            end = code - 1
            parts.append(_escape(start) + ("-" + _escape(end) if end > start else ""))
            start = None
    return "".join(parts)


def generate() -> dict[str, str]:
    classes = {name: character_class(test) for name, test in _tests().items()}
    return {"unicode": unicodedata.unidata_version, **classes}


CLASSES: dict[str, str] = json.loads(DATA.read_text(encoding="utf-8"))

if __name__ == "__main__":
    DATA.write_text(json.dumps(generate(), indent=1) + "\n", encoding="utf-8")
