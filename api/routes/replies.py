""" "You said, we did" (admins only): replies to what children said, their audience, delivery
and reactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.access import AdminDep
from api.deps import RuntimeDep, SessionDep
from api.schemas import MAX_ID, Body, Id, Limit, Offset, problems
from core import replies
from core.audit import record
from core.models import OutboxMessage, Reply, ReplyRecipient, ReplyText, utcnow

router = APIRouter(prefix="/replies", tags=["you said, we did"])

Status = Literal["done", "in_progress", "cannot"]
Audience = Literal["feedback", "group"]
Reaction = Literal["thanks", "not_really", "more"]
ContentId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=24)]
OutcomeId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]*$", max_length=49)]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$", max_length=12)]
ChildId = Annotated[int, Field(ge=1, le=MAX_ID)]
MAX_AHEAD = timedelta(days=366)


class QuestionLink(Body):
    conversation_id: ContentId = Field(examples=["how_are_we_doing"])
    question_id: ContentId = Field(examples=["listened"])


class Links(Body):
    """What the reply answers: at least one answer, question or outcome statement."""

    answer_ids: list[ChildId] = Field(default_factory=list, max_length=1000, examples=[[12, 40]])
    questions: list[QuestionLink] = Field(default_factory=list, max_length=100)
    outcomes: list[OutcomeId] = Field(
        default_factory=list, max_length=50, examples=[["listened", "say"]]
    )


class TextIn(Body):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    body: str = Field(
        min_length=1, max_length=2000, examples=["Workers now call back within a day."]
    )
    why: str | None = Field(default=None, max_length=1000, examples=[None])


class ReplyIn(Body):
    status: Status = Field(
        description="done, in_progress, or cannot (then every text must say why)",
        examples=["done"],
    )
    links: Links
    texts: dict[Locale, TextIn] = Field(
        min_length=1,
        max_length=20,
        description="The reply per language. A child gets their language, else the default "
        "language (SAYSO_DEFAULT_LOCALE), else English, else any text given.",
        examples=[{"en": {"body": "Workers now call back within a day."}}],
    )
    audience: Audience = Field(
        default="feedback",
        description="feedback: the children whose feedback it answers (given before the reply "
        "is written); group: the children in child_ids",
    )
    child_ids: list[ChildId] = Field(default_factory=list, max_length=5000, examples=[[]])
    send_at: AwareDatetime | None = Field(
        default=None,
        description="When it goes out (with a time zone); now if left out or in the past. Each "
        "child gets it at the first moment their contact rules allow from then.",
        examples=["2026-12-02T16:00:00Z"],
    )

    @field_validator("send_at")
    @classmethod
    def _real_time(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            moment = value.astimezone(UTC)
        except OverflowError:
            raise ValueError("send_at is out of range") from None
        if moment > utcnow() + MAX_AHEAD:
            raise ValueError("send_at can be at most a year from now")
        return moment


class TextOut(BaseModel):
    body: str
    why: str | None


class Delivery(BaseModel):
    recipients: int = Field(description="Children it goes to (resolved when it goes out)")
    sent: int = Field(description="Delivered to Telegram")
    waiting: int = Field(description="Not yet sent: waiting for the child's allowed time")
    failed: int = Field(description="Given up (dead-lettered) or cancelled")
    reactions: dict[Reaction, int]


class ReplyOut(BaseModel):
    id: int
    status: Status
    state: Literal["scheduled", "queued", "cancelled"] = Field(
        description="scheduled: waiting for send_at; queued: in the outbox; cancelled"
    )
    links: Links
    audience: Audience
    child_ids: list[int]
    texts: dict[str, TextOut]
    send_at: datetime
    created_by: int | None
    created_at: datetime
    queued_at: datetime | None
    cancelled_at: datetime | None
    delivery: Delivery


class RecipientOut(BaseModel):
    child_id: int
    delivery: Literal["waiting", "sent", "failed"]
    due_at: datetime | None
    sent_at: datetime | None
    reaction: Reaction | None
    reacted_at: datetime | None


class OutcomeOut(BaseModel):
    id: str = Field(examples=["listened"])
    area: Literal["practice", "change", "quality_of_life"]
    conversation_id: str
    question_id: str
    statement: str = Field(examples=["I am listened to and respected"])
    label: str = Field(description="How children read it (English)", examples=["Being listened to"])


class Cancelled(BaseModel):
    reply: ReplyOut
    messages_cancelled: int


def _links(reply: Reply) -> Links:
    links = reply.links or {}
    return Links(
        answer_ids=links.get("answer_ids", []),
        questions=[
            QuestionLink(conversation_id=c, question_id=q) for c, q in links.get("questions", [])
        ],
        outcomes=links.get("outcomes", []),
    )


async def _out(session: AsyncSession, found: list[Reply]) -> list[ReplyOut]:
    ids = [r.id for r in found if r.id is not None]
    figures = await replies.stats(session, ids)
    texts: dict[int, dict[str, TextOut]] = {i: {} for i in ids}
    if ids:
        rows = await session.exec(select(ReplyText).where(col(ReplyText.reply_id).in_(ids)))
        for row in rows.all():
            texts[row.reply_id][row.locale] = TextOut(body=row.body, why=row.why)
    result = []
    for reply in found:
        assert reply.id is not None
        figure = figures[reply.id]
        result.append(
            ReplyOut(
                id=reply.id,
                status=reply.status,  # type: ignore[arg-type]
                state=reply.state,  # type: ignore[arg-type]
                links=_links(reply),
                audience=reply.audience,  # type: ignore[arg-type]
                child_ids=reply.child_ids or [],
                texts=texts[reply.id],
                send_at=reply.send_at,
                created_by=reply.created_by,
                created_at=reply.created_at,
                queued_at=reply.queued_at,
                cancelled_at=reply.cancelled_at,
                delivery=Delivery(
                    recipients=figure.recipients,
                    sent=figure.sent,
                    waiting=figure.waiting,
                    failed=figure.failed,
                    reactions=figure.reactions,  # type: ignore[arg-type]
                ),
            )
        )
    return result


async def _reply(session: AsyncSession, reply_id: int) -> Reply:
    reply = await session.get(Reply, reply_id)
    if reply is None:
        raise HTTPException(404, "No such reply")
    return reply


@router.get("/outcomes", responses=problems(401, 403))
async def list_outcomes(caller: AdminDep, runtime: RuntimeDep) -> list[OutcomeOut]:
    """The outcome statements a reply can answer (`links.outcomes` takes their ids)."""
    return [
        OutcomeOut(
            id=o.id,
            area=o.area,  # type: ignore[arg-type]
            conversation_id=o.conversation_id,
            question_id=o.question.id,
            statement=o.question.statement or "",
            label=o.question.label or o.question.text,
        )
        for o in replies.outcomes(runtime.services.library).values()
    ]


@router.post("", status_code=201, responses=problems(400, 401, 403))
async def create_reply(
    body: ReplyIn, caller: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> ReplyOut:
    """Write a reply. Who gets it is worked out when it goes out (at `send_at`, or at once if
    that has passed): the chosen group, or every child who gave the linked feedback before
    now. Each child gets it at the first moment their quiet time, best days and best times
    allow. 400 when a link points at nothing, nobody gave that feedback, a language is not
    offered here, or "cannot" comes without a why."""
    services = runtime.services
    draft = replies.Draft(
        status=body.status,
        texts={code: replies.Text(t.body, t.why) for code, t in body.texts.items()},
        answer_ids=body.links.answer_ids,
        questions=[(q.conversation_id, q.question_id) for q in body.links.questions],
        outcomes=body.links.outcomes,
        audience=body.audience,
        child_ids=body.child_ids,
        send_at=body.send_at,
    )
    try:
        reply = await replies.create_reply(
            session,
            draft=draft,
            library=services.library,
            locales=services.locales,
            timezone=services.settings.timezone,
            staff_id=caller.id,
        )
    except replies.ReplyError as error:
        raise HTTPException(400, str(error)) from None
    await session.commit()
    return (await _out(session, [reply]))[0]


@router.get("", responses=problems(401, 403))
async def list_replies(
    caller: AdminDep,
    session: SessionDep,
    state: Literal["scheduled", "queued", "cancelled"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[ReplyOut]:
    """Newest first, each with its delivery figures and reactions."""
    query = select(Reply).order_by(col(Reply.id).desc())
    if state is not None:
        query = query.where(Reply.state == state)
    found = list((await session.exec(query.offset(offset).limit(limit))).all())
    return await _out(session, found)


@router.get("/{reply_id}", responses=problems(401, 403, 404))
async def get_reply(reply_id: Id, caller: AdminDep, session: SessionDep) -> ReplyOut:
    return (await _out(session, [await _reply(session, reply_id)]))[0]


@router.get("/{reply_id}/recipients", responses=problems(401, 403, 404))
async def list_recipients(
    reply_id: Id,
    caller: AdminDep,
    session: SessionDep,
    reaction: Reaction | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> list[RecipientOut]:
    """Who it went to, whether it reached them, and how they reacted. Recorded in the audit
    log: it shows which children gave that feedback."""
    await _reply(session, reply_id)
    query = (
        select(ReplyRecipient, OutboxMessage)
        .join(OutboxMessage, col(OutboxMessage.id) == col(ReplyRecipient.outbox_id), isouter=True)
        .where(ReplyRecipient.reply_id == reply_id)
        .order_by(col(ReplyRecipient.young_person_id))
    )
    if reaction is not None:
        query = query.where(ReplyRecipient.reaction == reaction)
    rows = (await session.exec(query.offset(offset).limit(limit))).all()
    record(
        session,
        staff_id=caller.id,
        action="reply.recipients.read",
        subject=f"reply:{reply_id}",
        detail={"count": len(rows)},
    )
    await session.commit()
    return [
        RecipientOut(
            child_id=recipient.young_person_id,
            delivery=_delivery(message),
            due_at=message.due_at if message else None,
            sent_at=message.sent_at if message else None,
            reaction=recipient.reaction,  # type: ignore[arg-type]
            reacted_at=recipient.reacted_at,
        )
        for recipient, message in rows
    ]


def _delivery(message: OutboxMessage | None) -> Literal["waiting", "sent", "failed"]:
    if message is None or message.status in ("dead", "cancelled"):
        return "failed"
    return "sent" if message.status == "sent" else "waiting"


@router.post("/{reply_id}/cancel", responses=problems(401, 403, 404, 409))
async def cancel_reply(reply_id: Id, caller: AdminDep, session: SessionDep) -> Cancelled:
    """Stop a reply that has not gone out yet, or stop what has not yet been sent of it
    (messages already sent stay sent). 409 if it is already cancelled or fully sent."""
    reply = await _reply(session, reply_id)
    try:
        count = await replies.cancel_reply(session, reply=reply, staff_id=caller.id)
    except replies.ReplyConflict as error:
        raise HTTPException(409, str(error)) from None
    await session.commit()
    return Cancelled(reply=(await _out(session, [reply]))[0], messages_cancelled=count)
