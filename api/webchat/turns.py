"""What the web chat's pages send and get back: a tap, typed words or a command in, a Turn out.
Shared by the child's chat and the staff preview."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.webchat import ui
from core.chat import COMMANDS, Chat
from core.i18n import Translator
from core.render import Action, Message

Command = Literal[COMMANDS]  # type: ignore[valid-type]
# Longer than any message a child would type; a child's very long message is still taken (in
# several parts on the page), never silently cut.
MAX_TEXT = 20_000
GUARD_HEADER = "X-Sayso"
# The page's id for one thing the child sends, the same when they press Send again after a
# failure: the origin of any alert that turn raised, so the retry finds it (chat.js).
TURN_HEADER = "X-Sayso-Turn"
TURN_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=20)
    question_id: str | None = Field(default=None, max_length=64)
    value: str | None = Field(default=None, max_length=64)


class Tap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: int | None = Field(default=None, ge=0, le=2**62)
    action: ActionIn


class Say(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT)


class Ask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Command


def tap(body: Tap) -> Callable[[Chat], Awaitable[list[Message]]]:
    action = Action(body.action.kind, body.action.question_id, body.action.value)
    return lambda chat: chat.act(body.run or None, action)


async def say(chat: Chat, text: str) -> list[Message]:
    """Typed words; "/stop", "/help"... work as on Telegram (words after a command are
    screened like any others, as there)."""
    name, _, rest = text.strip().partition(" ")
    if name.startswith("/") and name[1:].lower() in COMMANDS and name[1:].lower() != "start":
        if rest.strip():
            safety = await chat.words_with_command(rest)
            if safety is not None:
                return safety
        return await chat.command(name[1:].lower())
    return await chat.typed(text)


def turn_json(
    messages: list[Message], locale: str, tr: Translator, **extra: object
) -> dict[str, Any]:
    return {
        "locale": locale,
        "dir": ui.direction(locale),
        "ui": ui.words(tr),
        "messages": [
            {
                "text": message.text,
                "run": message.run,
                "buttons": [
                    [
                        {
                            "label": button.label,
                            "action": {
                                "kind": button.action.kind,
                                "question_id": button.action.question_id,
                                "value": button.action.value,
                            },
                            "chosen": button.chosen,
                        }
                        for button in row
                    ]
                    for row in message.buttons
                ],
            }
            for message in messages
        ],
        **extra,
    }


# The pages' own scripts and styles only: nothing from elsewhere, no inline script, no framing.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def html(page: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(page, status_code=status, headers=PAGE_HEADERS)


def problem(status: int, detail: str, message: str | None = None) -> JSONResponse:
    """An error the page can show: the reason, and kind words for the child."""
    body: dict[str, str] = {"detail": detail}
    if message is not None:
        body["message"] = message
    return JSONResponse(body, status_code=status)


def unguarded() -> JSONResponse:
    return problem(403, "Missing the X-Sayso header")


def guarded(request: Request) -> bool:
    """Pages send a header other sites' pages cannot send without our permission (CORS), so a
    form on another site cannot act for a child whose browser holds our cookie."""
    return request.headers.get(GUARD_HEADER) == "1"


def turn_id(request: Request) -> str:
    """The page's turn id, else a new one (an older page: its retry raises its own alert)."""
    given = request.headers.get(TURN_HEADER, "")
    return given if TURN_ID.match(given) else secrets.token_urlsafe(16)


def accepted_languages(request: Request) -> list[str]:
    """The browser's languages, most wanted first (Accept-Language), like Telegram's hint."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]
