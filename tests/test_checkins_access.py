"""Only the child's worker (and admins) can see or touch a check-in; bad requests say why."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.runtime import Runtime
from tests.checkin_helpers import ahead
from tests.staff import add_child, add_staff, api_client, sign_in


async def _schedule(client: httpx.AsyncClient, child_id: int, **fields: Any) -> httpx.Response:
    body = {"child_id": child_id, "conversation_id": "hows_life", "when": ahead(5).isoformat()}
    return await client.post("/check-ins", json={**body, **fields})


async def test_another_workers_child_and_check_ins_are_not_found(
    runtime: Runtime, worker: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    mine = await add_child(runtime, worker_id=worker.staff_id, display_name="AB")  # type: ignore[attr-defined]
    planned = (await _schedule(worker, mine)).json()
    other_id = await add_staff(runtime, "kim@council.example")
    theirs = await add_child(runtime, worker_id=other_id, display_name="CD")
    async with api_client(runtime, await sign_in(runtime, "kim@council.example")) as kim:
        assert (await _schedule(kim, mine)).status_code == 404
        path = f"/check-ins/{planned['id']}"
        answers = [
            await kim.get(path),
            await kim.patch(path, json={"when": ahead(6).isoformat()}),
            await kim.post(f"{path}/cancel"),
            await kim.post(f"{path}/trusted-adult-arranged"),
            await kim.get(f"/check-ins/{planned['id'] + 1000}"),
        ]
        assert [a.status_code for a in answers] == [404] * 5
        assert {a.json()["detail"] for a in answers} == {"No such check-in"}
        assert (await kim.get("/check-ins")).json() == []
        assert (await kim.get("/check-ins", params={"child_id": mine})).json() == []
        assert (await _schedule(kim, theirs)).status_code == 201
    # Nothing Kim tried changed it; admins see everyone's.
    assert (await worker.get(f"/check-ins/{planned['id']}")).json()["status"] == "waiting_for_child"
    assert len((await admin.get("/check-ins")).json()) == 2
    assert len((await worker.get("/check-ins")).json()) == 1


@pytest.mark.parametrize(
    "extra", [{"status": "done"}, {"worker_id": 1}, {"planned_for": "2030-01-01T10:00:00Z"}]
)
async def test_unknown_fields_are_refused(
    runtime: Runtime, worker: httpx.AsyncClient, extra: dict[str, Any]
) -> None:
    child_id = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    response = await _schedule(worker, child_id, **extra)
    assert response.status_code == 422
    assert list(extra) == [e["loc"][-1] for e in response.json()["detail"]]
    planned = (await _schedule(worker, child_id)).json()
    changed = await worker.patch(
        f"/check-ins/{planned['id']}", json={"when": ahead(6).isoformat(), **extra}
    )
    assert changed.status_code == 422
    assert (await worker.get(f"/check-ins/{planned['id']}")).json()["status"] != "done"


async def test_bad_requests_say_what_is_wrong(runtime: Runtime, worker: httpx.AsyncClient) -> None:
    child_id = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    onboarding = await _schedule(worker, child_id, conversation_id="onboarding")
    assert onboarding.status_code == 404 and "hows_life" in onboarding.json()["detail"]
    unknown = await _schedule(worker, child_id, conversation_id="nope")
    assert unknown.status_code == 404 and "No conversation 'nope'" in unknown.json()["detail"]
    past = await _schedule(worker, child_id, when=ahead(-1).isoformat())
    assert past.status_code == 409 and past.json()["detail"] == "Pick a time in the future"
    naive = await _schedule(worker, child_id, when="2030-01-01T10:00:00")
    assert naive.status_code == 422
    too_far = await _schedule(worker, child_id, when=ahead(400).isoformat())
    assert too_far.status_code == 409 and "within a year" in too_far.json()["detail"]
    for edge_of_time in ("9999-12-31T23:59:00-23:00", "0001-01-01T00:00:00+23:00"):
        refused = await _schedule(worker, child_id, when=edge_of_time)
        assert refused.status_code == 409, refused.text
    forever = await _schedule(worker, child_id, repeat_weeks=0)
    assert forever.status_code == 422
    assert (await worker.get("/check-ins")).json() == []
    bad_status = await worker.get("/check-ins", params={"status": "sideways"})
    assert bad_status.status_code == 422
