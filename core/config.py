"""One place for every setting; each is read from a `SAYSO_` environment variable."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

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
    timezone: str = "Europe/London"
    default_locale: str = "en"
    callback_hours: int = 24
    content_dir: Path = ROOT / "content"
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
    # Exports: counts from fewer children than this are hidden; where finished files are kept.
    min_group_size: int = 5
    export_dir: Path = ROOT / "data" / "exports"
    # Enrolment links: the bot's @username for t.me links (asked of Telegram when unset), and
    # how many days a link works before it expires.
    bot_username: str | None = None
    enrolment_link_days: int = Field(default=14, ge=1, le=90)

    @field_validator("telegram_token", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value

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

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
