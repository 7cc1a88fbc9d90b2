"""Encryption at rest for a child's own words (free text, voice-note references, alert messages,
trusted adults' names), with a key from settings, never from the database.

A column of type `Sealed` is encrypted on the way in and decrypted on the way out, so every
reader and writer (the chat, exports, alerts, subject access) gets it without knowing.
Fernet (AES-128-CBC with HMAC-SHA256) from `cryptography`; several keys may be given for
rotation: the first encrypts, any of them decrypts.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

from core.config import Settings

log = logging.getLogger(__name__)

# Fernet tokens are URL-safe base64, so they never hold a newline: text that is added to (the
# same answer typed over several messages, joined in SQL with a newline) is a list of tokens.
JOIN = "\n"
UNREADABLE = "[cannot be read with the encryption keys this service has]"

_cipher: MultiFernet | None = None


def token_digest(token: str) -> str:
    """What is kept of a bearer secret (a staff token, an enrolment link, a web-chat cookie):
    its SHA-256, so a database dump opens nothing. The secrets are random, so no salt."""
    return hashlib.sha256(token.encode()).hexdigest()


def configure(keys: list[str]) -> None:
    """Called once at start-up, before the database is used."""
    global _cipher
    _cipher = MultiFernet([Fernet(key.strip().encode()) for key in keys])


def configure_from(settings: Settings) -> None:
    given = settings.encryption_key
    if given is not None:
        configure(given.get_secret_value().split(","))
    else:
        configure([key_from_file(settings.encryption_key_file)])


def cipher() -> MultiFernet:
    if _cipher is None:
        raise RuntimeError("encryption is not configured: core.crypto.configure() first")
    return _cipher


def key_from_file(path: Path) -> str:
    """The embedded default: a key made on first start and kept in a file beside the data,
    readable by this user only. Councils set SAYSO_ENCRYPTION_KEY (e.g. from a secret store)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key + "\n")
    log.warning(
        "Made a new encryption key in %s: back it up. Without it, children's words cannot be "
        "read. In production set SAYSO_ENCRYPTION_KEY instead.",
        path,
    )
    return key


def seal(text: str) -> str:
    return cipher().encrypt(text.encode()).decode()


def unseal(stored: str) -> str:
    parts = []
    for token in stored.split(JOIN):
        try:
            parts.append(cipher().decrypt(token.encode()).decode())
        except InvalidToken:
            log.error("a stored value could not be decrypted with the configured keys")
            parts.append(UNREADABLE)
    return JOIN.join(parts)


class Sealed(TypeDecorator[str]):
    """Text encrypted at rest. Not searchable or sortable in SQL, by design."""

    impl = Text
    cache_ok = True

    def coerce_compared_value(self, op: Any, value: Any) -> Any:
        # A literal next to a sealed column (the newline that joins two tokens) stays plain.
        return Text()

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else unseal(value)
