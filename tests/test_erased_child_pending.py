"""Nothing meant for an erased child reaches the next child enrolled: ids are never handed out
twice, and erasure takes the child out of everything still waiting to go to them."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace

import httpx
import limits.aio.storage.memory
import pytest

from api.runtime import Runtime
from bot.outbox_sender import TelegramSender
from core.checkins import advance
from core.delivery import Delivery
from core.models import StaffNotice, utcnow
from core.replies import queue_due_replies
from tests.checkin_helpers import ahead
from tests.child import Child
from tests.delivery_kit import FakeClock
from tests.replies_helpers import give_answer, reply_body
from tests.staff import add_staff, api_client, sign_in
from tests.telegram_stub import StubSession

TOKEN = re.compile(r"\?start=([A-Za-z0-9_-]+)$")


async def _enrol(admin: httpx.AsyncClient, make_child: Callable[..., Child], worker: int) -> int:
    """A child enrolled by an admin for a worker, who opens the link on Telegram."""
    response = await admin.post("/children", json={"display_name": "S.K.", "worker_id": worker})
    assert response.status_code == 201, response.text
    found = TOKEN.search(response.json()["link"])
    assert found is not None
    await make_child().send(f"/start {found.group(1)}")
    child_id: int = response.json()["child"]["id"]
    return child_id


async def _recipients(admin: httpx.AsyncClient, reply_id: int) -> list[int]:
    response = await admin.get(f"/replies/{reply_id}/recipients")
    assert response.status_code == 200, response.text
    return [r["child_id"] for r in response.json()]


async def _days_later(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, days: int) -> None:
    """Every clock moves on: replies are queued when their time comes, check-ins advance, and
    delivery sends all that is due by then."""
    later = utcnow() + timedelta(days=days)
    services = runtime.services
    await queue_due_replies(
        runtime.sessionmaker,
        library=services.library,
        timezone=services.settings.timezone,
        now=utcnow() + timedelta(minutes=2),
    )
    async with runtime.sessionmaker() as session:
        await advance(session, timezone=services.settings.timezone, now=later)
        await session.commit()
    clock = FakeClock()
    clock.advance(days * 86400)
    monkeypatch.setattr(limits.aio.storage.memory, "time", SimpleNamespace(time=clock.time))
    assert runtime.bot is not None
    delivery = Delivery(
        services=services,
        sessionmaker=runtime.sessionmaker,
        sender=TelegramSender(runtime.bot),
        clock=clock,
    )
    await delivery.tick()


async def test_nothing_meant_for_an_erased_child_reaches_the_next_child_enrolled(
    runtime: Runtime,
    admin: httpx.AsyncClient,
    make_child: Callable[..., Child],
    stub: StubSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker_id = await add_staff(runtime, "kit@council.example")
    first = await _enrol(admin, make_child, worker_id)
    # Something of every kind waits for the first child: a reply to their group a minute
    # ahead, a reply to their feedback already in the outbox, a check-in with its heads-up,
    # and a notice to their worker about them.
    soon = (utcnow() + timedelta(minutes=1)).isoformat()
    group = await admin.post("/replies", json=reply_body(child_ids=[first], send_at=soon))
    assert group.status_code == 201, group.text
    await give_answer(runtime, first, "listened")
    feedback = await admin.post("/replies", json=reply_body())
    assert feedback.json()["state"] == "queued"
    check_in = await admin.post(
        "/check-ins",
        json={"child_id": first, "conversation_id": "hows_life", "when": ahead(2).isoformat()},
    )
    assert check_in.status_code == 201, check_in.text
    async with runtime.sessionmaker() as session:
        session.add(StaffNotice(staff_id=worker_id, young_person_id=first, kind="unreachable"))
        await session.commit()

    erased = await admin.post(f"/children/{first}/erase", json={"reason": "Asked to be erased"})
    assert erased.status_code == 200, erased.text
    second = await _enrol(admin, make_child, worker_id)
    new_chat = 5002  # make_child's second chat id
    welcomed = len(stub.sent(new_chat))
    # One reply is meant for the new child, so delivery is seen to reach them.
    theirs = reply_body(child_ids=[second], texts={"en": {"body": "Meant for you."}})
    assert (await admin.post("/replies", json=theirs)).status_code == 201

    await _days_later(runtime, monkeypatch, days=4)
    # Only that reached the new child's chat: no other reply, no heads-up, no check-in.
    (only,) = stub.sent(new_chat)[welcomed:]
    assert "Meant for you." in only.text and only.text.startswith("📣 You said, we did")
    for reply in (group.json()["id"], feedback.json()["id"]):  # and nobody else instead
        assert await _recipients(admin, reply) == []
    async with api_client(runtime, await sign_in(runtime, "kit@council.example")) as kit:
        assert (await kit.get("/notices")).json() == []
        assert (await kit.get("/check-ins")).json() == []
    assert second != first  # an id is never handed out twice
