"""Names and emails as people type them: one normal form (NFKC), no hidden characters, and for
a child's name (chosen by their worker, or a trusted adult's typed by the child) no contact
details. Every way in (the API, the `sayso` command, the chats) uses these."""

from __future__ import annotations

import re
import unicodedata

MAX_NAME = 40
# Links and web addresses in a name a child types suggest a handle or an address.
_CONTACT = re.compile(r"https?:|www\.|\.(com|uk|org|net)\b", re.IGNORECASE)
_JOINERS = {"\u200c", "\u200d"}  # zero-width non-joiner and joiner
_VIRAMA = 9  # the canonical combining class of a virama
_HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp"}


class TextError(ValueError):
    """Why a name or email cannot be taken, in words to show the person who typed it."""


def _joins_letters(text: str, index: int) -> bool:
    """A joiner that shapes a word, where IDNA allows one (RFC 5892, A.1 and A.2): after a
    virama (Indic scripts), or between two Arabic-script letters (Persian names need it)."""
    before, after = text[index - 1 : index], text[index + 1 : index + 2]
    if not before or not after:
        return False
    if unicodedata.combining(before) == _VIRAMA:
        return True
    return all(unicodedata.name(ch, "").startswith("ARABIC LETTER") for ch in (before, after))


def is_hidden(ch: str) -> bool:
    """Invisible, or breaks the line: control, format, surrogate, line or paragraph separator."""
    return unicodedata.category(ch) in _HIDDEN


def is_digit(ch: str) -> bool:
    """A digit in any script or form: decimal (Nd), circled, superscript or fractions (No),
    letter-like numbers (Nl). CJK ideographs with a numeric value (一, 三) are letters."""
    return unicodedata.category(ch)[0] == "N" or unicodedata.digit(ch, None) is not None


def _first_hidden(text: str, joiners: bool) -> str | None:
    """The first hidden character, as U+XXXX NAME; None when there is none."""
    for index, ch in enumerate(text):
        if not is_hidden(ch) or (joiners and ch in _JOINERS and _joins_letters(text, index)):
            continue
        return f"U+{ord(ch):04X} {unicodedata.name(ch, 'CONTROL CHARACTER')}"
    return None


def normal_text(text: str, what: str, *, joiners: bool = False) -> str:
    """NFKC (so lookalikes such as fullwidth or circled letters and digits become plain ones),
    spaces tidied; a hidden character is refused, never silently dropped. With `joiners`, a
    joiner that shapes a Persian or Indic word is kept (what a child's keyboard puts there)."""
    text = unicodedata.normalize("NFKC", text)
    hidden = _first_hidden(text, joiners)
    if hidden is not None:
        raise TextError(
            f"The {what} has a hidden character ({hidden}) that can disguise what it says. "
            "Please type it again without it."
        )
    return " ".join(text.split())


def child_name(text: str, what: str = "name", *, joiners: bool = False) -> str:
    """A first name or initials: a letter at least, no digits or @ (never a phone number or
    an email), in any form: circled or fullwidth digits are digits too."""
    name = normal_text(text, what, joiners=joiners)
    if any(is_digit(ch) or ch == "@" for ch in name):
        raise TextError(
            f"The {what} cannot have digits or @: a first name or initials only, never a "
            "phone number or an email."
        )
    if not any(ch.isalpha() for ch in name):
        raise TextError(f"The {what} needs at least one letter.")
    return name


def clean_name(text: str) -> str | None:
    """The trusted adult's name a child typed, or None when it is not a plain short name (the
    child is asked again). Line breaks and tabs a child typed are only spaces here."""
    try:
        name = child_name(" ".join(text.split()), joiners=True)
    except TextError:
        return None
    return name if len(name) <= MAX_NAME and not _CONTACT.search(name) else None


def email(text: str) -> str:
    """An email address in the one form it is stored and looked up in."""
    address = normal_text(text, "email").lower()
    local, at, domain = address.partition("@")
    if not (local and at and domain) or "@" in domain or " " in address:
        raise TextError("That does not look like an email address (name@example.org).")
    return address
