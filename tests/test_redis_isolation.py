"""In the scaled-out shape, Redis keeps one update at a time per chat across processes."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest
from aiogram.fsm.storage.redis import RedisEventIsolation
from sqlmodel import select

from api.runtime import Runtime, build_runtime
from core.config import Settings
from core.models import Answer
from tests.child import Child, next_update_id
from tests.telegram_stub import StubSession

REDIS_URL = os.environ.get("SAYSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def redis_runtimes(settings: Settings) -> AsyncIterator[tuple[Runtime, Runtime, StubSession]]:
    """Two 'processes' sharing one database and one Redis: the PostgreSQL shape only, since
    SQLite is the single-process default."""
    import redis.asyncio as redis

    if settings.is_sqlite:
        pytest.skip("several processes share PostgreSQL, not SQLite")

    client = redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (OSError, redis.ConnectionError) as error:
        await client.aclose()
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"Redis not reachable at {REDIS_URL} ({error}); set SAYSO_TEST_REDIS_URL")
    await client.aclose()
    configured = settings.model_copy(update={"redis_url": REDIS_URL})
    stub = StubSession()
    first = await build_runtime(configured, bot_session=stub)
    second = await build_runtime(configured, bot_session=stub)
    yield first, second, stub
    await first.close()
    await second.close()


async def test_two_processes_with_redis_process_a_doubled_update_once(redis_runtimes) -> None:  # type: ignore[no-untyped-def]
    first, second, stub = redis_runtimes
    assert isinstance(first.dispatcher.fsm.events_isolation, RedisEventIsolation)
    child = Child(first, stub, chat_id=4242)
    await child.send("/feedback")
    await child.tap("How are we doing?")
    data = child.replies[-1].reply_markup.inline_keyboard[1][0].callback_data
    body = {
        "callback_query": {"id": "r", "from": child._user(), "chat_instance": "c", "data": data}
    }
    update_id = next_update_id()
    other = Child(second, stub, chat_id=4242)
    await asyncio.gather(child.feed(body, update_id), other.feed(body, update_id))
    async with first.sessionmaker() as session:
        answers = (await session.exec(select(Answer))).all()
    assert [a.value for a in answers] == ["good"]


async def test_sign_in_attempts_are_counted_across_processes_through_redis(redis_runtimes) -> None:  # type: ignore[no-untyped-def]
    import redis.asyncio as redis

    from tests.staff import PASSWORD, add_staff, api_client

    first, second, _ = redis_runtimes
    client = redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()
    await add_staff(first, "sam@council.example")
    limit = first.settings.login_attempts_per_minute
    wrong = {"email": "sam@council.example", "password": "not the password"}
    codes = []
    for attempt in range(limit + 1):
        runtime = first if attempt % 2 == 0 else second
        async with api_client(runtime) as api:
            codes.append((await api.post("/auth/token", json=wrong)).status_code)
    assert codes[:limit] == [401] * limit and codes[limit] == 429
    async with api_client(second) as api:
        right = await api.post(
            "/auth/token", json={"email": "sam@council.example", "password": PASSWORD}
        )
    assert right.status_code == 429  # still limited, whichever process is asked
