"""Inbound updates, measured fairly: what sayso's whole pipeline costs against the database work
it must do anyway, and how long a turn takes under load, with the server in its own process.

    .venv/bin/python bench/updates.py [--database sqlite|postgresql] [--database-url URL]
        [--children 20] [--per-child 30] [--rounds 4] [--seconds 20]

1. CPU per update. Virtual children (start, onboarding, taps, free text, check it back, a
   disclosure now and then) talk to a sayso server process through its Telegram webhook (secret
   checked, update id de-duplicated, the child's row locked, locale, screening, the engine,
   storage, the outbox, one commit, replies to a stub Bot API). The server's own CPU time is read
   from it before and after. Baseline, in the same run: the SAME database work without any
   framework. The server records every statement of every committed transaction of one round
   (with its parameters, as sent to the driver); the baseline replays exactly those, one
   transaction per transaction, on the bare driver (sqlite3 / asyncpg) against a fresh database
   of the same schema. Ratio = baseline CPU / sayso CPU (target >= 0.70).
2. Turn time. Open loop at 30 and at 300 updates/s (each child one update a second), the load
   generator in this process and the server(s) in their own: p50 and p99 of the time the server
   spends on each webhook request, arrival to response (targets p99 < 50 ms at 30/s, < 250 ms
   at 300/s). On PostgreSQL, two server processes share the load (requests alternate).

A server here is `sayso`'s app exactly as `sayso api` serves it (uvicorn), with a thin ASGI
wrapper that times the webhook and returns the replies the bot sent in the response body, so a
virtual child in another process can choose its next tap as a real child would.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hmac
import itertools
import json
import os
import pickle
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.app import create_app
from api.runtime import build_runtime, settle_memory
from core.config import Settings
from core.db import create_engine, migrate
from tests.telegram_stub import StubSession

SECRET = "bench-secret-0123456789abcdef"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
WEBHOOK = "/telegram/webhook"
STATS = "/bench/stats"
DISCLOSURE = "sometimes i want to kill myself"
_ids = itertools.count(1)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        telegram_token="123456:bench",
        bot_username="sayso_bench_bot",
        webhook_url="https://bench.example.org",
        webhook_secret=SecretStr(SECRET),
        redis_url=None,
    )


# -- the server process ------------------------------------------------------------------------


class Collector(StubSession):
    """The stub Bot API, also keeping what each chat was sent during the current request."""

    def __init__(self) -> None:
        super().__init__(keep=1)
        self.fresh: dict[int, list[dict[str, Any]]] = {}

    async def make_request(self, bot: Any, method: Any, timeout: int | None = None) -> Any:  # noqa: ASYNC109
        chat_id = getattr(method, "chat_id", None)
        if chat_id is not None and getattr(method, "text", None) is not None:
            rows = getattr(method.reply_markup, "inline_keyboard", None) or []
            buttons = [[b.text, b.callback_data or ""] for row in rows for b in row]
            self.fresh.setdefault(int(chat_id), []).append(
                {"text": method.text, "buttons": buttons}
            )
        return await super().make_request(bot, method, timeout)


class Statements:
    """Every statement of every committed transaction, as sent to the driver, while `on`."""

    def __init__(self, engine: Any) -> None:
        self.on = True  # from the start: the baseline's fresh database must get the same rows
        self.open: dict[int, list[tuple[str, Any, bool]]] = {}
        self.committed: list[tuple[float, list[tuple[str, Any, bool]]]] = []
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._statement)
        event.listen(sync, "commit", self._commit)
        event.listen(sync, "rollback", self._rollback)

    def _statement(
        self, conn: Any, cursor: Any, statement: str, params: Any, ctx: Any, many: bool
    ) -> None:
        if self.on and not statement.startswith("BEGIN"):
            params = [tuple(p) for p in params] if many else tuple(params or ())
            self.open.setdefault(id(conn), []).append((statement, params, many))

    def _commit(self, conn: Any) -> None:
        done = self.open.pop(id(conn), None)
        if self.on and done:
            self.committed.append((time.time(), done))

    def _rollback(self, conn: Any) -> None:
        self.open.pop(id(conn), None)


class BenchApp:
    """ASGI wrapper: times each webhook request (arrival to response, as the server sees it) and
    answers with the replies the bot sent that chat; /bench/stats reports and resets."""

    def __init__(self, app: Any, collector: Collector, statements: Statements) -> None:
        self.app, self.collector, self.statements = app, collector, statements
        self.seconds: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["path"] == STATS:
            return await self._stats(scope, send)
        if scope["path"] != WEBHOOK:
            return await self.app(scope, receive, send)
        body = await _body(receive)
        if not body:  # the client went away before sending it
            return
        status: list[int] = []

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def swallow(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])

        began = time.perf_counter()
        await self.app(scope, replay, swallow)
        self.seconds.append(time.perf_counter() - began)
        update = json.loads(body)
        sender = (update.get("message") or update.get("callback_query") or {}).get("from") or {}
        replies = self.collector.fresh.pop(int(sender.get("id", 0)), [])
        await _json(send, status[0] if status else 500, {"replies": replies})

    async def _stats(self, scope: Scope, send: Send) -> None:
        query = scope.get("query_string", b"").decode()
        # Pickled: the parameters keep their types (times, dates, bytes) for the driver.
        transactions = base64.b64encode(pickle.dumps(self.statements.committed)).decode()
        stats = {"seconds": self.seconds, "cpu": time.process_time(), "transactions": transactions}
        self.seconds, self.statements.committed = [], []
        self.statements.on = "capture=1" in query
        await _json(send, 200, stats)


async def _body(receive: Receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


async def _json(send: Send, status: int, body: object) -> None:
    payload = json.dumps(body, default=str).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def serve(database_url: str, port: int) -> None:
    collector = Collector()
    runtime = await build_runtime(_settings(database_url), bot_session=collector)
    app = BenchApp(create_app(runtime), collector, Statements(runtime.engine))
    settle_memory()  # as `sayso serve` does
    await _uvicorn(app, port)
    await runtime.close()


async def _uvicorn(app: Any, port: int) -> None:
    import uvicorn

    # Long keep-alive: a connection the server closes just as the generator reuses it would
    # fail the request (the generator's children pause between phases).
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=600,
        backlog=4096,
    )
    await uvicorn.Server(config).serve()


class FloorApp:
    """The floor: what ANY webhook must do for these updates, with no framework at all. A raw
    ASGI app under the same uvicorn: read the body, check the secret in constant time, parse the
    JSON, run the next recorded transaction on the bare driver, answer. No design that takes
    Telegram's updates over HTTP can cost less than this."""

    def __init__(self, database_url: str, transactions: list[list[Any]], updates: int) -> None:
        # The recorded transactions spread over the updates in order (an alert's own
        # transaction makes a few more transactions than updates).
        self.url, self.transactions, self.updates = make_url(database_url), transactions, updates
        self.served = 0
        self.sqlite: sqlite3.Connection | None = None
        self.postgres: Any = None

    async def connect(self) -> None:
        if self.url.get_backend_name() == "sqlite":
            self.sqlite = sqlite3.connect(self.url.database or "", isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
                self.sqlite.execute(f"PRAGMA {pragma}")
        else:
            import asyncpg

            self.postgres = await asyncpg.connect(
                host=self.url.host,
                port=self.url.port,
                user=self.url.username,
                database=self.url.database,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == STATS:
            return await _json(send, 200, {"cpu": time.process_time()})
        body = await _body(receive)
        given = dict(scope["headers"]).get(b"x-telegram-bot-api-secret-token", b"")
        if not hmac.compare_digest(given, SECRET.encode()):
            return await _json(send, 403, {})
        json.loads(body)
        await self._next_transaction()
        await _json(send, 200, {"replies": []})

    async def _next_transaction(self) -> None:
        share = len(self.transactions) / self.updates
        first, self.served = round(self.served * share), self.served + 1
        for statements in self.transactions[first : round(self.served * share)]:
            if self.sqlite is not None:
                replay_sqlite_transaction(self.sqlite, statements)
                continue
            async with self.postgres.transaction():
                for statement, params, many in statements:
                    if many:
                        await self.postgres.executemany(statement, [tuple(p) for p in params])
                    else:
                        await self.postgres.fetch(statement, *params)


async def serve_floor(
    database_url: str, port: int, transactions: list[list[Any]], updates: int
) -> None:
    app = FloorApp(database_url, transactions, updates)
    await app.connect()
    await _uvicorn(app, port)


# -- the virtual children (the load generator) ------------------------------------------------------


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "B", "language_code": "en"}


def text_update(chat_id: int, words: str) -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "date": 1700000000,
            "text": words,
            "chat": {"id": chat_id, "type": "private"},
            "from": _user(chat_id),
        },
    }


def tap_update(chat_id: int, data: str) -> dict[str, Any]:
    return {
        "update_id": next(_ids),
        "callback_query": {
            "id": str(next(_ids)),
            "from": _user(chat_id),
            "chat_instance": "b",
            "data": data,
            "message": {
                "message_id": 1,
                "date": 1700000000,
                "chat": {"id": chat_id, "type": "private"},
            },
        },
    }


class VirtualChild:
    """Chooses each next update from what the bot last sent, like a real child would."""

    def __init__(self, chat_id: int) -> None:
        self.chat_id, self.step, self.disclosed = chat_id, 0, False
        self.last: list[dict[str, Any]] = []

    def _buttons(self) -> list[tuple[str, str]]:
        for reply in reversed(self.last):
            if reply["buttons"]:
                return [(label, data) for label, data in reply["buttons"]]
        return []

    def _tap(self, *labels: str) -> dict[str, Any]:
        buttons = self._buttons()
        for label in labels:
            for shown, data in buttons:
                if label in shown:
                    return tap_update(self.chat_id, data)
        return text_update(self.chat_id, "/feedback")

    def next_update(self) -> dict[str, Any]:
        self.step += 1
        last = self.last[-1]["text"] if self.last else ""
        if self.step == 1:
            return text_update(self.chat_id, "/start")
        if "Carry on" in str(self._buttons()):
            return self._tap("Carry on")
        if "What would you like to tell us about?" in last:
            return self._tap("How are we doing?", "How's life?")
        if "Do you want to tell us more?" in last:
            # One child in ten says something that needs a person (an alert, written first).
            words = "My worker is kind but I never know when they will visit."
            if self.chat_id % 10 == 0 and not self.disclosed:
                self.disclosed, words = True, DISCLOSURE
            return text_update(self.chat_id, words)
        if "type more, or tap Next" in last or "▶️ Next" in str(self._buttons()[:1]):
            return self._tap("▶️ Next")
        if "Did I get this right?" in last:
            return self._tap("✅ Yes")
        faces = ("🙂 Good", "😀 Great", "😐 OK", "😢 Awful")
        if any(face == b for b, _ in self._buttons() for face in faces):
            return self._tap(faces[self.step % len(faces)])
        return self._tap("⏭️ Skip", "▶️ Next")


class Load:
    """The load generator: children over real HTTP to one or more server processes."""

    def __init__(self, ports: list[int]) -> None:
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
        self.clients = [
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", limits=limits, timeout=120)
            for p in ports
        ]
        self._next = itertools.cycle(self.clients)
        self.updates = 0
        self.sent: list[dict[str, Any]] | None = None  # every update posted, while a list

    async def post(self, child: VirtualChild, update: dict[str, Any]) -> None:
        client = next(self._next)  # a load balancer in front of several processes
        response = await client.post(WEBHOOK, json=update, headers=HEADERS)
        assert response.status_code == 200, response.text
        child.last = response.json()["replies"] or child.last
        self.updates += 1
        if self.sent is not None:
            self.sent.append(update)

    async def replay(self, updates: list[dict[str, Any]]) -> None:
        """The recorded updates again, one after another (to the floor server)."""
        for update in updates:
            response = await next(self._next).post(WEBHOOK, json=update, headers=HEADERS)
            assert response.status_code == 200, response.text

    async def stats(self, *, capture: bool = False) -> list[dict[str, Any]]:
        query = "?capture=1" if capture else ""
        return [(await c.get(STATS + query)).json() for c in self.clients]

    async def closed_loop(self, chat_ids: range, per_child: int, *, serial: bool = False) -> None:
        """Each child sends its next update when the last is answered; all children at once,
        or (`serial`) one after another, so that transactions never overlap and the baseline,
        replaying them in commit order, gets the same ids."""

        async def one(chat_id: int) -> None:
            child = VirtualChild(chat_id)
            for _ in range(per_child):
                await self.post(child, child.next_update())

        if serial:
            for chat_id in chat_ids:
                await one(chat_id)
        else:
            await asyncio.gather(*(one(c) for c in chat_ids))

    async def open_loop(self, chat_ids: range, seconds: int) -> None:
        """Each child one update a second, their starts spread evenly over the second."""
        began = time.perf_counter()

        async def one(index: int, chat_id: int) -> None:
            child = VirtualChild(chat_id)
            start = began + index / len(chat_ids)
            for i in range(seconds):
                await asyncio.sleep(max(0.0, start + i - time.perf_counter()))
                await self.post(child, child.next_update())

        await asyncio.gather(*(one(i, c) for i, c in enumerate(chat_ids)))

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


# -- the baseline: the same statements on the bare driver ---------------------------------------------


def replay_sqlite(path: str, transactions: list[list[Any]]) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    for statements in transactions:
        replay_sqlite_transaction(connection, statements)
    connection.close()


def replay_sqlite_transaction(connection: sqlite3.Connection, statements: list[Any]) -> None:
    connection.execute("BEGIN IMMEDIATE")
    for statement, params, many in statements:
        if many:
            connection.executemany(statement, [tuple(p) for p in params])
        else:
            connection.execute(statement, tuple(params)).fetchall()
    connection.execute("COMMIT")


async def replay_postgres(url: str, transactions: list[list[Any]]) -> None:
    import asyncpg

    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
    )
    for statements in transactions:
        async with connection.transaction():
            for statement, params, many in statements:
                if many:
                    await connection.executemany(statement, [tuple(p) for p in params])
                else:
                    await connection.fetch(statement, *params)
    await connection.close()


# -- running it -----------------------------------------------------------------------------------


def _remove(path: str) -> None:
    for name in (path, f"{path}-wal", f"{path}-shm"):
        Path(name).unlink(missing_ok=True)


async def _fresh(url: str) -> None:
    """An empty database with sayso's schema (update ids restart at 1 each run)."""
    engine = create_engine(url)
    if make_url(url).get_backend_name() == "sqlite":
        _remove(make_url(url).database or "")
    else:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    await migrate(engine)
    await engine.dispose()


def _start_servers(
    url: str, count: int, *extra: str
) -> tuple[list[subprocess.Popen[bytes]], list[int]]:
    ports = [18700 + i + (os.getpid() % 100) * 10 for i in range(count)]
    servers = [
        subprocess.Popen(
            [sys.executable, __file__, "serve", "--database-url", url, "--port", str(port), *extra],
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        for port in ports
    ]
    return servers, ports


async def floor_cpu(
    url: str, transactions: list[list[Any]], updates: list[dict[str, Any]], workdir: Path
) -> float:
    """CPU per update of the floor server, serving the recorded updates on a fresh database."""
    await _fresh(url)
    recorded = workdir / "transactions.pickle"
    recorded.write_bytes(pickle.dumps((transactions, len(updates))))
    servers, ports = _start_servers(url, 1, "--floor", str(recorded))
    load = Load(ports)
    try:
        await _wait_up(ports, path=STATS)
        before = (await load.stats())[0]["cpu"]
        await load.replay(updates)
        return ((await load.stats())[0]["cpu"] - before) / len(updates)
    finally:
        await load.aclose()
        _stop(servers)


async def _wait_up(ports: list[int], path: str = "/health") -> None:
    async with httpx.AsyncClient() as client:
        for port in ports:
            for _ in range(3000):
                try:
                    # Up AND screening with both layers: measured while the model still loads,
                    # every typed message would be a lexicon-only verdict (cheaper, and wrong).
                    health = await client.get(f"http://127.0.0.1:{port}{path}")
                    if path == STATS and health.status_code == 200:
                        break
                    if health.status_code == 200 and health.json()["screening"]["model"] in (
                        "ready",
                        "failed",
                        "off",
                    ):
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError(f"the server on port {port} did not get ready")


def _stop(servers: list[subprocess.Popen[bytes]]) -> None:
    for server in servers:
        server.send_signal(signal.SIGINT)
    for server in servers:
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


async def run(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="sayso-bench-"))
    if args.database == "sqlite":
        url, servers_wanted = f"sqlite+aiosqlite:///{workdir / 'sayso.db'}", 1
        baseline_url = f"sqlite+aiosqlite:///{workdir / 'baseline.db'}"
    else:
        url = baseline_url = args.database_url
        servers_wanted = 2
    await _fresh(url)
    servers, ports = _start_servers(url, servers_wanted)
    load = Load(ports)
    chat_ids = itertools.count(10_000)
    try:
        await _wait_up(ports)
        # One round recorded for the baseline (it also warms up imports and caches): every
        # transaction since the server started, one update at a time, merged in commit order.
        chats = [next(chat_ids) for _ in range(args.children)]
        load.sent = []
        await load.closed_loop(range(chats[0], chats[-1] + 1), args.per_child, serial=True)
        sent, load.sent = load.sent, None
        recorded = await load.stats()
        recorded_updates = load.updates
        committed = sorted(
            (t for s in recorded for t in pickle.loads(base64.b64decode(s["transactions"]))),
            key=lambda t: t[0],
        )
        transactions = [statements for _, statements in committed]
        # sayso's CPU per update: the server processes' own CPU time, over measured rounds.
        ours: list[float] = []
        for _ in range(args.rounds):
            before, count = await load.stats(), load.updates
            chats = [next(chat_ids) for _ in range(args.children)]
            await load.closed_loop(range(chats[0], chats[-1] + 1), args.per_child)
            after = await load.stats()
            cpu = sum(a["cpu"] - b["cpu"] for a, b in zip(after, before, strict=True))
            ours.append(cpu / (load.updates - count))
        # Turn time in an open loop, server side.
        paced: dict[int, list[float]] = {}
        for rate in (30, 300):
            await load.stats()
            first_chat = next(chat_ids)
            for _ in range(rate):
                next(chat_ids)
            await load.open_loop(range(first_chat, first_chat + rate), args.seconds)
            paced[rate] = [s for stats in await load.stats() for s in stats["seconds"]]
    finally:
        await load.aclose()
        _stop(servers)

    # The baseline: the same transactions, the bare driver, a fresh database of the same schema.
    await _fresh(baseline_url)
    baseline: list[float] = []
    for _ in range(args.rounds):
        await _fresh(baseline_url)
        cpu = time.process_time()
        if args.database == "sqlite":
            replay_sqlite(make_url(baseline_url).database or "", transactions)
        else:
            await replay_postgres(baseline_url, transactions)
        baseline.append((time.process_time() - cpu) / recorded_updates)
    # The floor: the same updates over HTTP to a server with no framework doing the same work.
    floor = [await floor_cpu(baseline_url, transactions, sent, workdir) for _ in range(args.rounds)]

    statements = sum(len(t) for t in transactions)
    ours_ms, base_ms = statistics.median(ours) * 1000, statistics.median(baseline) * 1000
    where = (
        "SQLite, one server process"
        if args.database == "sqlite"
        else ("PostgreSQL, two server processes")
    )
    print(f"database: {where}; load generator in its own process")
    print(
        f"CPU per update, median of {args.rounds} rounds of {args.children} children x "
        f"{args.per_child} updates:"
    )
    print(f"  sayso, whole pipeline (server processes' CPU):   {ours_ms:6.2f} ms")
    print(
        f"  baseline, the same database work on the bare driver ({len(transactions)} transactions,"
        f" {statements} statements for {recorded_updates} updates): {base_ms:6.2f} ms"
    )
    print(f"  ratio baseline / sayso: {base_ms / ours_ms:.2f}  (target >= 0.70)")
    floor_ms = statistics.median(floor) * 1000
    print(
        f"  floor, the same updates over HTTP (uvicorn, raw ASGI, secret, JSON) doing the same "
        f"database work on the bare driver: {floor_ms:6.2f} ms; baseline / floor: "
        f"{base_ms / floor_ms:.2f} (the best ratio any webhook could reach); "
        f"sayso / floor: {ours_ms / floor_ms:.1f}"
    )
    targets = {30: 50.0, 300: 250.0}
    for rate, seconds in paced.items():
        p50, p99 = _pct(seconds, 0.5), _pct(seconds, 0.99)
        verdict = "met" if p99 < targets[rate] else "MISSED"
        print(
            f"open loop at {rate:3d} updates/s for {args.seconds} s ({len(seconds)} updates): "
            f"server-side turn time p50 {p50:6.2f} ms  p99 {p99:7.2f} ms  "
            f"(target p99 < {targets[rate]:.0f} ms: {verdict})"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode")
    server = sub.add_parser("serve", help="(internal) one server process")
    server.add_argument("--database-url", required=True)
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--floor", help="(internal) serve the floor with these transactions")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--database-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help="with --database postgresql: a database whose public schema may be dropped",
    )
    parser.add_argument("--children", type=int, default=20)
    parser.add_argument("--per-child", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=20, help="of each open-loop run")
    args = parser.parse_args()
    if args.mode == "serve":
        with contextlib.suppress(KeyboardInterrupt):  # how the load generator stops it
            if args.floor:
                recorded, count = pickle.loads(Path(args.floor).read_bytes())
                asyncio.run(serve_floor(args.database_url, args.port, recorded, count))
            else:
                asyncio.run(serve(args.database_url, args.port))
    else:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
