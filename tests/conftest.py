"""Shared fixtures: a real database (SQLite always; PostgreSQL when reachable, and always on CI),
the real runtime with a stub Telegram session, and children who talk to the bot."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from api.runtime import Runtime, build_runtime
from core.config import ROOT, Settings
from core.i18n import compile_catalogues
from tests.child import Child
from tests.safeguarding_kit import SmtpServer
from tests.staff import add_staff, api_client, sign_in
from tests.telegram_stub import StubSession

POSTGRES_URL = os.environ.get(
    "SAYSO_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
ON_CI = os.environ.get("CI", "").lower() == "true"
# A fixed key for every test; a new one per run would do too, but a fixed one reads back dumps.
TEST_KEY = "kQ9m4mJZb0m2o1n3dQK5m0k8cXv0m8m4YQk2b1Q5mJk="


def pytest_configure(config: pytest.Config) -> None:
    compile_catalogues(ROOT / "locales")


async def _fresh_postgres(url: str) -> None:
    """An empty public schema, so migrations run from nothing."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    except (OSError, Exception) as error:  # connection refused, auth, missing database
        if ON_CI:
            raise
        pytest.skip(
            f"PostgreSQL not reachable at {url} ({type(error).__name__}); "
            "set SAYSO_TEST_DATABASE_URL to run these tests on PostgreSQL"
        )
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'sayso.db'}"
    await _fresh_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        telegram_token="123456:TEST-token-for-tests",
        bot_username="sayso_test_bot",
        encryption_key=TEST_KEY,
        webhook_url=None,
        webhook_secret=None,
        redis_url=None,
    )


@pytest.fixture
def stub() -> StubSession:
    return StubSession()


@pytest.fixture
async def runtime(settings: Settings, stub: StubSession) -> AsyncIterator[Runtime]:
    built = await build_runtime(settings, bot_session=stub)
    # The screening model loads in the background; tests judge words with both layers, so
    # they wait for it (once per process: every runtime shares the one model).
    assert built.services.screener is not None
    assert built.services.screener.wait(600), built.services.screener.state
    yield built
    await built.close()


@pytest.fixture
def make_child(runtime: Runtime, stub: StubSession) -> Callable[..., Child]:
    chat_ids = iter(range(5001, 9999))

    def make(language_code: str | None = "en") -> Child:
        return Child(runtime, stub, next(chat_ids), language_code)

    return make


@pytest.fixture
async def onboarded(make_child: Callable[..., Child]) -> Child:
    """A child who has finished onboarding, skipping every choice."""
    child = make_child()
    await child.send("/start")
    while "All done" not in child.said():
        if "▶️ Next" in child.buttons():
            await child.tap("▶️ Next")
        else:
            await child.tap("⏭️ Skip")
    return child


@pytest.fixture
async def admin(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An admin, signed in, talking to the admin API."""
    await add_staff(runtime, "ada@council.example", role="admin")
    async with api_client(runtime, await sign_in(runtime, "ada@council.example")) as client:
        yield client


@pytest.fixture
async def worker(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """A worker, signed in; `worker.staff_id` is their account id."""
    staff_id = await add_staff(runtime, "sam@council.example")
    async with api_client(runtime, await sign_in(runtime, "sam@council.example")) as client:
        client.staff_id = staff_id  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real local SMTP server that keeps what it is sent (alert and notice emails)."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
