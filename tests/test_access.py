"""Who may do what in the admin API: signing in, roles, allocation, and the audit log."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import update

from api.access import Access
from api.app import create_app
from api.cli import main
from api.runtime import Runtime
from core.db import create_engine, create_sessionmaker
from core.models import StaffToken
from core.staff import authenticate
from tests.staff import PASSWORD, add_child, add_staff, api_client, sign_in


def _declares_access(route: Any) -> bool:
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Access):
            return True
        pending.extend(dependant.dependencies)
    return False


async def test_every_route_declares_who_may_call_it(runtime: Runtime) -> None:
    # Routes as FastAPI serves them, with the dependencies of every router they sit in.
    routes = [r for r in iter_route_contexts(create_app(runtime).routes) if hasattr(r, "dependant")]
    assert len(routes) > 5
    assert [r.path for r in routes if not _declares_access(r)] == []


async def test_signing_in_gives_a_token_that_says_who_you_are(runtime: Runtime) -> None:
    await add_staff(runtime, "Sam@Council.example")
    token = await sign_in(runtime, "sam@council.example")
    async with api_client(runtime, token) as client:
        me = (await client.get("/auth/me")).json()
    assert me["email"] == "sam@council.example" and me["role"] == "worker"


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(runtime: Runtime) -> None:
    await add_staff(runtime, "sam@council.example")
    async with api_client(runtime) as client:
        wrong = await client.post(
            "/auth/token", json={"email": "sam@council.example", "password": "nope nope nope"}
        )
        unknown = await client.post(
            "/auth/token", json={"email": "who@council.example", "password": PASSWORD}
        )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


async def test_without_a_token_the_api_says_to_sign_in(runtime: Runtime) -> None:
    async with api_client(runtime) as client:
        response = await client.get("/children")
    assert response.status_code == 401
    assert "Sign in" in response.json()["detail"]


async def test_a_deactivated_account_is_refused_at_once(
    runtime: Runtime, admin: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    assert (await worker.get("/children")).status_code == 200
    off = await admin.patch(f"/staff/{worker.staff_id}", json={"active": False})  # type: ignore[attr-defined]
    assert off.status_code == 200
    assert (await worker.get("/children")).status_code == 401
    async with api_client(runtime) as client:
        again = await client.post(
            "/auth/token", json={"email": "sam@council.example", "password": PASSWORD}
        )
    assert again.status_code == 401


async def test_an_expired_token_is_refused(runtime: Runtime, worker: httpx.AsyncClient) -> None:
    async with runtime.sessionmaker() as session:
        await session.exec(update(StaffToken).values(expires_at=StaffToken.created_at))  # type: ignore[call-overload]
        await session.commit()
    assert (await worker.get("/auth/me")).status_code == 401


async def test_sign_in_attempts_are_rate_limited(runtime: Runtime) -> None:
    await add_staff(runtime, "sam@council.example")
    wrong = {"email": "sam@council.example", "password": "guess guess guess"}
    async with api_client(runtime) as client:
        codes = [(await client.post("/auth/token", json=wrong)).status_code for _ in range(6)]
        right = await client.post(
            "/auth/token", json={"email": "sam@council.example", "password": PASSWORD}
        )
    assert codes == [401] * 5 + [429]
    assert right.status_code == 429 and right.headers["Retry-After"] == "60"


async def test_workers_cannot_manage_staff(worker: httpx.AsyncClient) -> None:
    assert (await worker.get("/staff")).status_code == 403
    response = await worker.patch(f"/staff/{worker.staff_id}", json={"role": "admin"})  # type: ignore[attr-defined]
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path, body",
    [
        ("/staff", {"email": "x@y.z", "name": "X", "password": PASSWORD, "is_admin": True}),
        ("/auth/token", {"email": "x@y.z", "password": PASSWORD, "role": "admin"}),
    ],
)
async def test_unknown_fields_are_refused_with_the_reason(
    admin: httpx.AsyncClient, path: str, body: dict[str, object]
) -> None:
    response = await admin.post(path, json=body)
    assert response.status_code == 422
    assert "Extra inputs are not permitted" in response.text


async def test_a_worker_cannot_set_a_childs_worker_by_sending_it(
    runtime: Runtime, admin: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    response = await worker.put(f"/children/{child}/worker", json={"worker_id": None})
    assert response.status_code == 403
    assert (await worker.get(f"/children/{child}")).json()["worker_id"] == worker.staff_id  # type: ignore[attr-defined]


async def test_a_worker_sees_only_their_children_and_others_do_not_exist(
    runtime: Runtime, worker: httpx.AsyncClient
) -> None:
    other = await add_staff(runtime, "kim@council.example")
    mine = await add_child(runtime, worker_id=worker.staff_id, display_name="JB")  # type: ignore[attr-defined]
    theirs = await add_child(runtime, worker_id=other, display_name="KL")
    listed = [c["id"] for c in (await worker.get("/children")).json()]
    assert listed == [mine]
    hidden, missing = await worker.get(f"/children/{theirs}"), await worker.get("/children/999999")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


async def test_admins_allocate_self_referrals_and_the_audit_log_shows_it(
    runtime: Runtime, admin: httpx.AsyncClient, worker: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    waiting = [c["id"] for c in (await admin.get("/children", params={"unallocated": True})).json()]
    assert waiting == [child]
    response = await admin.put(f"/children/{child}/worker", json={"worker_id": worker.staff_id})  # type: ignore[attr-defined]
    assert response.status_code == 200
    assert [c["id"] for c in (await worker.get("/children")).json()] == [child]
    log = (await admin.get("/audit", params={"child_id": child})).json()
    assert [e["action"] for e in log] == ["child.allocate"]
    assert (await worker.get("/audit")).status_code == 403


async def test_page_sizes_are_capped(admin: httpx.AsyncClient) -> None:
    response = await admin.get("/children", params={"limit": 5000})
    assert response.status_code == 422
    assert "less than or equal to 200" in response.text


async def test_the_last_admin_cannot_switch_themselves_off(admin: httpx.AsyncClient) -> None:
    me = (await admin.get("/auth/me")).json()
    response = await admin.patch(f"/staff/{me['id']}", json={"active": False})
    assert response.status_code == 409
    assert "last active admin" in response.json()["detail"]


def test_create_admin_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAYSO_DATABASE_URL", url)
    monkeypatch.setenv("SAYSO_ADMIN_PASSWORD", PASSWORD)
    assert main(["create-admin", "--email", "lead@council.example", "--name", "Lead"]) == 0
    assert main(["create-admin", "--email", "lead@council.example", "--name", "Lead"]) == 2

    async def signs_in() -> str | None:
        engine = create_engine(url)
        async with create_sessionmaker(engine)() as session:
            staff = await authenticate(session, email="lead@council.example", password=PASSWORD)
        await engine.dispose()
        return staff.role if staff else None

    assert asyncio.run(signs_in()) == "admin"
