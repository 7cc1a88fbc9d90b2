"""Proactive messages reach the child once, within Telegram's limits, whatever Telegram says back.
Real database (SQLite and PostgreSQL), real aiogram Bot, a scripted Bot API session, a fake clock."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import time
from datetime import timedelta

import httpx
import pytest
import redis.asyncio as redis
from sqlmodel import select

from api.runtime import Runtime
from core.config import Settings
from core.delivery import Clock, Pacer
from core.models import OutboxMessage, StaffNotice, YoungPerson
from tests.child import Child
from tests.delivery_kit import Kit
from tests.staff import add_child, add_staff


@pytest.fixture
def kit(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Kit:
    return Kit(runtime, monkeypatch)


async def test_a_due_message_is_sent_in_the_childs_language_and_recorded(kit: Kit) -> None:
    child = await kit.child(701, locale="cy")
    row_id = await kit.enqueue(child, 1)
    later = await kit.enqueue(child, 2, due_at=kit.clock.now() + timedelta(hours=1))

    assert await kit.delivery.tick() == 1

    assert kit.texts(701) == ["message 1 (cy)"]
    row = await kit.row(row_id)
    assert row.status == "sent" and row.sent_at is not None
    assert row.telegram_message_id == 1000  # the id Telegram gave the message
    assert (await kit.row(later)).status == "pending"


async def test_a_message_that_no_longer_needs_saying_is_cancelled_not_sent(kit: Kit) -> None:
    child = await kit.child(702)
    row_id = await kit.enqueue(child, 1, moot=True)
    await kit.delivery.tick()
    assert kit.texts() == []
    assert (await kit.row(row_id)).status == "cancelled"


async def test_flood_control_pauses_every_chat_then_retries_without_counting_a_failure(
    kit: Kit,
) -> None:
    first, second = await kit.child(711), await kit.child(712)
    one = await kit.enqueue(first, 1)
    two = await kit.enqueue(second, 2)
    kit.session.script[711] = ["429"]

    await kit.delivery.tick()

    refused_at = kit.session.refused[0][0]
    assert kit.texts() == ["message 1 (en)", "message 2 (en)"]
    # retry_after was 3 s: nothing at all went to Telegram in those 3 seconds
    assert all(at >= refused_at + 3 for at, _, _ in kit.session.went)
    assert (await kit.row(one)).attempts == 0
    assert (await kit.row(two)).status == "sent"


async def test_server_errors_back_off_until_dead_then_an_admin_requeues(
    kit: Kit, admin: httpx.AsyncClient
) -> None:
    child = await kit.child(721)
    row_id = await kit.enqueue(child, 1)
    kit.delivery.max_attempts = 3
    kit.session.script[721] = ["500", "net", "500"]

    await kit.delivery.tick()
    row = await kit.row(row_id)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
    assert row.last_error and "Bad Gateway" in row.last_error
    assert row.due_at > kit.clock.now()  # backed off
    await kit.delivery.tick()
    assert (await kit.row(row_id)).attempts == 1  # not due yet: not tried again

    for _ in range(2):
        kit.clock.t = (await kit.row(row_id)).due_at.timestamp() + 0.1
        await kit.delivery.tick()
    row = await kit.row(row_id)
    assert (row.status, row.attempts) == ("dead", 3)
    assert kit.texts() == []

    dead = (await admin.get("/outbox/dead")).json()
    assert [(d["id"], d["status"], d["attempts"]) for d in dead] == [(row_id, "dead", 3)]
    assert "Bad Gateway" in dead[0]["last_error"]
    counts = (await admin.get("/outbox/counts")).json()
    assert counts == {"pending": 0, "sending": 0, "sent": 0, "dead": 1, "cancelled": 0}

    response = await admin.post(f"/outbox/{row_id}/requeue")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    again = await admin.post(f"/outbox/{row_id}/requeue")
    assert again.status_code == 409 and "pending" in again.json()["detail"]
    assert (await admin.post("/outbox/999999/requeue")).status_code == 404

    kit.clock.t = max(kit.clock.t, time.time()) + 1  # the API requeued it for (real) now
    await kit.delivery.tick()
    assert kit.texts() == ["message 1 (en)"]
    assert (await kit.row(row_id)).status == "sent"
    audit = (await admin.get("/audit")).json()
    assert any(entry["action"] == "outbox.requeue" for entry in audit)


async def test_workers_cannot_see_or_requeue_dead_letters(
    kit: Kit, worker: httpx.AsyncClient
) -> None:
    assert (await worker.get("/outbox/dead")).status_code == 403
    assert (await worker.post("/outbox/1/requeue")).status_code == 403


async def test_a_refused_request_is_dead_at_once(kit: Kit) -> None:
    child = await kit.child(731)
    row_id = await kit.enqueue(child, 1)
    kit.session.script[731] = ["400"]
    await kit.delivery.tick()
    row = await kit.row(row_id)
    assert (row.status, row.attempts) == ("dead", 0)
    assert row.last_error and "chat not found" in row.last_error


async def test_a_child_who_blocked_the_bot_is_unreachable_their_messages_cancelled_worker_told(
    kit: Kit, runtime: Runtime, onboarded: Child
) -> None:
    worker_id = await add_staff(runtime, "kim@council.example")
    async with runtime.sessionmaker() as session:
        child = (
            await session.exec(
                select(YoungPerson).where(YoungPerson.telegram_chat_id == onboarded.chat_id)
            )
        ).one()
        child.worker_id = worker_id
        await session.commit()
    assert child.id is not None
    now = kit.delivery.clock.now()
    rows = [await kit.enqueue(child.id, n, due_at=now + timedelta(days=n)) for n in range(3)]
    rows.append(await kit.enqueue(child.id, 9))  # due now too: claimed in the same batch
    kit.session.script[onboarded.chat_id] = ["403"]

    await kit.delivery.tick()

    assert [(await kit.row(r)).status for r in rows] == ["cancelled"] * 4
    assert len(kit.session.refused) == 1  # one try was enough to know
    async with runtime.sessionmaker() as session:
        stored = await session.get(YoungPerson, child.id)
        assert stored is not None and stored.unreachable_at is not None
        notices = (await session.exec(select(StaffNotice))).all()
    assert [(n.staff_id, n.young_person_id, n.kind) for n in notices] == [
        (worker_id, child.id, "unreachable")
    ]

    await onboarded.send("hi, I'm back")  # they unblocked the bot and wrote to it
    async with runtime.sessionmaker() as session:
        stored = await session.get(YoungPerson, child.id)
        assert stored is not None and stored.unreachable_at is None


async def test_one_message_a_second_per_chat_and_thirty_a_second_overall(kit: Kit) -> None:
    busy, other = await kit.child(741), await kit.child(742)
    for n in range(4):
        await kit.enqueue(busy, n)
    for n in range(4, 7):
        await kit.enqueue(other, n)
    many = [await kit.child(800 + i) for i in range(60)]
    for i, child in enumerate(many):
        await kit.enqueue(child, 100 + i)
    start = kit.clock.time()

    await kit.delivery.tick()

    went = kit.session.went
    assert len(went) == 67
    for chat in (741, 742):
        times = [at for at, c, _ in went if c == chat]
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(times)), times
    assert kit.texts(741) == [f"message {n} (en)" for n in range(4)]  # in order
    times = sorted(at for at, _, _ in went)
    assert all(times[i + 30] - times[i] >= 1.0 for i in range(len(times) - 30))
    # ... and nobody waits behind the busy chat: everything is out in about 3 seconds
    assert times[-1] - start < 3.2


async def test_paused_and_web_chat_children_wait_untouched(kit: Kit) -> None:
    paused = await kit.child(751, paused=True)
    web = await kit.child(752, channel="web")
    unlinked = await add_child(kit.runtime, worker_id=None)
    rows = [await kit.enqueue(c, n) for n, c in enumerate((paused, web, unlinked))]

    assert await kit.delivery.tick() == 0
    for row_id in rows:
        row = await kit.row(row_id)
        assert (row.status, row.claimed_by) == ("pending", None)

    async with kit.runtime.sessionmaker() as session:
        child = await session.get(YoungPerson, paused)
        assert child is not None
        child.paused = False
        await session.commit()
    await kit.delivery.tick()
    assert kit.texts() == ["message 0 (en)"]


async def test_a_long_message_goes_in_pieces_and_a_retry_does_not_repeat_a_piece(
    kit: Kit,
) -> None:
    child = await kit.child(761)
    row_id = await kit.enqueue(child, 1, long=True)
    kit.session.script[761] = ["ok", "500"]

    await kit.delivery.tick()
    row = await kit.row(row_id)
    assert (row.status, row.parts_sent) == ("pending", 1)
    kit.clock.t = row.due_at.timestamp() + 0.1
    await kit.delivery.tick()

    pieces = kit.texts(761)
    assert len(pieces) == 2 and len(set(pieces)) == 2
    assert pieces[0].startswith("message 1 (en)")
    assert (await kit.row(row_id)).status == "sent"


async def test_a_process_that_dies_mid_message_leaves_no_accepted_piece_to_send_again(
    kit: Kit,
) -> None:
    """Each piece is recorded the moment Telegram accepts it: a process that dies while the
    second piece is on its way leaves the first one recorded, so whoever takes the row over
    after the lease sends the second piece only (Telegram takes no idempotency key)."""
    child = await kit.child(781)
    row_id = await kit.enqueue(child, 1, long=True)

    async def dies() -> None:
        raise asyncio.CancelledError  # as the process is killed mid-send

    async def first_piece_on_its_way() -> None:
        kit.session.while_sending[781] = dies  # the next send to this chat

    kit.session.while_sending[781] = first_piece_on_its_way
    with contextlib.suppress(asyncio.CancelledError):
        await kit.delivery.tick()
    row = await kit.row(row_id)
    assert (row.status, row.parts_sent) == ("sending", 1)

    kit.clock.t += kit.delivery.lease + 1
    await kit.new_delivery("another-process").tick()

    pieces = kit.texts(781)
    assert len(pieces) == 2 and len(set(pieces)) == 2  # each piece once
    assert (await kit.row(row_id)).status == "sent"


async def test_a_claim_left_by_a_dead_process_is_taken_again_after_the_lease(kit: Kit) -> None:
    child = await kit.child(771)
    lost, held = await kit.enqueue(child, 1), await kit.enqueue(child, 2)
    async with kit.runtime.sessionmaker() as session:
        for row_id, age in ((lost, kit.delivery.lease + 5), (held, 1)):
            row = await session.get(OutboxMessage, row_id)
            assert row is not None
            row.status, row.claimed_by = "sending", "a-process-that-died"
            row.claimed_at = kit.clock.now() - timedelta(seconds=age)
        await session.commit()

    await kit.delivery.tick()

    assert kit.texts() == ["message 1 (en)"]  # the live claim is left alone
    assert (await kit.row(held)).status == "sending"


async def test_simultaneous_claims_never_share_a_row(kit: Kit) -> None:
    children = [await kit.child(900 + i) for i in range(40)]
    for n, child in enumerate(children):
        await kit.enqueue(child, n)
    workers = [kit.new_delivery(f"worker-{i}") for i in range(4)]
    for delivery in workers:
        delivery.batch = 7

    async def claim_all(delivery):  # type: ignore[no-untyped-def]
        got = []
        while batch := await delivery.claim():
            got.extend(c.id for c in batch)
        return got

    claimed = await asyncio.gather(*(claim_all(d) for d in workers))
    every = [row_id for batch in claimed for row_id in batch]
    assert sorted(every) == sorted({r.id for r in await kit.rows()})
    assert len(every) == len(set(every)) == 40


async def test_every_worker_keeps_to_one_shared_pace_through_redis() -> None:
    url = os.environ.get("SAYSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.from_url(url)
    try:
        await client.ping()
    except (OSError, redis.ConnectionError) as error:
        if os.environ.get("CI", "").lower() == "true":
            raise
        pytest.skip(f"Redis not reachable at {url} ({error}); set SAYSO_TEST_REDIS_URL")
    finally:
        await client.aclose()
    settings = Settings(_env_file=None, redis_url=url, send_per_second=2)  # type: ignore[call-arg]
    one, two = Pacer(settings, Clock()), Pacer(settings, Clock())
    await two.limiter.clear(two.overall, "sayso-send", "all")
    chat, other = (random.randrange(10**9, 2 * 10**9) for _ in range(2))

    await one.turn(chat)
    await one.answered(chat)
    assert await two.chat_wait(chat) > 0.5  # the other process knows this chat just had one
    assert await two.chat_wait(other) == 0
    await two.turn(other)
    await two.answered(other)
    started = time.monotonic()
    await one.turn(other + 1)  # two a second, for the whole bot: the third waits
    assert time.monotonic() - started > 0.5


# -- the last look before each send ---------------------------------------------------------------


async def _child_id(runtime: Runtime, chat_id: int) -> int:
    async with runtime.sessionmaker() as session:
        child = (
            await session.exec(select(YoungPerson).where(YoungPerson.telegram_chat_id == chat_id))
        ).one()
        assert child.id is not None
        return child.id


async def _claimed_then(kit: Kit, onboarded: Child, meanwhile: list[str]) -> tuple[int, int]:
    """Two messages claimed in one batch: first to another child, whose send is slow, then to
    `onboarded`, who types `meanwhile` (taps for "🗑" words) while the first is on its way, so
    after their message was claimed and rendered and before it is sent. (first row, their row)"""
    other = await kit.child(781)
    child_id = await _child_id(kit.runtime, onboarded.chat_id)
    first = await kit.enqueue(other, 1)
    theirs = await kit.enqueue(child_id, 2)

    async def the_child_acts() -> None:
        for words in meanwhile:
            await (onboarded.tap(words) if words.startswith("🗑") else onboarded.send(words))

    kit.session.while_sending[781] = the_child_acts
    await kit.delivery.tick()
    assert kit.texts(781) == ["message 1 (en)"]
    return first, theirs


async def test_a_stop_between_the_claim_and_the_send_holds_the_message(
    kit: Kit, onboarded: Child
) -> None:
    _, theirs = await _claimed_then(kit, onboarded, ["/stop"])

    assert kit.texts(onboarded.chat_id) == []
    row = await kit.row(theirs)
    # Held as a row nobody had claimed would be: it waits, with the reason, until /start.
    assert (row.status, row.claimed_by) == ("pending", None)
    assert row.last_error and "/stop" in row.last_error

    await onboarded.send("/start")
    await kit.delivery.tick()
    assert kit.texts(onboarded.chat_id) == ["message 2 (en)"]
    assert (await kit.row(theirs)).status == "sent"


async def test_a_delete_between_the_claim_and_the_send_sends_nothing(
    kit: Kit, onboarded: Child, runtime: Runtime
) -> None:
    _, theirs = await _claimed_then(kit, onboarded, ["/delete", "🗑️ Yes, delete them"])

    assert kit.texts(onboarded.chat_id) == []
    async with runtime.sessionmaker() as session:
        assert await session.get(OutboxMessage, theirs) is None  # erased with the child


async def test_an_alert_between_the_claim_and_the_send_holds_a_routine_message(
    kit: Kit, onboarded: Child
) -> None:
    _, theirs = await _claimed_then(kit, onboarded, ["i want to kill myself"])

    assert kit.texts(onboarded.chat_id) == []
    row = await kit.row(theirs)
    assert row.status == "pending" and row.last_error and "alert" in row.last_error


async def test_a_stop_between_two_pieces_of_a_long_message_holds_the_rest(
    kit: Kit, onboarded: Child
) -> None:
    child_id = await _child_id(kit.runtime, onboarded.chat_id)
    row_id = await kit.enqueue(child_id, 1, long=True)
    kit.session.while_sending[onboarded.chat_id] = lambda: onboarded.send("/stop")

    await kit.delivery.tick()

    assert len(kit.texts(onboarded.chat_id)) == 1  # the piece already on its way
    row = await kit.row(row_id)
    assert (row.status, row.parts_sent) == ("pending", 1)
