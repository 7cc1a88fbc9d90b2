"""Browser tests: the real app in a real uvicorn server, driven by Debian's headless Chromium.

- `live_app`: a fresh app per test, on a temporary SQLite file and a free 127.0.0.1 port, served
  by uvicorn in a thread of its own (with its own event loop), with an admin signed in.
- `browser`: one Chromium for the package (Playwright's sync API, never its browser download).
- `page`: a phone-sized page (390x844 CSS pixels) in a fresh context, so no cookie carries over.
- `shot`: `shot(page, "step")` saves test-artifacts/browser/<test>/<nn>-<step>.png (the screen).

Without /usr/bin/chromium the tests skip, or fail on CI (CI=true).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shutil
import socket
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from api.app import create_app
from api.runtime import build_runtime
from core.config import ROOT, Settings
from tests.conftest import ON_CI, TEST_KEY
from tests.staff import PASSWORD, add_staff

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
ADMIN_EMAIL = "ada@council.example"
# A phone: 390x844 CSS pixels at 2 device pixels each, with touch.
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "en-GB",
    # The page honours it with instant scrolling; smooth scrolling makes every tap wait for
    # the button to stop moving.
    "reduced_motion": "reduce",
}
STARTUP_SECONDS = 30.0


@dataclass
class WebChild:
    """A child a worker enrolled for the web chat."""

    id: int
    link: str  # as the API gave it
    join_url: str  # the same path on the app under test


@dataclass
class LiveApp:
    """The app under test, as a browser and an admin reach it."""

    base_url: str
    db_path: Path
    admin_token: str
    _children: int = field(default=0)

    def admin(self) -> httpx.Client:
        """The admin API, signed in as the admin (close it, or use it in a `with`)."""
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=10,
            trust_env=False,  # 127.0.0.1 directly, whatever proxy the environment names
        )

    def web_child(self, display_name: str = "S.K.", age_band: str = "13-15") -> WebChild:
        """Enrol a child for the web chat through the admin API, as a worker would."""
        with self.admin() as api:
            response = api.post(
                "/children",
                json={"display_name": display_name, "age_band": age_band, "channel": "web"},
            )
        assert response.status_code == 201, (
            f"POST /children: {response.status_code} {response.text}"
        )
        body = response.json()
        link: str = body["link"]
        match = re.search(r"/chat/join#[A-Za-z0-9_-]+$", link)
        assert match, f"a web child's link should end in /chat/join#<token>, got {link!r}"
        return WebChild(id=body["child"]["id"], link=link, join_url=self.base_url + match.group())

    def sql(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        """Read the app's database directly (SQLite in WAL mode: reading beside it is safe)."""
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=10)) as connection:
            return connection.execute(query, params).fetchall()

    def count(self, query: str, *params: object) -> int:
        rows = self.sql(query, *params)
        return int(rows[0][0])


class _Uvicorn(uvicorn.Server):
    """Tells the test thread when it listens."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self.ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


class _Server(threading.Thread):
    """uvicorn serving the real app, with the runtime built in the thread's own event loop."""

    def __init__(self, settings: Settings, sock: socket.socket) -> None:
        super().__init__(name="sayso-live-app", daemon=True)
        self.settings, self.sock = settings, sock
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.server: uvicorn.Server | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to the test, which fails with it
            self.error = error
        finally:
            self.ready.set()

    async def _serve(self) -> None:
        runtime = await build_runtime(self.settings)
        try:
            await add_staff(runtime, ADMIN_EMAIL, role="admin")
            config = uvicorn.Config(
                create_app(runtime),
                log_config=None,  # leave logging to pytest, which shows it on failure
                log_level="warning",
                access_log=False,
                ws="none",
                lifespan="off",
                timeout_graceful_shutdown=5,
            )
            self.server = _Uvicorn(config, self.ready)
            await self.server.serve(sockets=[self.sock])
        finally:
            await runtime.close()

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.join(timeout=15)


def _settings(db_path: Path, port: int) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{db_path}",
        telegram_token=None,
        encryption_key=TEST_KEY,
        webhook_url=None,
        webhook_secret=None,
        redis_url=None,
        host="127.0.0.1",
        port=port,
    )


class _Errors(logging.Handler):
    """Errors the server logged: a kind message on screen may hide an exception behind it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def report(self) -> str:
        return "\n".join(
            f"{r.name}: {r.getMessage()}" + (f"\n{self.format(r)}" if r.exc_info else "")
            for r in self.records
        )


@pytest.fixture
def live_app(tmp_path: Path) -> Iterator[LiveApp]:
    errors = _Errors()
    logging.getLogger().addHandler(errors)
    try:
        yield from _live_app(tmp_path)
    finally:
        logging.getLogger().removeHandler(errors)
    assert not errors.records, f"the server logged errors:\n{errors.report()}"


def _live_app(tmp_path: Path) -> Iterator[LiveApp]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    db_path = tmp_path / "sayso.db"
    server = _Server(_settings(db_path, port), sock)
    server.start()
    try:
        if not server.ready.wait(STARTUP_SECONDS) or server.error is not None:
            raise RuntimeError("the app did not start") from server.error
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url, timeout=10, trust_env=False) as client:
            response = client.post("/auth/token", json={"email": ADMIN_EMAIL, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield LiveApp(base_url, db_path, response.json()["access_token"])
    finally:
        server.stop()
        sock.close()
    assert not server.is_alive(), "the app's server did not stop"
    if server.error is not None:
        raise server.error


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Package-scoped on purpose: while Playwright's sync API is active, the thread looks as if
    an event loop were running, which the async tests elsewhere must never see."""
    if not CHROMIUM.exists():
        reason = "install Debian's chromium to run the browser tests (apt-get install chromium)"
        if ON_CI:
            pytest.fail(f"{CHROMIUM} is missing: {reason}")
        pytest.skip(f"{CHROMIUM} is missing: {reason}")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    fresh = browser.new_context(**PHONE)
    fresh.set_default_timeout(10_000)
    yield fresh
    fresh.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


class Shots:
    """Numbered screenshots of one test's steps, for people to look at."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken = 0

    def __call__(self, page: Page, step: str, *, full_page: bool = False) -> Path:
        """The screen as the child sees it (or the whole page: slower as the log grows)."""
        self.taken += 1
        name = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-") or "step"
        path = self.folder / f"{self.taken:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)  # no stale pictures from an earlier run
    folder.mkdir(parents=True, exist_ok=True)
    return Shots(folder)
