"""Helpers for admin API tests: staff accounts and signed-in clients."""

from __future__ import annotations

from typing import Any

import httpx

from api.app import create_app
from api.runtime import Runtime
from core.models import YoungPerson
from core.staff import create_staff

PASSWORD = "correct horse battery staple"


def api_client(runtime: Runtime, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(runtime)),
        base_url="http://sayso.test",
        headers=headers,
    )


async def add_staff(runtime: Runtime, email: str, role: str = "worker") -> int:
    async with runtime.sessionmaker() as session:
        staff = await create_staff(
            session, email=email, name=email.split("@")[0], role=role, password=PASSWORD
        )
        await session.commit()
        assert staff.id is not None
        return staff.id


async def sign_in(runtime: Runtime, email: str) -> str:
    async with api_client(runtime) as client:
        response = await client.post("/auth/token", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


async def add_child(runtime: Runtime, *, worker_id: int | None, **fields: Any) -> int:
    async with runtime.sessionmaker() as session:
        child = YoungPerson(worker_id=worker_id, **fields)
        session.add(child)
        await session.commit()
        assert child.id is not None
        return child.id
