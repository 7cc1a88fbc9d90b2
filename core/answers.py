"""Storing what a child gives: answers (changed in place), comments and call-back requests."""

from __future__ import annotations

from datetime import timedelta

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
) -> Answer:
    """One row per question per run; typed words are added to what is there, never replace it."""
    question, given = record.question, record.given
    result = await session.exec(
        select(Answer).where(Answer.run_id == run.id, Answer.question_id == question.id)
    )
    answer = result.first()
    if answer is None:
        answer = Answer(
            run_id=run.id,
            young_person_id=run.young_person_id,
            conversation_id=conversation.id,
            question_id=question.id,
            area=conversation.area_of(question),
            content_version=conversation.version,
            locale=locale,
            status=given.status,
        )
        session.add(answer)
    answer.status, answer.locale, answer.value = given.status, locale, given.value
    answer.score = dict(SCALE).get(given.value or "") if question.type == "scale" else None
    if record.text:
        answer.text = f"{answer.text}\n{record.text}" if answer.text else record.text
    if record.voice_file_id:
        answer.voice_file_id = record.voice_file_id
    answer.confirmed, answer.updated_at = False, utcnow()
    return answer


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
