"""Call-back requests in the worker's queue with the 24-hour deadline; overdue ones flagged."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlmodel import select

from api.jobs import periodic_jobs
from api.runtime import Runtime
from core.callbacks_queue import flag_overdue
from core.models import CallbackRequest, StaffNotice, utcnow
from tests.checkin_helpers import on_books
from tests.child import Child
from tests.staff import add_child, add_staff, api_client, sign_in


async def _request(runtime: Runtime, child_id: int, hours_left: float) -> int:
    async with runtime.sessionmaker() as session:
        request = CallbackRequest(
            young_person_id=child_id,
            created_at=utcnow() - timedelta(hours=24 - hours_left),
            due_at=utcnow() + timedelta(hours=hours_left),
        )
        session.add(request)
        await session.commit()
        assert request.id is not None
        return request.id


async def test_the_queue_shows_the_deadline_soonest_first_and_flags_overdue(
    runtime: Runtime, worker: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=worker.staff_id, display_name="AB")  # type: ignore[attr-defined]
    later = await _request(runtime, child, hours_left=20)
    late = await _request(runtime, child, hours_left=-2)
    soon = await _request(runtime, child, hours_left=3)
    queue = (await worker.get("/callbacks")).json()
    assert [r["id"] for r in queue] == [late, soon, later]
    assert [r["overdue"] for r in queue] == [True, False, False]
    assert queue[0]["display_name"] == "AB" and queue[0]["status"] == "open"
    overdue = (await admin.get("/callbacks", params={"overdue": True})).json()
    assert [r["id"] for r in overdue] == [late]


async def test_a_worker_closes_a_request_once(runtime: Runtime, worker: httpx.AsyncClient) -> None:
    child = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    request = await _request(runtime, child, hours_left=5)
    closed = await worker.post(f"/callbacks/{request}/close")
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["closed_at"] is not None
    assert closed.json()["closed_by"] == worker.staff_id  # type: ignore[attr-defined]
    assert (await worker.get("/callbacks")).json() == []
    assert [r["id"] for r in (await worker.get("/callbacks?status=closed")).json()] == [request]
    again = await worker.post(f"/callbacks/{request}/close")
    assert again.status_code == 409 and "already closed" in again.json()["detail"]


async def test_another_workers_requests_are_not_found(
    runtime: Runtime, worker: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    other = await add_staff(runtime, "kim@council.example")
    theirs = await _request(runtime, await add_child(runtime, worker_id=other), hours_left=5)
    unallocated = await _request(runtime, await add_child(runtime, worker_id=None), hours_left=5)
    for request in (theirs, unallocated):
        assert (await worker.get(f"/callbacks/{request}")).status_code == 404
        assert (await worker.post(f"/callbacks/{request}/close")).status_code == 404
    assert (await worker.get("/callbacks")).json() == []
    # Admins see every request, self-referrals waiting for a worker too.
    assert {r["id"] for r in (await admin.get("/callbacks")).json()} == {theirs, unallocated}
    assert (await admin.get(f"/callbacks/{theirs}")).json()["status"] == "open"


async def test_an_overdue_request_is_flagged_to_every_admin_once(
    runtime: Runtime, worker: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await add_staff(runtime, "bo@council.example", role="admin")
    child = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    late = await _request(runtime, child, hours_left=-1)
    await _request(runtime, child, hours_left=1)
    async with runtime.sessionmaker() as session:
        assert await flag_overdue(session) == 1
        await session.commit()  # as the clock's job does (api.jobs.unit_of_work)
    async with runtime.sessionmaker() as session:
        assert await flag_overdue(session) == 0
        notices = (await session.exec(select(StaffNotice))).all()
    assert len(notices) == 2
    assert {n.kind for n in notices} == {"callback_overdue"}
    (mine,) = (await admin.get("/notices", params={"unread": True})).json()
    assert mine["detail"]["callback_id"] == late and mine["child_id"] == child
    assert (await admin.post(f"/notices/{mine['id']}/read")).json()["read_at"] is not None
    assert (await admin.get("/notices", params={"unread": True})).json() == []
    # A worker sees none of the admins' notices, and cannot mark them read.
    assert (await worker.get("/notices")).json() == []
    assert (await worker.post(f"/notices/{mine['id']}/read")).status_code == 404
    async with api_client(runtime, await sign_in(runtime, "bo@council.example")) as bo:
        assert len((await bo.get("/notices")).json()) == 1


async def test_a_child_who_asks_to_talk_appears_in_the_queue(
    runtime: Runtime, worker: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await on_books(runtime, onboarded, worker.staff_id)  # type: ignore[attr-defined]
    await onboarded.send("/talk")
    await onboarded.read_on()
    await onboarded.tap("📞 Yes, please")
    (request,) = (await worker.get("/callbacks")).json()
    assert request["child_id"] == child_id and request["overdue"] is False
    due, created = (datetime.fromisoformat(request[k]) for k in ("due_at", "created_at"))
    assert abs((due - created) - timedelta(hours=24)) < timedelta(seconds=5)


async def test_the_clock_runs_the_overdue_and_check_in_jobs(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    jobs = {job.name: job for job in periodic_jobs(runtime)}
    late = await _request(runtime, await add_child(runtime, worker_id=None), hours_left=-3)
    assert await jobs["overdue-callbacks"].run() == 1
    assert await jobs["overdue-callbacks"].run() == 0
    (notice,) = (await admin.get("/notices")).json()
    assert notice["kind"] == "callback_overdue" and notice["detail"]["callback_id"] == late
    assert await jobs["check-ins"].run() == 0
