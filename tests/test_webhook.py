"""Webhook mode: the secret token is checked before the body is read; updates run once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from sqlmodel import select

from api.app import create_app
from api.runtime import Runtime, build_runtime
from core.config import Settings
from core.models import ProcessedUpdate
from tests.telegram_stub import StubSession

SECRET = "s3cret-token-for-tests_0123456789"


@pytest.fixture
async def hooked(settings: Settings, stub: StubSession) -> AsyncIterator[Runtime]:
    configured = settings.model_copy(
        update={"webhook_url": "https://sayso.example.org", "webhook_secret": SecretStr(SECRET)}
    )
    built = await build_runtime(configured, bot_session=stub)
    yield built
    await built.close()


def _client(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def _update(update_id: int) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "chat": {"id": 42, "type": "private"},
            "from": {"id": 42, "is_bot": False, "first_name": "T"},
            "text": "/start",
        },
    }


@pytest.mark.parametrize("header", [None, "wrong", SECRET[:-1], SECRET + "x"])
async def test_missing_or_wrong_secret_is_refused_before_parsing(
    hooked: Runtime, stub: StubSession, header: str | None
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": header} if header is not None else {}
    async with _client(hooked) as client:
        response = await client.post("/telegram/webhook", content=b"{not json", headers=headers)
    assert response.status_code == 403
    assert "secret" in response.json()["detail"]
    assert stub.sent() == []


async def test_right_secret_runs_the_update_once(hooked: Runtime, stub: StubSession) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with _client(hooked) as client:
        first = await client.post("/telegram/webhook", json=_update(77), headers=headers)
        second = await client.post("/telegram/webhook", json=_update(77), headers=headers)
        broken = await client.post("/telegram/webhook", content=b"{not json", headers=headers)
    assert first.status_code == second.status_code == 200
    assert broken.status_code == 400 and "detail" in broken.json()
    assert "I am sayso" in stub.sent(42)[0].text
    assert len([m for m in stub.sent(42) if "I am sayso" in m.text]) == 1
    async with hooked.sessionmaker() as session:
        assert len((await session.exec(select(ProcessedUpdate))).all()) == 1


def test_webhook_mode_needs_a_real_secret() -> None:
    with pytest.raises(ValueError, match="SAYSO_WEBHOOK_SECRET"):
        Settings(_env_file=None, webhook_url="https://x.example.org", webhook_secret="changeme")  # type: ignore[call-arg]


async def test_health_works_without_a_telegram_token(settings: Settings) -> None:
    runtime = await build_runtime(settings.model_copy(update={"telegram_token": None}))
    try:
        async with _client(runtime) as client:
            body = (await client.get("/health")).json()
        assert body["status"] == "ok" and body["telegram"] is False and len(body["languages"]) >= 6
    finally:
        await runtime.close()
