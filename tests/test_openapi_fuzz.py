"""Schemathesis sends the admin API generated requests from its own OpenAPI schema: no server
errors, and every response matches the schema (status codes, content types, bodies)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings

from api.app import create_app
from api.runtime import build_runtime
from core.config import Settings
from tests.staff import add_child, add_staff, sign_in


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LiveServer:
    """The real app on a real port, in its own thread and event loop, with an admin signed in
    and one child on the books (so routes that take an id have something to find)."""

    def __init__(self, database: Path) -> None:
        self.port, self.database = _free_port(), database
        self.token = ""
        self.server: uvicorn.Server | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        runtime = await build_runtime(
            Settings(
                _env_file=None,  # type: ignore[call-arg]
                database_url=f"sqlite+aiosqlite:///{self.database}",
                bot_username="sayso_fuzz_bot",
                encryption_key=Fernet.generate_key().decode(),
            )
        )
        await add_staff(runtime, "fuzz@council.example", role="admin")
        self.token = await sign_in(runtime, "fuzz@council.example")
        await add_child(runtime, worker_id=None, display_name="AB")
        config = uvicorn.Config(create_app(runtime), port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        await self.server.serve()
        await runtime.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        for _ in range(200):
            try:
                if httpx.get(f"{self.url}/health").status_code == 200 and self.token:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the app did not start")

    def stop(self) -> None:
        assert self.server is not None
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("fuzz") / "sayso.db")
    server.start()
    yield server
    server.stop()


# How easy a password is to guess is not something a JSON schema can say (core/passwords.py):
# a generated one is swapped for a strong one, and every other field is generated as before.
STRONG = "Qv7 marsh lantern zebra"


def _strong_password(case: Any) -> Any:
    if isinstance(case.body, dict) and "password" in case.body and case.path != "/auth/token":
        case.body["password"] = STRONG
    return case


def test_the_api_keeps_to_its_schema(live: LiveServer) -> None:
    # Schemathesis' own pytest loader does not work with this pytest; each operation's
    # strategy is driven by Hypothesis directly instead, and every failure is reported.
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json")
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 5
    for operation in operations:

        @given(case=operation.as_strategy().map(_strong_password))
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            token = live.token if case.path != "/auth/token" else "none"
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, base_url=live.url)

        try:
            call()
        except Exception as error:  # every operation is tried; all failures reported together
            failures[operation.label] = str(error)[:2000]
    assert failures == {}
