"""The child's web chat: the join link, the page, and the page's turns. A thin adapter: every
turn is `core.chat.Chat`, exactly as on Telegram; this only carries it over HTTP."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from fastapi import APIRouter, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from api import errors
from api.access import CHILD_COOKIE
from api.deps import RuntimeDep
from api.runtime import Runtime
from api.webchat import pages, turns, ui
from api.webchat.assets import ASSET_VERSION
from core import web_chat
from core.chat import Chat
from core.i18n import Translator, pick_locale
from core.render import Message
from core.safeguarding import AlertFirst, alert_first

log = logging.getLogger(__name__)
router = APIRouter(prefix="/chat", include_in_schema=False, dependencies=[CHILD_COOKIE])
COOKIE = "sayso_chat"


def _hint(request: Request, runtime: Runtime) -> str | None:
    locales = runtime.services.locales
    for tag in turns.accepted_languages(request):
        if pick_locale(None, tag, locales) != "en" or tag.lower().startswith("en"):
            return tag
    return None


def _visitor(request: Request, runtime: Runtime) -> tuple[str, Translator]:
    """The language for someone we do not know yet: their browser's, else the default."""
    services = runtime.services
    locale = pick_locale(
        _hint(request, runtime) or runtime.settings.default_locale, None, services.locales
    )
    return locale, services.translator(locale)


def _notice(request: Request, runtime: Runtime, text: str, status: int) -> HTMLResponse:
    locale, tr = _visitor(request, runtime)
    page = pages.notice_page(
        locale=locale,
        direction=ui.direction(locale),
        title=tr.gettext(ui.WORDS["title"]),
        text=tr.gettext(text),
        asset_version=ASSET_VERSION,
    )
    return turns.html(page, status)


def too_large(request: Request, reason: str) -> Response:
    """A body over its size limit (api/body_limit.py): the Start form gets a kind page, the
    pages' own calls the reason and kind words to show (their words stay in the box)."""
    runtime: Runtime = request.app.state.runtime
    if request.url.path == "/chat/join":
        return _notice(request, runtime, ui.TRY_AGAIN, 413)
    _, tr = _visitor(request, runtime)
    words = ui.TOO_LONG if request.url.path.endswith("/api/say") else ui.TRY_AGAIN
    return turns.problem(413, reason, tr.gettext(words))


@router.get("/join")
async def join_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """One button that posts the link's token (from the address's #fragment, see join.js)."""
    locale, tr = _visitor(request, runtime)
    page = pages.notice_page(
        locale=locale,
        direction=ui.direction(locale),
        title=tr.gettext(ui.JOIN_TITLE),
        text=tr.gettext(ui.JOIN_TEXT),
        asset_version=ASSET_VERSION,
        action=(tr.gettext(ui.JOIN_BUTTON), "/chat/join"),
        noscript=tr.gettext(ui.WORDS["noscript"]),
    )
    return turns.html(page)


@router.post("/join")
async def join(request: Request, runtime: RuntimeDep) -> Response:
    """The Start form: the token in a form body (never in an address, so never in a log)."""
    body = await request.body()  # at most 1 KB (api/body_limit.py)
    fields = parse_qs(body.decode("utf-8", "replace"))
    token = (fields.get("token") or [""])[0].strip()
    joined = None
    if 0 < len(token) <= 128:
        async with runtime.sessionmaker() as session:
            joined = await web_chat.join(session, token)
            await session.commit()
    if joined is None:
        return _notice(request, runtime, ui.LINK_USED, 410)
    response = RedirectResponse("/chat", status_code=303)
    response.set_cookie(
        COOKIE,
        joined[1],
        max_age=web_chat.SESSION_DAYS * 24 * 3600,
        path="/chat",
        httponly=True,
        samesite="lax",
        secure=runtime.settings.public_address.startswith("https://"),
    )
    return response


@router.get("")
async def chat_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    async with runtime.sessionmaker() as session:
        child = await web_chat.child_for(session, request.cookies.get(COOKIE))
        await session.commit()
    if child is None:
        return _notice(request, runtime, ui.NO_CHAT, 401)
    chat = Chat(runtime.services, session, child, hint=_hint(request, runtime))
    page = pages.chat_page(
        locale=chat.locale,
        direction=ui.direction(chat.locale),
        ui=ui.words(chat.tr),
        asset_version=ASSET_VERSION,
    )
    return turns.html(page)


def _unknown_browser(request: Request, runtime: Runtime) -> JSONResponse:
    """No cookie, or one that opens no chat (expired, signed out, erased): kind words."""
    _, tr = _visitor(request, runtime)
    return turns.problem(401, "No web chat for this browser", tr.gettext(ui.NO_CHAT))


async def _turn(
    request: Request, runtime: Runtime, act: Callable[[Chat], Awaitable[list[Message]]]
) -> JSONResponse:
    """One turn of the child's chat, in one transaction with the child's row locked (as on
    Telegram, one turn at a time per child): all of it is committed, or none of it and the
    child's words stay in the box to send again. A safeguarding alert is committed first, on
    its own (`alert_first`), keyed by the page's turn id so sending again raises no second."""
    if not turns.guarded(request):
        return turns.unguarded()
    turn_id = turns.turn_id(request)

    async def attempt() -> JSONResponse:
        async with runtime.sessionmaker() as session:
            child = await web_chat.child_for(session, request.cookies.get(COOKIE))
            if child is None:
                return _unknown_browser(request, runtime)
            # The child's own turn id: another browser's id can never stand for this child's.
            origin = f"web:{child.id}:{turn_id}"
            chat = Chat(
                runtime.services, session, child, hint=_hint(request, runtime), origin=origin
            )
            # Read now: a rollback expires the child's row, and reading it then would fail.
            tr = chat.tr
            try:
                messages = await act(chat)
                await session.commit()
            except AlertFirst:
                raise  # rolled back as the session closes; the alert is written, then again
            except Exception:
                await session.rollback()
                log.exception("a web chat turn failed")
                return turns.problem(500, "The turn failed", tr.gettext(ui.TRY_AGAIN))
            return JSONResponse(turns.turn_json(messages, chat.locale, chat.tr))

    return await alert_first(runtime.sessionmaker, attempt)


async def _open(chat: Chat) -> list[Message]:
    """Opening the page: what waited for them, then where they are."""
    waiting = await web_chat.waiting_messages(chat)
    return [*waiting, *await chat.start()]


async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
    """A request the page should never send (words too long, a broken tap): the reason, and
    kind words in the child's language; their words stay in the box."""
    if not request.url.path.startswith(("/chat/api/", "/preview/api/")):
        return errors.invalid_body(error.errors())
    runtime: Runtime = request.app.state.runtime
    _, tr = _visitor(request, runtime)
    too_long = any(e.get("type") == "string_too_long" for e in error.errors())
    body = {
        "detail": jsonable_encoder(errors.without_input(error.errors())),
        "message": tr.gettext(ui.TOO_LONG if too_long else ui.TRY_AGAIN),
    }
    return errors.ErrorJSON(body, status_code=422)


@router.post("/api/open")
async def open_chat(request: Request, runtime: RuntimeDep) -> JSONResponse:
    return await _turn(request, runtime, _open)


@router.post("/api/waiting")
async def waiting(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """What was sent to them since (a check-in, "you said, we did"), for a page left open."""
    return await _turn(request, runtime, web_chat.waiting_messages)


@router.post("/api/tap")
async def tap(body: turns.Tap, request: Request, runtime: RuntimeDep) -> JSONResponse:
    return await _turn(request, runtime, turns.tap(body))


@router.post("/api/say")
async def say(body: turns.Say, request: Request, runtime: RuntimeDep) -> JSONResponse:
    return await _turn(request, runtime, lambda chat: turns.say(chat, body.text))


@router.post("/api/sign-out")
async def sign_out(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """This browser forgets the chat (a shared or borrowed phone); a new link opens it again."""
    if not turns.guarded(request):
        return turns.unguarded()
    cookie = request.cookies.get(COOKIE)
    async with runtime.sessionmaker() as session:
        child = await web_chat.child_for(session, cookie)
        if child is None or cookie is None:
            return _unknown_browser(request, runtime)
        tr = Chat(runtime.services, session, child, hint=_hint(request, runtime)).tr
        await web_chat.forget_browser(session, cookie)
        await session.commit()
    response = JSONResponse({"message": tr.gettext(ui.SIGNED_OUT)})
    response.delete_cookie(COOKIE, path="/chat")
    return response


@router.post("/api/command")
async def command(body: turns.Ask, request: Request, runtime: RuntimeDep) -> JSONResponse:
    return await _turn(request, runtime, lambda chat: chat.command(body.name))
