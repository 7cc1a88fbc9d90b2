"""Small jobs that keep the database tidy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.data_rights import erase_old_words
from core.models import ProcessedUpdate, utcnow

# Telegram gives up re-sending an update after 24 hours; two days leaves a margin.
KEEP_UPDATE_IDS = timedelta(days=2)


async def prune_processed_updates(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        result = await session.exec(
            delete(ProcessedUpdate).where(
                col(ProcessedUpdate.received_at) < utcnow() - KEEP_UPDATE_IDS
            )
        )
        await session.commit()
        return result.rowcount or 0


async def erase_old_free_text(
    sessionmaker: async_sessionmaker[AsyncSession], *, months: int
) -> int:
    """Retention: typed words and voice notes older than `months` go; scores stay."""
    async with sessionmaker() as session:
        erased = await erase_old_words(session, months=months)
        await session.commit()
        return erased
