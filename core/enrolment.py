"""Enrolment: a worker registers a child and gets a single-use, expiring link; the child opens
it and their chat is joined to the record the worker made.

The token is random (192 bits) and only its SHA-256 is stored, so neither a guess nor a
database dump links anyone. A used, expired or unknown token links nothing."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Table, delete, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.audit import record
from core.crypto import token_digest
from core.models import EnrolmentToken, Preferences, YoungPerson, utcnow

TOKEN_BYTES = 24  # 192 bits, 32 characters: inside Telegram's 64-character start payload.
# 19 is where the helplines change (Childline is for under-19s; Samaritans after).
AGE_BANDS = ("8-12", "13-15", "16-18", "19-25")
# Where the child talks to us: the Telegram bot, or the web chat (for children under 16, whom
# Telegram's terms exclude in the UK, and children without Telegram).
CHANNELS = ("telegram", "web")
CHILD_COLUMN = "young_person_id"


async def enrol(
    session: AsyncSession,
    *,
    display_name: str,
    age_band: str | None,
    worker_id: int | None,
    created_by: int,
    days: int,
    channel: str = "telegram",
) -> tuple[YoungPerson, str, datetime]:
    """A new child record and its first link, in the caller's transaction."""
    child = YoungPerson(
        display_name=display_name, age_band=age_band, worker_id=worker_id, channel=channel
    )
    session.add(child)
    await session.flush()
    session.add(Preferences(young_person_id=child.id))
    token, expires = await issue_link(session, child, created_by=created_by, days=days)
    return child, token, expires


async def issue_link(
    session: AsyncSession,
    child: YoungPerson,
    *,
    created_by: int,
    days: int,
    channel: str | None = None,
) -> tuple[str, datetime]:
    """A fresh link (for the child's channel unless another is given); any earlier link not yet
    used stops working, so only the newest is live."""
    now = utcnow()
    await session.exec(
        update(EnrolmentToken)  # type: ignore[call-overload]
        .where(
            col(EnrolmentToken.young_person_id) == child.id,
            col(EnrolmentToken.used_at).is_(None),
            col(EnrolmentToken.expires_at) > now,
        )
        .values(expires_at=now)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + timedelta(days=days)
    assert child.id is not None
    session.add(
        EnrolmentToken(
            token_hash=token_digest(token),
            young_person_id=child.id,
            created_by=created_by,
            channel=channel or child.channel,
            expires_at=expires,
        )
    )
    return token, expires


async def take(session: AsyncSession, token: str, *, channel: str) -> YoungPerson | None:
    """The child a link was made for, the link now used up; None when it links nothing: used,
    expired, made up, or made for the other channel (the worker chose where the child talks)."""
    found = (
        await session.exec(
            select(EnrolmentToken)
            .where(EnrolmentToken.token_hash == token_digest(token.strip()))
            .with_for_update()
        )
    ).first()
    now = utcnow()
    if found is None or found.used_at is not None or found.expires_at <= now:
        return None
    if found.channel != channel:
        return None
    enrolled = await session.get(YoungPerson, found.young_person_id)
    if enrolled is None:
        return None
    found.used_at = now
    enrolled.channel = channel
    return enrolled


async def redeem(session: AsyncSession, chat_child: YoungPerson, token: str) -> YoungPerson | None:
    """The enrolled child this Telegram chat now belongs to, or None when the token links
    nothing. The worker's record is kept (its id is the one staff know); what the chat had
    already (answers, choices) moves onto it."""
    enrolled = await take(session, token, channel="telegram")
    if enrolled is None:
        return None
    if enrolled.id != chat_child.id:
        await _merge(session, chat_child, into=enrolled)
    record(
        session,
        staff_id=None,
        action="child.link",
        young_person_id=enrolled.id,
        detail={"joined": chat_child.id} if enrolled is not chat_child else {},
    )
    return enrolled


def _child_tables() -> list[Table]:
    """Every table that points at a child, read from the models, so a new one is never missed."""
    return [
        table
        for table in SQLModel.metadata.sorted_tables
        if CHILD_COLUMN in table.c and table.name != YoungPerson.__tablename__
    ]


async def _merge(session: AsyncSession, source: YoungPerson, *, into: YoungPerson) -> None:
    await session.flush()
    # Preferences are keyed by the child: moved below by SQL, so forget any loaded copy.
    for loaded in [o for o in session.identity_map.values() if isinstance(o, Preferences)]:
        session.expunge(loaded)
    has_own = await session.exec(
        select(Preferences.young_person_id).where(Preferences.young_person_id == source.id)
    )
    if has_own.first() is not None:
        # The chat's own choices are the child's; the worker's record only had defaults.
        await session.exec(delete(Preferences).where(col(Preferences.young_person_id) == into.id))  # type: ignore[call-overload]
    for table in _child_tables():
        await session.exec(
            update(table)  # type: ignore[call-overload]
            .where(table.c[CHILD_COLUMN] == source.id)
            .values({CHILD_COLUMN: into.id})
        )
    # Rows already loaded in this session now belong to the kept record too.
    for loaded in list(session.identity_map.values()):
        if getattr(loaded, CHILD_COLUMN, None) == source.id:
            set_committed_value(loaded, CHILD_COLUMN, into.id)
    chat_id = source.telegram_chat_id
    into.locale = source.locale or into.locale
    into.reading_mode = source.reading_mode
    into.onboarded = into.onboarded or source.onboarded
    into.unreachable_at = None
    await session.delete(source)
    await session.flush()
    into.telegram_chat_id = chat_id
    await session.flush()
