"""Enrolment: a worker registers a child, gets a single-use link, and the child opens it."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import text, update
from sqlmodel import select

from api.runtime import Runtime
from core.models import Answer, AuditEntry, EnrolmentToken, YoungPerson, utcnow
from tests.child import Child
from tests.staff import add_child, add_staff
from tests.stored import stored

LINK = re.compile(r"^https://t\.me/sayso_test_bot\?start=([A-Za-z0-9_-]{32,64})$")
GONE = "does not work any more"


async def _enrol(client: httpx.AsyncClient, **body: object) -> tuple[int, str]:
    response = await client.post("/children", json={"display_name": "S.K.", **body})
    assert response.status_code == 201, response.text
    found = LINK.match(response.json()["link"])
    assert found, response.json()["link"]
    return response.json()["child"]["id"], found.group(1)


async def _record(runtime: Runtime, child_id: int) -> YoungPerson:
    async with runtime.sessionmaker() as session:
        person = await session.get(YoungPerson, child_id)
        assert person is not None
        return person


async def test_a_worker_enrols_a_child_and_gets_a_link_and_a_qr_code(
    runtime: Runtime, worker: httpx.AsyncClient
) -> None:
    response = await worker.post("/children", json={"display_name": "S.K.", "age_band": "13-15"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert LINK.match(body["link"])
    assert body["child"]["worker_id"] == worker.staff_id  # type: ignore[attr-defined]
    assert body["child"]["linked"] is False
    png = base64.b64decode(body["qr_png_base64"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 200
    assert [c["id"] for c in (await worker.get("/children")).json()] == [body["child"]["id"]]


async def test_only_a_hash_of_the_link_is_kept(runtime: Runtime, worker: httpx.AsyncClient) -> None:
    _, token = await _enrol(worker)
    async with runtime.sessionmaker() as session:
        rows = (await session.exec(select(EnrolmentToken))).all()
        dump = " ".join(str(r.model_dump()) for r in rows)
    assert len(rows) == 1 and token not in dump


async def test_opening_the_link_joins_the_chat_to_the_workers_record(
    runtime: Runtime, worker: httpx.AsyncClient, make_child: Callable[..., Child]
) -> None:
    child_id, token = await _enrol(worker)
    child = make_child()
    await child.send(f"/start {token}")
    assert "set up with your worker" in child.said()
    assert "Hello" in child.said() or "Hi" in child.said()  # onboarding starts
    person = await _record(runtime, child_id)
    assert person.telegram_chat_id == child.chat_id
    assert (await stored(runtime, child)).person.id == child_id
    async with runtime.sessionmaker() as session:
        count = (await session.exec(text("SELECT count(*) FROM young_person"))).scalar()  # type: ignore[call-overload]
        audit = (await session.exec(select(AuditEntry.action))).all()
    assert count == 1
    assert "child.link" in audit
    assert (await worker.get(f"/children/{child_id}")).json()["linked"] is True


async def test_a_used_link_links_nothing_the_second_time(
    runtime: Runtime, worker: httpx.AsyncClient, make_child: Callable[..., Child]
) -> None:
    child_id, token = await _enrol(worker)
    first, second = make_child(), make_child()
    await first.send(f"/start {token}")
    await second.send(f"/start {token}")
    assert GONE in second.said()
    assert (await _record(runtime, child_id)).telegram_chat_id == first.chat_id
    # The second child can still use the bot, as a self-referral waiting for a worker.
    assert (await stored(runtime, second)).person.worker_id is None


async def test_an_expired_link_links_nothing(
    runtime: Runtime, worker: httpx.AsyncClient, make_child: Callable[..., Child]
) -> None:
    child_id, token = await _enrol(worker)
    async with runtime.sessionmaker() as session:
        await session.exec(
            update(EnrolmentToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )  # type: ignore[call-overload]
        await session.commit()
    child = make_child()
    await child.send(f"/start {token}")
    assert GONE in child.said()
    assert (await _record(runtime, child_id)).telegram_chat_id is None


async def test_a_guessed_or_odd_payload_is_told_kindly_and_becomes_a_self_referral(
    runtime: Runtime, admin: httpx.AsyncClient, make_child: Callable[..., Child]
) -> None:
    for payload in ("x" * 32, "hello there", "🙂", "a" * 64):
        child = make_child()
        await child.send(f"/start {payload}")
        assert GONE in child.said()
        assert "Hello" in child.said() or "Hi" in child.said()
    waiting = (await admin.get("/children", params={"unallocated": True})).json()
    assert len(waiting) == 4


async def test_a_child_who_was_already_chatting_keeps_their_answers(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    await onboarded.tap("How are we doing?")
    await onboarded.tap("😀")
    before = await stored(runtime, onboarded)
    assert before.person.onboarded and before.answers
    child_id, token = await _enrol(worker)
    await onboarded.send(f"/start {token}")
    after = await stored(runtime, onboarded)
    assert after.person.id == child_id and after.person.onboarded
    assert after.person.worker_id == worker.staff_id  # type: ignore[attr-defined]
    async with runtime.sessionmaker() as session:
        moved = (await session.exec(select(Answer.young_person_id))).all()
        people = (await session.exec(select(YoungPerson.id))).all()
    assert set(moved) == {child_id} and list(people) == [child_id]
    assert after.prefs.young_person_id == child_id


async def test_a_new_link_stops_the_old_one(
    runtime: Runtime, worker: httpx.AsyncClient, make_child: Callable[..., Child]
) -> None:
    child_id, old = await _enrol(worker)
    response = await worker.post(f"/children/{child_id}/link")
    assert response.status_code == 201
    new = LINK.match(response.json()["link"]).group(1)  # type: ignore[union-attr]
    stale, fresh = make_child(), make_child()
    await stale.send(f"/start {old}")
    assert GONE in stale.said()
    await fresh.send(f"/start {new}")
    assert (await _record(runtime, child_id)).telegram_chat_id == fresh.chat_id


async def test_workers_enrol_only_to_themselves_and_touch_only_their_children(
    runtime: Runtime, worker: httpx.AsyncClient
) -> None:
    other = await add_staff(runtime, "kim@council.example")
    theirs = await add_child(runtime, worker_id=other)
    refused = await worker.post("/children", json={"display_name": "AB", "worker_id": other})
    assert refused.status_code == 403
    assert (await worker.post(f"/children/{theirs}/link")).status_code == 404
    assert (await worker.post(f"/children/{theirs + 999}/link")).status_code == 404
    for bad in ({"display_name": "AB", "role": "admin"}, {"display_name": "07700 900123"}):
        response = await worker.post("/children", json=bad)
        assert response.status_code == 422 and "detail" in response.json()


async def test_admins_enrol_children_unallocated_or_to_any_worker(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    sam = await add_staff(runtime, "sam@council.example")
    unallocated = (await admin.post("/children", json={"display_name": "JB"})).json()
    allocated = (
        await admin.post("/children", json={"display_name": "KL", "worker_id": sam})
    ).json()
    assert unallocated["child"]["worker_id"] is None
    assert allocated["child"]["worker_id"] == sam
    missing = await admin.post("/children", json={"display_name": "KL", "worker_id": 99999})
    assert missing.status_code == 409


async def test_without_the_bots_name_the_reason_is_given_and_nothing_is_made(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    runtime.settings.bot_username = None
    runtime.bot = None
    response = await admin.post("/children", json={"display_name": "JB"})
    assert response.status_code == 503
    assert "SAYSO_BOT_USERNAME" in response.json()["detail"]
    assert (await admin.get("/children")).json() == []
