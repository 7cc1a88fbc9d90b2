"""Request bodies over a size limit are refused with 413 before they are read, for every route.

A pure ASGI middleware, so it sees the body as it arrives: a declared Content-Length over the
limit is refused before the route runs (before sign-in is checked: a 64 MB body never costs
64 MB), and a body without one (chunked) is counted as the route reads it and refused once the
running total passes the limit. The refusal closes the connection, so the rest is not read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KB = 1024
DEFAULT_LIMIT = 64 * KB  # every JSON body of the admin API needs well under this
# Routes whose bodies are much smaller or really larger than the default, and why.
LIMITS: dict[tuple[str, str], int] = {
    # The web chat's Start form: one link token (at most 128 characters).
    ("POST", "/chat/join"): 1 * KB,
    # A child's message: up to 20,000 characters (turns.MAX_TEXT), up to 4 bytes each in UTF-8.
    ("POST", "/chat/api/say"): 128 * KB,
    ("POST", "/preview/api/say"): 128 * KB,
    # "You said, we did": up to 20 languages of 3,000 characters, 6 bytes each when a client
    # escapes them as \\uXXXX, and up to 6,000 ids of children and answers.
    ("POST", "/replies"): 512 * KB,
    # A Telegram update: up to 4,096 characters (Telegram escapes non-ASCII as \\uXXXX), with
    # the message it replies to or quotes, and entities. A refused update would be a child's
    # message lost, so the cap is generous; the secret is checked before any of it is read.
    ("POST", "/telegram/webhook"): 1024 * KB,
}

Refusal = Callable[[Request, int], Awaitable[Response]]


def limit_for(method: str, path: str) -> int:
    return LIMITS.get((method, path), DEFAULT_LIMIT)


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit. An HTTPException, because
    FastAPI turns any other error while reading a body into a 400."""

    def __init__(self) -> None:
        super().__init__(413, "The request body is too large")


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses it; counting still holds
    return None


class BodyLimit:
    """Refuses bodies over `limit_for(method, path)`; `refuse` words the 413 for the caller
    (JSON with the reason for the API, the child's language for the web chat)."""

    def __init__(self, app: ASGIApp, *, refuse: Refusal) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received, over, started = 0, False, False

        async def counted() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # the app's own answer to the error is replaced by ours, below
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
        if over and not started:
            await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = await self.refuse(Request(scope, receive), limit)
        # Whatever is still on its way is not read: the connection ends with this answer.
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
