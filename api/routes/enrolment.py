"""Enrolment: a worker registers a young person and gets a single-use link and its QR code."""

from __future__ import annotations

import base64
import io
import logging
from datetime import datetime
from typing import Literal

import segno
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.access import Caller, StaffDep, visible_child
from api.deps import RuntimeDep, SessionDep
from api.routes.children import ChildOut, child_out
from api.runtime import Runtime
from api.schemas import MAX_ID, Body, ChildName, Id, problems
from core import enrolment, web_chat
from core.audit import record
from core.models import Staff

log = logging.getLogger(__name__)
router = APIRouter(prefix="/children", tags=["enrolment"])

AgeBand = Literal[enrolment.AGE_BANDS]  # type: ignore[valid-type]
Channel = Literal[enrolment.CHANNELS]  # type: ignore[valid-type]
CHANNEL_HELP = (
    "Where the child will talk to us: telegram (16 and over, with Telegram), or web, a chat "
    "page on any phone browser (under 16s, whom Telegram's terms exclude, or no Telegram)"
)


class Enrolment(Body):
    display_name: ChildName
    age_band: AgeBand | None = Field(default=None, examples=["13-15"])
    worker_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Admins: who the child is allocated to (none: unallocated). Workers: "
        "leave it out, or give your own id.",
    )
    channel: Channel = Field(default="telegram", description=CHANNEL_HELP)


class NewLink(Body):
    channel: Channel | None = Field(
        default=None, description=f"{CHANNEL_HELP}. Leave it out to keep the child's channel."
    )


class Link(BaseModel):
    child: ChildOut
    link: str = Field(
        examples=[
            "https://t.me/sayso_bot?start=Zx3…",
            "https://sayso.council.example/chat/join#Zx3…",
        ]
    )
    expires_at: datetime
    qr_png_base64: str = Field(description="A QR code of the link, as a base64 PNG image")


async def _bot_username(runtime: Runtime) -> str:
    if runtime.settings.bot_username:
        return runtime.settings.bot_username.lstrip("@")
    if runtime.bot is not None:
        try:
            me = await runtime.bot.me()
        except (TelegramAPIError, TelegramNetworkError) as error:
            log.warning("could not ask Telegram for the bot's name (%s)", type(error).__name__)
        else:
            if me.username:
                return me.username
    raise HTTPException(
        503, "The bot's name is not known: set SAYSO_BOT_USERNAME (or a working Telegram token)"
    )


def _qr_png(link: str) -> str:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=8, border=4)
    return base64.b64encode(buffer.getvalue()).decode()


async def _link_start(runtime: Runtime, channel: str) -> str:
    """A link up to its token: to the bot on Telegram, or to the web chat's join page. Asked
    before anything is written, so a bot with no known name leaves nothing half made."""
    if channel == "web":
        # After "#": browsers never send it, so the token is in no server's or proxy's log.
        return f"{runtime.settings.public_address}/chat/join#"
    return f"https://t.me/{await _bot_username(runtime)}?start="


def _link(link: str, child: ChildOut, expires: datetime) -> Link:
    return Link(child=child, link=link, expires_at=expires, qr_png_base64=_qr_png(link))


async def _worker_for(session: SessionDep, caller: Caller, worker_id: int | None) -> int | None:
    if not caller.is_admin:
        if worker_id not in (None, caller.id):
            raise HTTPException(403, "Workers enrol children to themselves; ask an admin")
        return caller.id
    if worker_id is not None:
        worker = await session.get(Staff, worker_id)
        if worker is None or not worker.active:
            raise HTTPException(409, "No active staff account with that id")
    return worker_id


@router.post("", status_code=201, responses=problems(401, 403, 409, 503))
async def enrol(
    body: Enrolment, caller: StaffDep, session: SessionDep, runtime: RuntimeDep
) -> Link:
    """Register a young person and get their enrolment link (single use, expiring) and QR code:
    a Telegram link, or a web-chat link (`channel`). The link is shown only now: only a hash
    of it is kept."""
    start = await _link_start(runtime, body.channel)
    child, token, expires = await enrolment.enrol(
        session,
        display_name=body.display_name,
        age_band=body.age_band,
        worker_id=await _worker_for(session, caller, body.worker_id),
        created_by=caller.id,
        days=runtime.settings.enrolment_link_days,
        channel=body.channel,
    )
    record(session, staff_id=caller.id, action="child.enrol", young_person_id=child.id)
    await session.commit()
    return _link(start + token, child_out(child), expires)


@router.post("/{child_id}/link", status_code=201, responses=problems(401, 404, 503))
async def new_link(
    child_id: Id,
    caller: StaffDep,
    session: SessionDep,
    runtime: RuntimeDep,
    body: NewLink | None = None,
) -> Link:
    """A new link for a child (a lost link, a new phone, or a move between Telegram and the web
    chat with `channel`; the child moves when they open it). Earlier unused links stop working."""
    child = await visible_child(session, caller, child_id)
    channel = (body.channel if body else None) or child.channel
    start = await _link_start(runtime, channel)
    token, expires = await enrolment.issue_link(
        session,
        child,
        created_by=caller.id,
        days=runtime.settings.enrolment_link_days,
        channel=channel,
    )
    record(session, staff_id=caller.id, action="child.link_issue", young_person_id=child_id)
    await session.commit()
    return _link(start + token, child_out(child), expires)


class SignedOut(BaseModel):
    signed_out: int = Field(description="How many browsers had the child's web chat open")


@router.post("/{child_id}/web-chat/sign-out", responses=problems(401, 404))
async def sign_out_web_chat(child_id: Id, caller: StaffDep, session: SessionDep) -> SignedOut:
    """A lost or shared phone: every browser where the child opened their web chat forgets it.
    Nothing the child said is touched; a new link (`POST /children/{id}/link`) lets them back."""
    await visible_child(session, caller, child_id)
    count = await web_chat.sign_out_everywhere(session, child_id)
    record(
        session,
        staff_id=caller.id,
        action="child.web_sign_out",
        young_person_id=child_id,
        detail={"browsers": count},
    )
    await session.commit()
    return SignedOut(signed_out=count)
