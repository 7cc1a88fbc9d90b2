"""The web chat's side of the core: which child a browser belongs to, and the messages that
wait in their chat until they next open it (a web page cannot be sent anything).

The conversation itself is `core.chat.Chat`, exactly as on Telegram."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import enrolment, proactive
from core.audit import record
from core.crypto import token_digest
from core.models import OutboxMessage, WebSession, YoungPerson, utcnow
from core.outbox import hold
from core.render import Message

if TYPE_CHECKING:
    from core.chat import Chat

CHANNEL = "web"
COOKIE_BYTES = 32  # 256 bits
# A phone stays signed in this long after it was last used; a link opens it again.
SESSION_DAYS = 90


async def join(session: AsyncSession, token: str) -> tuple[YoungPerson, str] | None:
    """A web-chat link opened: the child, and the new cookie for this browser (only its hash is
    kept). None when the link links nothing (used, expired, made up, or made for Telegram)."""
    child = await enrolment.take(session, token, channel=CHANNEL)
    if child is None:
        return None
    assert child.id is not None
    cookie = secrets.token_urlsafe(COOKIE_BYTES)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=token_digest(cookie),
            young_person_id=child.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(days=SESSION_DAYS),
        )
    )
    child.unreachable_at = None
    record(session, staff_id=None, action="child.link", young_person_id=child.id)
    return child, cookie


async def child_for(session: AsyncSession, cookie: str | None) -> YoungPerson | None:
    """The child this browser belongs to, locked for the turn (one turn at a time per child,
    as on Telegram); None for no cookie, an expired one, or one whose child was erased."""
    if not cookie or len(cookie) > 128:
        return None
    now = utcnow()
    found = (
        await session.exec(select(WebSession).where(WebSession.token_hash == token_digest(cookie)))
    ).first()
    if found is None or found.expires_at <= now:
        return None
    child = (
        await session.exec(
            select(YoungPerson).where(YoungPerson.id == found.young_person_id).with_for_update()
        )
    ).first()
    if child is None:
        return None
    # Sliding expiry: a child who keeps using the chat stays signed in.
    found.last_seen_at, found.expires_at = now, now + timedelta(days=SESSION_DAYS)
    return child


async def forget_browser(session: AsyncSession, cookie: str) -> None:
    """Sign this browser out (a shared phone): the chat needs the link again."""
    await session.exec(delete(WebSession).where(col(WebSession.token_hash) == token_digest(cookie)))  # type: ignore[call-overload]


async def opened(session: AsyncSession, child_ids: list[int]) -> set[int]:
    """Which of these children have the web chat open on a phone (a link used, not expired)."""
    if not child_ids:
        return set()
    found = await session.exec(
        select(WebSession.young_person_id).where(
            col(WebSession.young_person_id).in_(child_ids), col(WebSession.expires_at) > utcnow()
        )
    )
    return set(found.all())


async def sign_out_everywhere(session: AsyncSession, child_id: int) -> int:
    """Every browser of this child forgets the chat (a lost phone); how many there were."""
    result = await session.exec(
        delete(WebSession).where(col(WebSession.young_person_id) == child_id)  # type: ignore[call-overload]
    )
    return int(result.rowcount)


def unread(child: YoungPerson, message: OutboxMessage, now: datetime | None = None) -> bool:
    """A message waiting in a web-chat child's chat that they have not opened yet."""
    return (
        child.channel == CHANNEL
        and message.status == "pending"
        and message.due_at <= (now or utcnow())
    )


async def waiting_messages(chat: Chat) -> list[Message]:
    """What has been waiting in the chat (check-ins, "you said, we did"...), rendered now in
    the child's language, and marked sent: opening the chat is when they read it. The same
    rule as a Telegram send, checked as each is shown (core.outbox.hold): nothing while they
    have stopped, routine messages not while an alert is open. The child's row is locked for
    the turn, so no /stop or /delete can land between this look and the showing."""
    child = chat.child
    if child.id is None:
        return []
    now = utcnow()
    rows = (
        await chat.session.exec(
            select(OutboxMessage)
            .where(
                OutboxMessage.young_person_id == child.id,
                OutboxMessage.status == "pending",
                col(OutboxMessage.due_at) <= now,
            )
            .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        )
    ).all()
    shown: list[Message] = []
    for row in rows:
        held = await hold(chat.session, child, row)
        if held is not None:
            # Waiting rows stay as they are; one that can never be shown is settled.
            if held.status != "pending":
                row.status, row.last_error = held.status, held.reason
            continue
        occasion = proactive.Occasion(chat.services, chat.session, child, row, chat.tr)
        try:
            rendered = await proactive.render(occasion)
        except LookupError as error:  # no renderer for this kind: a deploy mistake
            row.status, row.last_error = "dead", str(error)
            continue
        if rendered is None:
            row.status, row.last_error = "cancelled", "no longer needed"
            continue
        row.status, row.sent_at, row.parts_sent = "sent", now, len(rendered)
        shown += rendered
    return shown
