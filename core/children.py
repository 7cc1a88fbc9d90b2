"""Finding children and their preferences; the only data we keep from Telegram is a chat id."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import Preferences, TrustedContact, YoungPerson


async def child_by_chat(session: AsyncSession, *, chat_id: int) -> YoungPerson | None:
    result = await session.exec(select(YoungPerson).where(YoungPerson.telegram_chat_id == chat_id))
    return result.first()


async def find_or_create_child(session: AsyncSession, *, chat_id: int) -> YoungPerson:
    child = await child_by_chat(session, chat_id=chat_id)
    if child is not None:
        return child
    # Anything already pending (such as the update's id) is written outside the savepoint, so
    # its own conflicts are not mistaken for a simultaneous creation of this child.
    await session.flush()
    child = YoungPerson(telegram_chat_id=chat_id)
    try:
        async with session.begin_nested():
            session.add(child)
            await session.flush()
    except IntegrityError:  # created by a simultaneous update from the same chat
        found = await child_by_chat(session, chat_id=chat_id)
        assert found is not None
        return found
    session.add(Preferences(young_person_id=child.id))
    return child


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
