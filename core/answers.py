"""Storing what a child gives: answers (changed in place), comments and call-back requests."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from sqlalchemy import case, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.content import SCALE, Conversation
from core.engine import Record
from core.models import Answer, CallbackRequest, ConversationRun, utcnow


async def answers_of(session: AsyncSession, run: ConversationRun) -> list[Answer]:
    result = await session.exec(select(Answer).where(Answer.run_id == run.id))
    return list(result.all())


async def save_answer(
    session: AsyncSession,
    *,
    run: ConversationRun,
    conversation: Conversation,
    record: Record,
    locale: str,
) -> None:
    """One row per question per run, written in one statement (an upsert). A changed answer
    is changed in place; typed words are added to what is there, never replace it."""
    question, given, now = record.question, record.given, utcnow()
    values = {
        "run_id": run.id,
        "young_person_id": run.young_person_id,
        "conversation_id": conversation.id,
        "question_id": question.id,
        "area": conversation.area_of(question),
        "content_version": conversation.version,
        "locale": locale,
        "status": given.status,
        "value": given.value,
        "score": dict(SCALE).get(given.value or "") if question.type == "scale" else None,
        "text": record.text or None,
        "voice_file_id": record.voice_file_id,
        "confirmed": False,
        "answered_at": now,
        "updated_at": now,
    }
    await session.exec(_upsert(session.get_bind().dialect.name), params=values)


@cache
def _upsert(dialect: str) -> Any:
    """Built once per database (INSERT … ON CONFLICT is spelled the same on both, but lives per
    dialect): building it took longer than running it, and a reused statement keeps its own
    cache key. The values come as parameters."""
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(Answer.__table__)
    new, old = insert.excluded, Answer.__table__.c
    return insert.on_conflict_do_update(
        index_elements=["run_id", "question_id"],
        set_={
            "status": new.status,
            "locale": new.locale,
            "value": new.value,
            "score": new.score,
            "text": case(
                (old.text.is_(None), new.text),
                (new.text.is_(None), old.text),
                else_=old.text + "\n" + new.text,
            ),
            "voice_file_id": func.coalesce(new.voice_file_id, old.voice_file_id),
            "confirmed": False,
            "updated_at": new.updated_at,
        },
    )


async def confirm_answers(session: AsyncSession, run: ConversationRun) -> None:
    for answer in await answers_of(session, run):
        answer.confirmed = True


async def callback_request_of(
    session: AsyncSession, run: ConversationRun
) -> CallbackRequest | None:
    result = await session.exec(select(CallbackRequest).where(CallbackRequest.run_id == run.id))
    return result.first()


async def request_callback(session: AsyncSession, *, run: ConversationRun, hours: int) -> None:
    """At most one request per run, due `hours` from the first ask."""
    if await callback_request_of(session, run) is None:
        due = utcnow() + timedelta(hours=hours)
        session.add(CallbackRequest(young_person_id=run.young_person_id, run_id=run.id, due_at=due))
