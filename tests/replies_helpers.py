"""Helpers for "you said, we did" tests: children with answers, rendering what they get."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from api.runtime import Runtime
from core.i18n import pick_locale
from core.models import Answer, ConversationRun, OutboxMessage, YoungPerson, utcnow
from core.proactive import Occasion, render
from core.render import Message


async def give_answer(
    runtime: Runtime,
    child_id: int,
    question_id: str,
    *,
    conversation_id: str = "how_are_we_doing",
    status: str = "answered",
    value: str | None = "bad",
    text: str | None = None,
    at: datetime | None = None,
) -> int:
    """An answer as the conversation stores it, in a run of its own; returns the answer id."""
    async with runtime.sessionmaker() as session:
        run = ConversationRun(
            young_person_id=child_id,
            conversation_id=conversation_id,
            content_version=1,
            locale="en",
            status="finished",
        )
        session.add(run)
        await session.flush()
        assert run.id is not None
        answer = Answer(
            run_id=run.id,
            young_person_id=child_id,
            conversation_id=conversation_id,
            question_id=question_id,
            content_version=1,
            locale="en",
            status=status,
            value=value if status == "answered" else None,
            text=text,
            answered_at=at or utcnow(),
        )
        session.add(answer)
        await session.commit()
        assert answer.id is not None
        return answer.id


async def outbox_of(runtime: Runtime, reply_id: int) -> list[OutboxMessage]:
    async with runtime.sessionmaker() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.kind) == "reply")
            .order_by(col(OutboxMessage.young_person_id))
        )
        return [m for m in rows.all() if m.payload.get("reply_id") == reply_id]


async def rendered(runtime: Runtime, message: OutboxMessage) -> list[Message] | None:
    """What the delivery worker would send for this outbox row, in the child's language now."""
    async with runtime.sessionmaker() as session:
        child = await session.get(YoungPerson, message.young_person_id)
        assert child is not None
        locale = pick_locale(child.locale, None, runtime.services.locales)
        occasion = Occasion(
            services=runtime.services,
            session=session,
            child=child,
            message=message,
            translator=runtime.services.translator(locale),
        )
        return await render(occasion)


def reply_body(**fields: Any) -> dict[str, Any]:
    """A reply body; `texts` may be given as {locale: {"body": ..., "why": ...}}."""
    body: dict[str, Any] = {
        "status": "done",
        "links": {"outcomes": ["listened"]},
        "texts": {"en": {"body": "Workers now call you back within a day."}},
    }
    body.update(fields)
    if isinstance(body["texts"], dict):
        body["texts"] = [{"locale": code, **text} for code, text in body["texts"].items()]
    return body
