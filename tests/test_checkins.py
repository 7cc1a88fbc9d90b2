"""A worker schedules a check-in; the child hears at the right time and answers on Telegram."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlmodel import select

from api.runtime import Runtime
from core.models import AuditEntry, utcnow
from tests.checkin_helpers import ahead, check_in, deliver, on_books, render_row, rows
from tests.child import Child


async def _schedule(worker: httpx.AsyncClient, child_id: int, **fields: Any) -> dict[str, Any]:
    body = {"child_id": child_id, "conversation_id": "hows_life", "when": ahead(5).isoformat()}
    response = await worker.post("/check-ins", json={**body, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def _notices(worker: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await worker.get("/notices")
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_heads_up_is_planned_at_the_childs_lead_time(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id, advance_notice_days=2)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id)
    when = ahead(5)
    assert planned["status"] == "waiting_for_child"
    assert planned["planned_for"] == when.isoformat().replace("+00:00", "Z")
    assert [(m["kind"], m["status"]) for m in planned["messages"]] == [
        ("heads_up", "pending"),
        ("check_in", "pending"),
    ]
    heads_up, ask = await rows(runtime, planned["id"])
    assert heads_up.due_at == when - timedelta(days=2) and ask.due_at == when
    # Every change is in the audit log.
    async with runtime.sessionmaker() as session:
        actions = (await session.exec(select(AuditEntry.action))).all()
    assert "check_in.create" in actions


async def test_nothing_is_planned_in_quiet_hours(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id, preferred_hours=[[0, 24]])  # type: ignore[attr-defined]
    # 22:30 is in the default quiet hours (21:00 to 08:00): the check-in moves to 08:00.
    planned = await _schedule(worker, child_id, when=ahead(5, 22).isoformat())
    check = await check_in(runtime, planned["id"])
    heads_up, ask = await rows(runtime, planned["id"])
    assert check.planned_for == ahead(6, 8) == ask.due_at
    assert heads_up.due_at == ahead(5, 8)


async def test_preferred_days_move_the_check_in(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    asked = ahead(10, 10)
    weekday = asked.astimezone(ahead(0).tzinfo).weekday()
    later = (weekday + 2) % 7
    child_id = await on_books(
        runtime,
        onboarded,
        worker.staff_id,  # type: ignore[attr-defined]
        preferred_days=[later],
        preferred_hours=[[15, 18]],
        advance_notice_days=0,
    )
    planned = await _schedule(worker, child_id, when=asked.isoformat())
    check = await check_in(runtime, planned["id"])
    assert check.planned_for == ahead(12, 15)
    assert planned["status"] == "scheduled"
    assert [r.kind for r in await rows(runtime, planned["id"])] == ["check_in"]


async def test_a_trusted_adult_first_waits_for_the_worker(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id, contact_route="trusted_adult")  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id)
    assert planned["status"] == "waiting_for_trusted_adult" and planned["messages"] == []
    (notice,) = await _notices(worker)
    assert notice["kind"] == "arrange_trusted_adult" and notice["child_id"] == child_id
    assert notice["detail"]["check_in_id"] == planned["id"]
    assert (await worker.post(f"/notices/{notice['id']}/read")).json()["read_at"] is not None
    confirmed = await worker.post(f"/check-ins/{planned['id']}/trusted-adult-arranged")
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "waiting_for_child"
    assert [m["kind"] for m in confirmed.json()["messages"]] == ["heads_up", "check_in"]
    again = await worker.post(f"/check-ins/{planned['id']}/trusted-adult-arranged")
    assert again.status_code == 409
    assert "not waiting for a trusted adult" in again.json()["detail"]


async def test_ok_keeps_the_check_in(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id)
    await deliver(runtime, planned["id"], "heads_up")
    assert "Your worker would like to check in at about" in onboarded.last_text()
    assert "Is that OK?" in onboarded.last_text()
    await onboarded.tap("👍 OK")
    assert "👍 Thanks. I will message you at about" in onboarded.said()
    check = await check_in(runtime, planned["id"])
    assert (check.status, check.child_answer) == ("scheduled", "ok")
    assert [r.status for r in await rows(runtime, planned["id"])] == ["sent", "pending"]


async def test_another_time_holds_it_and_the_worker_picks_a_new_time(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id)
    await deliver(runtime, planned["id"], "heads_up")
    await onboarded.tap("📅 Another time")
    assert "I will ask your worker to pick another time" in onboarded.said()
    held = (await worker.get(f"/check-ins/{planned['id']}")).json()
    assert held["status"] == "waiting_for_new_time" and held["child_answer"] == "another_time"
    assert [m["status"] for m in held["messages"]] == ["sent", "cancelled"]
    assert [n["kind"] for n in await _notices(worker)] == ["check_in_another_time"]
    waiting = await worker.get("/check-ins", params={"status": "waiting_for_new_time"})
    assert [c["id"] for c in waiting.json()] == [planned["id"]]
    # The worker picks a new time: the child, who heard of the old one, is told first.
    moved = await worker.patch(f"/check-ins/{planned['id']}", json={"when": ahead(9).isoformat()})
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "waiting_for_child"
    kinds = [(m["kind"], m["status"]) for m in moved.json()["messages"]]
    assert ("change", "pending") in kinds and kinds.count(("heads_up", "pending")) == 1
    said = await deliver(runtime, planned["id"], "change")
    assert said is not None and "Your check-in has moved. It is now at about" in said[0].text


async def test_ask_my_carer_first_waits_for_the_trusted_adult(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id)
    await deliver(runtime, planned["id"], "heads_up")
    await onboarded.tap("🧑 Ask my carer first")
    assert "I will ask your worker to talk to your carer first" in onboarded.said()
    check = await check_in(runtime, planned["id"])
    assert check.status == "waiting_for_trusted_adult"
    (notice,) = await _notices(worker)
    assert notice["kind"] == "arrange_trusted_adult"
    assert notice["detail"]["reason"] == "child_asked"
    # The old plan's check-in message will not go; tapping the old heads-up again changes nothing.
    assert [r.status for r in await rows(runtime, planned["id"])] == ["sent", "cancelled"]
    await onboarded.tap("👍 OK")
    assert "That check-in has changed" in onboarded.said()
    assert (await check_in(runtime, planned["id"])).status == "waiting_for_trusted_adult"


async def _answer_until_summary(child: Child) -> None:
    for _ in range(40):
        if "Did I get this right?" in child.said():
            return
        await child.tap("▶️ Next" if "▶️ Next" in child.buttons() else "⏭️ Skip")
    raise AssertionError(child.said())


async def test_the_check_in_opens_the_conversation_and_finishing_it_makes_it_done(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id, advance_notice_days=0)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id, repeat_weeks=2)
    await deliver(runtime, planned["id"], "check_in")
    assert "It is time for your check-in" in onboarded.last_text()
    await onboarded.tap("How's life?")
    check = await check_in(runtime, planned["id"])
    assert check.status == "started" and check.run_id is not None
    assert "Question 1 of" in onboarded.said()
    await _answer_until_summary(onboarded)
    await onboarded.tap("✅ Yes, that's right")
    done = (await worker.get(f"/check-ins/{planned['id']}")).json()
    assert done["status"] == "done"
    # It repeats: the next one is two weeks on, planned from the child's rules again.
    (following,) = (await worker.get("/check-ins", params={"status": "scheduled"})).json()
    assert following["follows_id"] == planned["id"]
    assert following["requested_for"] == (ahead(19)).isoformat().replace("+00:00", "Z")
    # The old message's button now says it is over.
    await onboarded.tap("How's life?")
    assert "That check-in is over" in onboarded.said()


async def test_a_change_is_announced_only_to_a_child_who_asked(
    runtime: Runtime, worker: httpx.AsyncClient, make_child: Any
) -> None:
    told: dict[bool, list[str]] = {}
    for wants_to_know in (True, False):
        child = make_child()
        await child.send("/start")
        child_id = await on_books(
            runtime,
            child,
            worker.staff_id,  # type: ignore[attr-defined]
            tell_before_changes=wants_to_know,
        )
        planned = await _schedule(worker, child_id)
        old_heads_up = (await rows(runtime, planned["id"]))[0]
        await deliver(runtime, planned["id"], "heads_up")
        moved = await worker.patch(
            f"/check-ins/{planned['id']}", json={"when": ahead(8).isoformat()}
        )
        assert moved.status_code == 200, moved.text
        told[wants_to_know] = [m["kind"] for m in moved.json()["messages"]]
        statuses = [(m["kind"], m["status"]) for m in moved.json()["messages"]]
        # The old plan's check-in message is cancelled; the new plan has its own.
        assert ("check_in", "cancelled") in statuses and ("check_in", "pending") in statuses
        # The heads-up already sent spoke of the old time: sent again, it would say nothing.
        assert await render_row(runtime, old_heads_up.id or 0) is None
    assert "change" in told[True] and "change" not in told[False]


async def test_a_cancellation_is_announced_only_when_asked_and_stale_rows_never_speak(
    runtime: Runtime, worker: httpx.AsyncClient, make_child: Any
) -> None:
    for wants_to_know in (True, False):
        child = make_child()
        await child.send("/start")
        child_id = await on_books(
            runtime,
            child,
            worker.staff_id,  # type: ignore[attr-defined]
            tell_before_changes=wants_to_know,
        )
        planned = await _schedule(worker, child_id)
        await deliver(runtime, planned["id"], "heads_up")
        pending_ask = (await rows(runtime, planned["id"]))[1]
        cancelled = await worker.post(f"/check-ins/{planned['id']}/cancel")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        kinds = [(m["kind"], m["status"]) for m in cancelled.json()["messages"]]
        assert ("check_in", "cancelled") in kinds
        assert (("cancel", "pending") in kinds) is wants_to_know
        assert await render_row(runtime, pending_ask.id or 0) is None
        if wants_to_know:
            said = await deliver(runtime, planned["id"], "cancel")
            assert said is not None and "will not happen now" in said[0].text
        again = await worker.post(f"/check-ins/{planned['id']}/cancel")
        assert again.status_code == 409


async def test_a_check_in_the_child_never_heard_of_is_moved_quietly(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id)  # type: ignore[attr-defined]
    planned = await _schedule(worker, child_id)
    moved = await worker.patch(f"/check-ins/{planned['id']}", json={"when": ahead(8).isoformat()})
    assert "change" not in [m["kind"] for m in moved.json()["messages"]]
    async with runtime.sessionmaker() as session:
        audit = (await session.exec(select(AuditEntry.action))).all()
    assert "check_in.move" in audit


async def test_a_paused_child_gets_no_new_check_in(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id)  # type: ignore[attr-defined]
    await onboarded.send("/stop")
    refused = await worker.post(
        "/check-ins",
        json={"child_id": child_id, "conversation_id": "hows_life", "when": ahead(5).isoformat()},
    )
    assert refused.status_code == 409 and "paused" in refused.json()["detail"]
    assert (await worker.get("/check-ins")).json() == []


async def test_moved_by_names_the_rules_that_moved_it(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id, preferred_hours=[[0, 24]])  # type: ignore[attr-defined]
    as_asked = await _schedule(worker, child_id)
    assert as_asked["moved_by"] == []
    quiet = await _schedule(worker, child_id, when=ahead(5, 22).isoformat())
    assert quiet["moved_by"] == ["quiet_hours"]
    soon = await _schedule(worker, child_id, when=(utcnow() + timedelta(hours=3)).isoformat())
    assert soon["moved_by"][0] == "notice"  # one day's notice, the default
    listed = (await worker.get("/check-ins", params={"child_id": child_id})).json()
    assert {c["id"]: c["moved_by"] for c in listed}[quiet["id"]] == ["quiet_hours"]


async def test_through_a_trusted_adult_the_planned_time_still_keeps_the_childs_notice(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(
        runtime,
        onboarded,
        worker.staff_id,  # type: ignore[attr-defined]
        contact_route="trusted_adult",
        advance_notice_days=3,
    )
    asked = utcnow() + timedelta(hours=3)
    planned = await _schedule(worker, child_id, when=asked.isoformat())

    assert planned["status"] == "waiting_for_trusted_adult"
    when = datetime.fromisoformat(planned["planned_for"])
    assert when >= asked + timedelta(days=3) - timedelta(hours=3)  # not the 3 hours asked
    assert planned["moved_by"][0] == "trusted_adult" and "notice" in planned["moved_by"]
    (notice,) = await _notices(worker)  # the worker is told the real time too
    told = datetime.fromisoformat(notice["detail"]["planned_for"])
    assert abs(told - when) < timedelta(minutes=1)
    assert notice["detail"]["moved_by"] == planned["moved_by"]
