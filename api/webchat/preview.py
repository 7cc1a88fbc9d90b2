"""The staff preview: any conversation, in any language and reading mode, as a child sees it.
Nothing is stored as feedback (core/preview.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.access import PREVIEW, PUBLIC
from api.deps import RuntimeDep
from api.webchat import pages, turns, ui
from api.webchat.assets import ASSET_VERSION
from core.chat import Chat
from core.i18n import native_name
from core.render import Message

log = logging.getLogger(__name__)
router = APIRouter(prefix="/preview", include_in_schema=False)


class Start(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(max_length=40)
    locale: str = Field(max_length=12)
    reading_mode: Literal["standard", "easy"] = "standard"


class PreviewTap(turns.Tap):
    preview_id: str = Field(max_length=64)


class PreviewSay(turns.Say):
    preview_id: str = Field(max_length=64)


@router.get("", dependencies=[PUBLIC])
async def preview_page() -> Response:
    """The page itself holds nothing: its API asks for a staff sign-in or the console key."""
    return turns.html(pages.preview_page(asset_version=ASSET_VERSION))


@router.get("/api/options", dependencies=[PREVIEW])
async def options(runtime: RuntimeDep) -> JSONResponse:
    """What can be previewed; `errors` lists every mistake in the content on disk now."""
    library, errors = runtime.previews.options()
    conversations = []
    if library is not None:
        en = runtime.services.translator("en")
        conversations = [
            {"id": c.id, "title": en.gettext(c.title)} for c in library.conversations.values()
        ]
    languages = [
        {"code": code, "name": native_name(code), "dir": ui.direction(code)}
        for code in runtime.services.locales
    ]
    return JSONResponse(
        {
            "conversations": conversations,
            "languages": languages,
            "reading_modes": ["standard", "easy"],
            "errors": errors,
        }
    )


async def _turn(
    runtime: RuntimeDep, preview_id: str, act: Callable[[Chat], Awaitable[list[Message]]]
) -> JSONResponse:
    preview = runtime.previews.get(preview_id)
    if preview is None:
        return turns.problem(404, "This preview has ended; start again")
    try:
        messages, notes, locale = await preview.turn(act)
    except Exception:  # a content mistake the checks missed must show, not crash the page
        log.exception("a preview turn failed")
        return turns.problem(500, "This turn failed: the server log has the details")
    tr = runtime.services.translator(locale)
    return JSONResponse(turns.turn_json(messages, locale, tr, preview_id=preview.id, notes=notes))


@router.post("/api/start", dependencies=[PREVIEW])
async def start(body: Start, runtime: RuntimeDep) -> JSONResponse:
    library, errors = runtime.previews.options()
    if library is None:
        return turns.problem(409, "The content has mistakes: " + "; ".join(errors))
    if library.get(body.conversation_id) is None:
        return turns.problem(409, f"No conversation {body.conversation_id!r}")
    if body.locale not in runtime.services.locales:
        return turns.problem(409, f"No language {body.locale!r}")
    preview = await runtime.previews.start(
        library, body.conversation_id, locale=body.locale, reading_mode=body.reading_mode
    )
    return await _turn(runtime, preview.id, lambda chat: chat.begin(body.conversation_id))


@router.post("/api/tap", dependencies=[PREVIEW])
async def tap(body: PreviewTap, runtime: RuntimeDep) -> JSONResponse:
    return await _turn(runtime, body.preview_id, turns.tap(body))


@router.post("/api/say", dependencies=[PREVIEW])
async def say(body: PreviewSay, runtime: RuntimeDep) -> JSONResponse:
    return await _turn(runtime, body.preview_id, lambda chat: turns.say(chat, body.text))
