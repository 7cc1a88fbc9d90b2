"""Small jobs that keep the database tidy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import ProcessedUpdate, utcnow

# Telegram gives up re-sending an update after 24 hours; two days leaves a margin.
KEEP_UPDATE_IDS = timedelta(days=2)


async def prune_processed_updates(session: AsyncSession) -> int:
    """In the caller's transaction (the job commits it, api.jobs)."""
    result = await session.exec(
        delete(ProcessedUpdate).where(col(ProcessedUpdate.received_at) < utcnow() - KEEP_UPDATE_IDS)
    )
    return result.rowcount or 0
