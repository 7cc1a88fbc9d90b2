"""Every shipped language is complete, not fuzzy, compiles, and keeps every placeholder."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.i18n import available_locales, is_rtl

LOCALES = Path(__file__).resolve().parent.parent / "locales"
SHIPPED = [code for code in available_locales(LOCALES) if code != "en"]
PLACEHOLDER = re.compile(r"\{[a-z_]*\}")
COMMAND = re.compile(r"/[a-z]+\b")
DIGITS = re.compile(r"\b\d{3}\b")


def _catalog(code: str):  # type: ignore[no-untyped-def]
    with (LOCALES / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code)


def _template_ids() -> set[str]:
    with (LOCALES / "messages.pot").open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_at_least_five_languages_two_right_to_left() -> None:
    assert len(SHIPPED) >= 5, SHIPPED
    assert sum(is_rtl(code) for code in SHIPPED) >= 2


@pytest.mark.parametrize("code", SHIPPED)
def test_catalogue_is_complete_and_not_fuzzy(code: str) -> None:
    catalog = _catalog(code)
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert _template_ids() <= ids, f"{code}: run `make messages`; missing {_template_ids() - ids}"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, f"{code}: " + "\n".join(problems)


@pytest.mark.parametrize("code", SHIPPED)
def test_translations_keep_placeholders_and_commands(code: str) -> None:
    problems = []
    for message in _catalog(code):
        if not message.id or not message.string:
            continue
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(" ".join(sources)))
        commands = set(COMMAND.findall(" ".join(sources)))
        for string in strings:
            if not string:
                continue
            if set(PLACEHOLDER.findall(string)) != wanted:
                problems.append(f"placeholders differ: {sources[0]!r} -> {string!r}")
            if not commands <= set(COMMAND.findall(string)):
                problems.append(f"command changed: {sources[0]!r} -> {string!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", SHIPPED)
def test_catalogue_compiles_and_loads(code: str) -> None:
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(code))
    buffer.seek(0)
    translations = gettext.GNUTranslations(buffer)
    assert translations.gettext("⏭️ Skip") != "⏭️ Skip"
