"""Languages: which we ship, how to choose one for a child, compiling and loading catalogues."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Protocol

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "messages"
SOURCE_LOCALE = "en"


class Translator(Protocol):
    """What rendering needs from a language: singular and plural lookups."""

    locale: str

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...


def available_locales(locales_dir: Path) -> list[str]:
    """English first, then every language with a catalogue, in a stable order."""
    found = sorted(p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return [SOURCE_LOCALE, *(code for code in found if code != SOURCE_LOCALE)]


def native_name(code: str) -> str:
    """A language's name in itself ("Cymraeg", "العربية"): how a child recognises it."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def is_rtl(code: str) -> bool:
    return Locale.parse(code).character_order == "right-to-left"


def pick_locale(stored: str | None, telegram_code: str | None, available: list[str]) -> str:
    """The child's own choice, else their app's language, else English."""
    for candidate in (stored, telegram_code):
        if not candidate:
            continue
        code = candidate.replace("-", "_")
        for option in (code, code.split("_")[0].lower()):
            if option in available:
                return option
    return SOURCE_LOCALE


def compile_catalogues(locales_dir: Path) -> list[Path]:
    """Write a .mo beside every .po that is newer than it; return the files written."""
    written = []
    for po_path in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written


class BabelTranslator:
    """A Translator over compiled catalogues, for channels and checks outside aiogram."""

    def __init__(self, locales_dir: Path, locale: str) -> None:
        self.locale = locale
        self._translations = _load(str(locales_dir), locale)

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)


@lru_cache(maxsize=64)
def _load(locales_dir: str, locale: str) -> NullTranslations:
    if locale == SOURCE_LOCALE:
        return NullTranslations()
    return Translations.load(locales_dir, [locale], DOMAIN)
