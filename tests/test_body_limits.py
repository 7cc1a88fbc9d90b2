"""Over-size request bodies are refused with 413 before they are read (issue 19, item 4): a
64 MB body, declared or chunked, costs a real server process almost no memory, and the
refusal says why, in JSON for the API and kindly for a child in the web chat."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from api.app import create_app
from api.body_limit import DEFAULT_LIMIT, LIMITS, limit_for
from api.runtime import Runtime
from api.webchat.turns import MAX_TEXT
from tests.api_process import ApiProcess
from tests.staff import api_client

MB = 1 << 20
ATTACKS = [
    ("/auth/token", "application/json"),
    ("/children", "application/json"),
    ("/chat/join", "application/x-www-form-urlencoded"),
]


def _send_huge(port: int, path: str, content_type: str, *, chunked: bool) -> str:
    """POST 64 MB of junk, stopping as soon as the server answers; its status line."""
    size = 64 * MB
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: sayso.test\r\nContent-Type: {content_type}\r\n"
            f"{framing}\r\n\r\n".encode()
        )
        piece, sent = b"a" * MB, 0
        try:
            while sent < size and not select.select([sock], [], [], 0)[0]:
                sock.sendall(b"%x\r\n%s\r\n" % (MB, piece) if chunked else piece)
                sent += MB
            if chunked and sent >= size:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server hung up on the rest: what we want
        sock.settimeout(60)
        return sock.recv(4096).decode("latin-1").split("\r\n")[0]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiProcess]:
    process = ApiProcess(tmp_path_factory.mktemp("limits"))
    try:
        process.wait_until_up()
        yield process
    finally:
        process.stop()


def test_a_64_mb_body_costs_the_server_under_32_mb(server: ApiProcess) -> None:
    # Each route once with a small body first, so what it loads on first use is not counted.
    for path, content_type in ATTACKS:
        httpx.post(server.url + path, content=b"{}", headers={"Content-Type": content_type})
    before = server.peak_memory()
    statuses = [
        _send_huge(server.port, path, content_type, chunked=chunked)
        for path, content_type in ATTACKS
        for chunked in (False, True)
    ]
    growth = server.peak_memory() - before
    assert growth < 32 * MB, f"peak memory grew {growth / MB:.0f} MB"
    assert statuses == ["HTTP/1.1 413 Request Entity Too Large"] * 6


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(runtime) as client:
        yield client


async def _chunks(size: int) -> AsyncIterator[bytes]:
    for _ in range(size // 4096):
        yield b" " * 4096


async def test_the_api_says_why_in_json(client: httpx.AsyncClient) -> None:
    declared = await client.post("/auth/token", content=b" " * (DEFAULT_LIMIT + 1))
    chunked = await client.post("/auth/token", content=_chunks(4 * DEFAULT_LIMIT))
    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.json() == {"detail": "The request body is too large: at most 64 KB here"}
        assert response.headers["connection"] == "close"


async def test_the_join_form_takes_under_1_kb_and_says_so_kindly(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/chat/join", data={"token": "x" * 2000})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "Sorry, something went wrong. Please try again." in response.text


async def test_a_child_in_the_web_chat_hears_kind_words(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/chat/api/say",
        content=_chunks(limit_for("POST", "/chat/api/say") + 8192),
        headers={"X-Sayso": "1", "Accept-Language": "cy"},
    )
    assert response.status_code == 413
    assert response.json()["message"] != ""
    assert "too large" in response.json()["detail"]


def test_the_largest_bodies_the_api_takes_fit_their_limits() -> None:
    """The limits are not tighter than what the routes accept: a child's longest message in
    4-byte characters, and the largest "you said, we did", every character escaped."""
    say = json.dumps({"text": "😀" * MAX_TEXT}, ensure_ascii=False).encode()
    assert len(say) <= limit_for("POST", "/chat/api/say")
    text = {"locale": "en", "body": "ش" * 2000, "why": "ش" * 1000}
    reply = {
        "status": "cannot",
        "texts": [text] * 20,
        "links": {"answer_ids": [2_147_483_647] * 1000, "outcomes": ["o" * 49] * 50},
        "child_ids": [2_147_483_647] * 5000,
        "send_at": "2026-12-02T16:00:00+00:00",
    }
    assert len(json.dumps(reply)) <= limit_for("POST", "/replies")


async def test_every_limit_is_for_a_route_that_exists(client: httpx.AsyncClient) -> None:
    for method, path in LIMITS:
        response = await client.request(method, path, content=b"{}")
        assert response.status_code not in (404, 405), (method, path)


def test_the_schema_lists_413_for_every_operation(runtime: Runtime) -> None:
    schema = create_app(runtime).openapi()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "413" in operation["responses"], (method, path)
