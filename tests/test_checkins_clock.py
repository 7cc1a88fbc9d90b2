"""Check-ins over time: the real delivery sends each message at its moment, one reminder at most,
missed after that, repeats planned again."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from api.runtime import Runtime
from bot.outbox_sender import create_delivery
from core.checkins import advance
from core.delivery import Clock, Delivery
from tests.checkin_helpers import ahead, check_in, deliver, on_books, rows
from tests.child import Child


class Later(Clock):
    """The wall clock, moved on by `offset` for deciding what is due."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.offset

    def at(self, moment: datetime) -> None:
        self.offset = moment - super().now()


def _delivery(runtime: Runtime, clock: Clock) -> Delivery:
    assert runtime.bot is not None
    delivery = create_delivery(
        services=runtime.services, sessionmaker=runtime.sessionmaker, bot=runtime.bot
    )
    delivery.clock = clock
    return delivery


async def _schedule(worker: httpx.AsyncClient, child_id: int, **fields: Any) -> dict[str, Any]:
    body = {"child_id": child_id, "conversation_id": "hows_life", "when": ahead(5).isoformat()}
    response = await worker.post("/check-ins", json={**body, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def _advance(runtime: Runtime, now: datetime) -> int:
    async with runtime.sessionmaker() as session:
        changes = await advance(session, timezone=runtime.settings.timezone, now=now)
        await session.commit()  # as the clock's job does (api.jobs.unit_of_work)
        return changes


async def test_each_message_reaches_the_child_at_its_moment_and_no_sooner(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id)
    when = ahead(5)
    clock = Later()
    delivery = _delivery(runtime, clock)
    before = len(onboarded.stub.sent(onboarded.chat_id))
    clock.at(when - timedelta(days=1, minutes=1))
    await delivery.tick()
    assert len(onboarded.stub.sent(onboarded.chat_id)) == before
    clock.at(when - timedelta(days=1))
    await delivery.tick()
    assert "Your worker would like to check in at about" in onboarded.last_text()
    await onboarded.tap("👍 OK")
    clock.at(when)
    await delivery.tick()
    assert "It is time for your check-in" in onboarded.last_text()
    assert await _advance(runtime, when) == 1
    assert (await check_in(runtime, planned["id"])).status == "due"
    # The check-in's turn is over: nothing more is sent until the reminder is planned.
    clock.at(when + timedelta(hours=23))
    assert await delivery.tick() == 0


async def test_one_reminder_at_most_then_missed_and_the_next_one_planned(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id, repeat_weeks=1)
    when = ahead(5)
    await _advance(runtime, when)
    # Not yet a day on: no reminder.
    await _advance(runtime, when + timedelta(hours=23))
    assert "reminder" not in [r.kind for r in await rows(runtime, planned["id"])]
    await _advance(runtime, when + timedelta(days=1))
    await _advance(runtime, when + timedelta(days=1, hours=2))
    reminders = [r for r in await rows(runtime, planned["id"]) if r.kind == "reminder"]
    assert len(reminders) == 1 and reminders[0].due_at == when + timedelta(days=1)
    said = await deliver(runtime, planned["id"], "reminder")
    assert said is not None and "would still like to hear from you" in said[0].text
    assert (await check_in(runtime, planned["id"])).reminders_sent == 1
    # A day after the reminder it is missed, and the series goes on a week after the first.
    await _advance(runtime, when + timedelta(days=2))
    listed = (await worker.get("/check-ins", params={"status": "missed"})).json()
    assert [c["id"] for c in listed] == [planned["id"]]
    (following,) = (await worker.get("/check-ins", params={"status": "waiting_for_child"})).json()
    assert following["follows_id"] == planned["id"]
    assert following["requested_for"] == ahead(12).isoformat().replace("+00:00", "Z")
    # Still only one reminder for the first.
    await _advance(runtime, when + timedelta(days=4))
    assert [r.kind for r in await rows(runtime, planned["id"])].count("reminder") == 1


async def test_a_child_who_starts_late_from_the_reminder_still_gets_the_conversation(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id)
    when = ahead(5)
    await _advance(runtime, when)
    await _advance(runtime, when + timedelta(days=1))
    await deliver(runtime, planned["id"], "reminder")
    await onboarded.tap("How's life?")
    assert "Question 1 of" in onboarded.said()
    assert (await check_in(runtime, planned["id"])).status == "started"
    await onboarded.tap("⏹️ Stop")
    assert (await check_in(runtime, planned["id"])).status == "done"
    # Nothing reminds or misses a check-in that is done.
    await _advance(runtime, when + timedelta(days=5))
    assert (await check_in(runtime, planned["id"])).status == "done"


async def test_leaving_the_check_in_for_another_conversation_leaves_it_due(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id, advance_notice_days=0)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id)
    await _advance(runtime, ahead(5))
    await deliver(runtime, planned["id"], "check_in")
    await onboarded.tap("How's life?")
    await onboarded.send("/feedback")
    await onboarded.tap("🆕 Start a new one")
    await onboarded.tap("How are we doing?")
    check = await check_in(runtime, planned["id"])
    assert check.status == "due"
    # The check-in message's button still starts it again.
    asked = next(
        m for m in onboarded.stub.sent(onboarded.chat_id) if "time for your check-in" in m.text
    )
    await onboarded.press(asked.reply_markup.inline_keyboard[0][0].callback_data or "")  # type: ignore[union-attr]
    assert "Question 1 of" in onboarded.said()
    assert (await check_in(runtime, planned["id"])).status == "started"
