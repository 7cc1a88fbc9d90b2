"""Staff passwords, as NIST SP 800-63B asks: long enough, not on the lists of common and
breached passwords (zxcvbn's own lists, and its estimate of how many guesses a password
takes), not one character repeated, and not the account's own email or name. No rules about
symbols or digits: length and unpredictability are what count. One rule for the API and the
`sayso` command."""

from __future__ import annotations

import re

from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 200
# zxcvbn's own limit (its time grows fast with length): longer ones are judged on these.
_JUDGED = 72
# zxcvbn's "safely unguessable": about 10^8 guesses or more, against a slow hash like ours.
_ENOUGH = 3
# Parts of an email or name this long or longer may not appear in the password; shorter ones
# ("Al", "Sam") would refuse too much, and zxcvbn still counts them as easy to guess.
_OWN_PART = 4
ADVICE = "A few unrelated words together make a strong password that is easy to remember."


class WeakPassword(ValueError):
    """Why a password cannot be used, in kind words for the person choosing it."""


def _own_words(email: str, name: str) -> set[str]:
    """The account's email and name, whole and in parts, as someone guessing would try them."""
    email, name = email.casefold(), name.casefold()
    local = email.partition("@")[0]
    parts = re.split(r"[\W_]+", f"{local} {name}")
    words = {email, local, name, name.replace(" ", ""), *parts}
    return {word for word in words if len(word) >= _OWN_PART}


def check_password(password: str, *, email: str, name: str) -> None:
    """Raises WeakPassword with the reason when this password would be easy to guess."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"Please use at least {MIN_LENGTH} characters. {ADVICE}")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"Please use at most {MAX_LENGTH} characters.")
    if len(set(password)) == 1:
        raise WeakPassword(f"One character repeated is easy to guess. {ADVICE}")
    own = _own_words(email, name)
    if any(word in password.casefold() for word in own):
        raise WeakPassword(
            "Please keep your email and name out of your password: they are the first things "
            f"someone would try. {ADVICE}"
        )
    judged = zxcvbn(password[:_JUDGED], user_inputs=sorted(own))
    if judged["score"] < _ENOUGH:
        why = judged["feedback"]["warning"] or "It is close to common or breached passwords."
        raise WeakPassword(f"This password would be easy to guess. {why} {ADVICE}")
