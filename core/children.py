"""Finding children and their preferences; the only data we keep from Telegram is a chat id."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import ConversationRun, Preferences, TrustedContact, YoungPerson

# Built once (it runs on every update): a statement object keeps its own cache key.
_CHILD_WITH_RUN = (
    select(YoungPerson, ConversationRun)
    .outerjoin(
        ConversationRun,
        (ConversationRun.young_person_id == YoungPerson.id) & (ConversationRun.status == "active"),
    )
    .where(YoungPerson.telegram_chat_id == bindparam("chat_id"))
    .order_by(col(ConversationRun.id).desc())
    .limit(1)
    .with_for_update(of=YoungPerson)
)


async def child_with_run(
    session: AsyncSession, *, chat_id: int
) -> tuple[YoungPerson | None, ConversationRun | None]:
    """The child and their active run in one query. The child's row is locked (PostgreSQL) so
    one child's updates run one at a time even across processes."""
    result = await session.exec(_CHILD_WITH_RUN, params={"chat_id": chat_id})
    row = result.first()
    return (row[0], row[1]) if row else (None, None)


async def active_run(session: AsyncSession, child: YoungPerson) -> ConversationRun | None:
    result = await session.exec(
        select(ConversationRun)
        .where(ConversationRun.young_person_id == child.id, ConversationRun.status == "active")
        .order_by(col(ConversationRun.id).desc())
    )
    return result.first()


async def find_or_create_child(
    session: AsyncSession, *, chat_id: int
) -> tuple[YoungPerson, ConversationRun | None]:
    """The child behind a chat (created on first contact) and their active run, if any."""
    child, run = await child_with_run(session, chat_id=chat_id)
    if child is not None:
        if child.unreachable_at is not None:  # they came back: proactive messages can go again
            child.unreachable_at = None
        return child, run
    # Anything already pending is written outside the savepoint, so its own conflicts are never
    # mistaken for a simultaneous creation of this child.
    await session.flush()
    child = YoungPerson(telegram_chat_id=chat_id)
    try:
        async with session.begin_nested():
            session.add(child)
            await session.flush()
    except IntegrityError:  # created by a simultaneous update from the same chat
        found, run = await child_with_run(session, chat_id=chat_id)
        assert found is not None
        return found, run
    session.add(Preferences(young_person_id=child.id))
    return child, None


async def preferences_of(session: AsyncSession, child: YoungPerson) -> Preferences:
    prefs = await session.get(Preferences, child.id)
    if prefs is None:
        prefs = Preferences(young_person_id=child.id)
        session.add(prefs)
    return prefs


async def trusted_contacts(session: AsyncSession, child: YoungPerson) -> list[TrustedContact]:
    result = await session.exec(
        select(TrustedContact)
        .where(TrustedContact.young_person_id == child.id)
        .order_by(col(TrustedContact.id))
    )
    return list(result.all())
