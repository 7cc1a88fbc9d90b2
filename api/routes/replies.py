""" "You said, we did" (admins only): replies to what children said, their audience, delivery
and reactions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.access import AdminDep
from api.deps import RuntimeDep, SessionDep
from api.schemas import MAX_ID, Body, Id, IsoOnly, Limit, Offset, problems
from core import replies, web_chat
from core.audit import record
from core.models import OutboxMessage, Reply, ReplyRecipient, ReplyText, YoungPerson

router = APIRouter(prefix="/replies", tags=["you said, we did"])

Status = Literal["done", "in_progress", "cannot"]
Audience = Literal["feedback", "group"]
Reaction = Literal["thanks", "not_really", "more"]
ContentId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=24)]
OutcomeId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]*$", max_length=49)]
Locale = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$", max_length=12)]
ChildId = Annotated[int, Field(ge=1, le=MAX_ID)]
# Words with at least one letter or sign in them; spaces around them are trimmed. U+0085 is
# named beside \s because the schema's (ECMA) \s does not count it as a space and ours does.
Words = Annotated[str, StringConstraints(pattern=r"[^\s\x85]")]


class QuestionLink(Body):
    conversation_id: ContentId = Field(examples=["how_are_we_doing"])
    question_id: ContentId = Field(examples=["listened"])


class Links(Body):
    """What the reply answers: one or more of answers, questions, outcome statements."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    answer_ids: list[ChildId] = Field(
        default=None,  # type: ignore[assignment]
        min_length=1,
        max_length=1000,
        description="Answers (ids from GET /answers): their children",
        examples=[[12, 40]],
    )
    questions: list[QuestionLink] = Field(
        default=None,  # type: ignore[assignment]
        min_length=1,
        max_length=100,
        description="Questions: every child who answered them",
    )
    outcomes: list[OutcomeId] = Field(
        default=None,  # type: ignore[assignment]
        min_length=1,
        max_length=50,
        description="Outcome statements (ids from GET /replies/outcomes): every child who "
        "answered them",
        examples=[["listened", "say"]],
    )

    @model_validator(mode="after")
    def _something(self) -> Links:
        if not self.model_fields_set:
            raise ValueError("link at least one of answer_ids, questions, outcomes")
        return self


class TextIn(Body):
    locale: Locale = Field(examples=["en"])
    body: Words = Field(max_length=2000, examples=["Workers now call back within a day."])
    why: Words | None = Field(default=None, max_length=1000, examples=[None])


class TextWithWhy(TextIn):
    why: Words = Field(  # type: ignore[assignment]
        max_length=1000, examples=["There is no money for more staff this year."]
    )


class _NewReply(Body):
    links: Links
    child_ids: list[ChildId] = Field(
        default=None,  # type: ignore[assignment]
        min_length=1,
        max_length=5000,
        description="A chosen group. Leave out to reach the children whose feedback it answers "
        "(the feedback given before the reply is written).",
        examples=[[3, 8]],
    )
    send_at: Annotated[AwareDatetime, IsoOnly] | None = Field(
        default=None,
        description="When it goes out (with a time zone), at most a year ahead; now if left out "
        "or in the past. Each child gets it at the first moment their contact rules allow.",
        examples=["2026-12-02T16:00:00Z"],
    )


TEXTS = (
    "The reply per language, one text each. A child gets their language, else the default "
    "language (SAYSO_DEFAULT_LOCALE), else English, else any text given."
)


class DoneReply(_NewReply):
    status: Literal["done", "in_progress"] = Field(examples=["done"])
    texts: list[TextIn] = Field(min_length=1, max_length=20, description=TEXTS)


class CannotReply(_NewReply):
    """We can't: be honest and say why, in every language."""

    status: Literal["cannot"]
    texts: list[TextWithWhy] = Field(min_length=1, max_length=20, description=TEXTS)


ReplyIn = Annotated[DoneReply | CannotReply, Field(discriminator="status")]


class TextOut(BaseModel):
    locale: str
    body: str
    why: str | None


class LinksOut(BaseModel):
    answer_ids: list[int]
    questions: list[QuestionLink]
    outcomes: list[str]


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
    links: LinksOut
    audience: Audience = Field(
        description="feedback: the children whose feedback it answers; group: child_ids"
    )
    child_ids: list[int]
    texts: list[TextOut]
    send_at: datetime
    created_by: int | None
    created_at: datetime
    queued_at: datetime | None
    cancelled_at: datetime | None
    delivery: Delivery


class RecipientOut(BaseModel):
    child_id: int
    delivery: Literal["waiting", "unread", "sent", "failed"] = Field(
        description="unread: waiting in a web-chat child's chat, which they have not opened yet"
    )
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


def _links(reply: Reply) -> LinksOut:
    links = reply.links or {}
    return LinksOut(
        answer_ids=links.get("answer_ids", []),
        questions=[
            QuestionLink(conversation_id=c, question_id=q) for c, q in links.get("questions", [])
        ],
        outcomes=links.get("outcomes", []),
    )


async def _out(session: AsyncSession, found: list[Reply]) -> list[ReplyOut]:
    ids = [r.id for r in found if r.id is not None]
    figures = await replies.stats(session, ids)
    texts: dict[int, list[TextOut]] = {i: [] for i in ids}
    if ids:
        query = select(ReplyText).where(col(ReplyText.reply_id).in_(ids))
        for row in (await session.exec(query.order_by(col(ReplyText.locale)))).all():
            texts[row.reply_id].append(TextOut(locale=row.locale, body=row.body, why=row.why))
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


@router.post("", status_code=201, responses=problems(401, 403, 409))
async def create_reply(
    body: ReplyIn, caller: AdminDep, session: SessionDep, runtime: RuntimeDep
) -> ReplyOut:
    """Write a reply. Who gets it is worked out when it goes out (at `send_at`, or at once if
    that has passed): the chosen group, or every child who gave the linked feedback before
    now. Each child gets it at the first moment their quiet time, best days and best times
    allow. "cannot" needs a `why` in every text (422 without). 409 when a link points at
    nothing, nobody gave that feedback, a language is not offered here or given twice, or
    `send_at` is more than a year ahead."""
    services = runtime.services
    locales = [t.locale for t in body.texts]
    twice = sorted({code for code in locales if locales.count(code) > 1})
    if twice:
        raise HTTPException(409, f"One text per language: {', '.join(twice)} is given twice")
    links = body.links
    draft = replies.Draft(
        status=body.status,
        texts={t.locale: replies.Text(t.body, t.why) for t in body.texts},
        answer_ids=links.answer_ids or [],
        questions=[(q.conversation_id, q.question_id) for q in links.questions or []],
        outcomes=links.outcomes or [],
        audience="group" if body.child_ids else "feedback",
        child_ids=body.child_ids or [],
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
        raise HTTPException(409, str(error)) from None
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
        select(ReplyRecipient, OutboxMessage, YoungPerson)
        .join(OutboxMessage, col(OutboxMessage.id) == col(ReplyRecipient.outbox_id), isouter=True)
        .join(YoungPerson, col(YoungPerson.id) == col(ReplyRecipient.young_person_id))
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
            delivery=_delivery(message, child),
            due_at=message.due_at if message else None,
            sent_at=message.sent_at if message else None,
            reaction=recipient.reaction,  # type: ignore[arg-type]
            reacted_at=recipient.reacted_at,
        )
        for recipient, message, child in rows
    ]


def _delivery(
    message: OutboxMessage | None, child: YoungPerson
) -> Literal["waiting", "unread", "sent", "failed"]:
    if message is None or message.status in ("dead", "cancelled"):
        return "failed"
    if message.status == "sent":
        return "sent"
    return "unread" if web_chat.unread(child, message) else "waiting"


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
