""" "You said, we did": an admin's reply to what children said, who gets it and when, and how
they reacted.

A reply is written now and goes out at `send_at`. Its audience is resolved then, not before
(`queue_due_replies`, a periodic job; at once when `send_at` has passed): each child's contact
rules are read at that moment, so a child who changed their quiet time in between is respected,
and cancelling before then leaves nothing to take back. "The children whose feedback it answers"
means feedback given before the reply was written: the feedback the admin was answering.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.audit import record
from core.contact import first_allowed_moment
from core.content import Library, Question
from core.models import (
    Answer,
    OutboxMessage,
    Preferences,
    Reply,
    ReplyRecipient,
    ReplyText,
    YoungPerson,
    utcnow,
)
from core.outbox import KINDS

STATUSES = ("done", "in_progress", "cannot")
AUDIENCES = ("feedback", "group")
REACTIONS = ("thanks", "not_really", "more")
MAX_AHEAD = timedelta(days=366)
# How many ids go into one IN (...): well inside every backend's limit on parameters.
CHUNK = 1000


class ReplyError(Exception):
    """The reply cannot be made as asked; the message says why, for a person to read."""


class ReplyConflict(Exception):
    """The reply is not in a state that allows this (already cancelled, already sent)."""


@dataclass(frozen=True)
class Outcome:
    """An outcome statement: a question of an outcome conversation that has a statement."""

    id: str
    conversation_id: str
    question: Question
    area: str


def outcomes(library: Library) -> dict[str, Outcome]:
    """Every outcome statement, by id: the question id, or `conversation.question` if two
    conversations share a question id."""
    found = [
        (conversation.id, question, conversation.area_of(question))
        for conversation in library.conversations.values()
        if conversation.kind == "feedback"
        for question in conversation.questions
        if question.statement
    ]
    counts: dict[str, int] = {}
    for _, question, _ in found:
        counts[question.id] = counts.get(question.id, 0) + 1
    result: dict[str, Outcome] = {}
    for conversation_id, question, area in found:
        if area is None:
            continue
        key = question.id if counts[question.id] == 1 else f"{conversation_id}.{question.id}"
        result[key] = Outcome(key, conversation_id, question, area)
    return result


@dataclass(frozen=True)
class Text:
    body: str
    why: str | None = None


@dataclass(frozen=True)
class Draft:
    """A reply as an admin writes it, before it is checked."""

    status: str
    texts: dict[str, Text]
    answer_ids: list[int] = field(default_factory=list)
    questions: list[tuple[str, str]] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    audience: str = "feedback"
    child_ids: list[int] = field(default_factory=list)
    send_at: datetime | None = None


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _listed(values: Sequence[object]) -> str:
    shown = ", ".join(str(v) for v in values[:10])
    return shown + (f" and {len(values) - 10} more" if len(values) > 10 else "")


async def _missing(session: AsyncSession, column: ColumnElement[int], ids: list[int]) -> list[int]:
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update((await session.exec(select(column).where(column.in_(chunk)))).all())
    return [i for i in ids if i not in found]


def _check_words(draft: Draft, locales: list[str]) -> None:
    if draft.status not in STATUSES:
        raise ReplyError(f"status must be one of {', '.join(STATUSES)}")
    if not draft.texts:
        raise ReplyError("Write the reply in at least one language")
    unknown = [code for code in draft.texts if code not in locales]
    if unknown:
        raise ReplyError(
            f"No such language here: {_listed(unknown)}. Use one of {', '.join(locales)}"
        )
    for code, text in draft.texts.items():
        if not text.body.strip():
            raise ReplyError(f"The reply in '{code}' is empty")
        if draft.status == "cannot" and not (text.why or "").strip():
            raise ReplyError(
                f"Say why it cannot be done (in '{code}' too): children deserve the reason"
            )


async def _check_links(session: AsyncSession, draft: Draft, library: Library) -> None:
    if not (draft.answer_ids or draft.questions or draft.outcomes):
        raise ReplyError(
            "Link the reply to the feedback it answers: answer_ids, questions or outcomes"
        )
    missing = await _missing(session, col(Answer.id), sorted(set(draft.answer_ids)))
    if missing:
        raise ReplyError(f"No answers with these ids: {_listed(missing)}")
    for conversation_id, question_id in draft.questions:
        conversation = library.get(conversation_id)
        if conversation is None:
            raise ReplyError(f"No conversation '{conversation_id}'")
        if conversation.question(question_id) is None:
            raise ReplyError(f"No question '{question_id}' in '{conversation_id}'")
    known = outcomes(library)
    unknown = [o for o in draft.outcomes if o not in known]
    if unknown:
        raise ReplyError(
            f"No outcome statements with these ids: {_listed(unknown)} "
            "(GET /replies/outcomes lists them)"
        )


async def _check_audience(session: AsyncSession, draft: Draft) -> None:
    if draft.audience not in AUDIENCES:
        raise ReplyError(f"audience must be one of {', '.join(AUDIENCES)}")
    if draft.audience == "feedback" and draft.child_ids:
        raise ReplyError("child_ids are for audience 'group'; leave them out for 'feedback'")
    if draft.audience == "group":
        if not draft.child_ids:
            raise ReplyError("Choose the children for a group: child_ids")
        missing = await _missing(session, col(YoungPerson.id), sorted(set(draft.child_ids)))
        if missing:
            raise ReplyError(f"No children with these ids: {_listed(missing)}")


def _send_at(wanted: datetime | None, now: datetime) -> datetime:
    """When it goes out: now if not given or past; never more than a year ahead."""
    if wanted is None:
        return now
    try:
        moment = wanted.astimezone(UTC)
    except OverflowError:
        raise ReplyError("send_at is not a time we can use") from None
    if moment > now + MAX_AHEAD:
        raise ReplyError("send_at can be at most a year from now")
    return max(moment, now)


async def create_reply(
    session: AsyncSession,
    *,
    draft: Draft,
    library: Library,
    locales: list[str],
    timezone: str,
    staff_id: int | None,
    now: datetime | None = None,
) -> Reply:
    """Check the draft, store it, and queue it at once if its time has come. Not committed."""
    now = now or utcnow()
    send_at = _send_at(draft.send_at, now)
    _check_words(draft, locales)
    await _check_links(session, draft, library)
    await _check_audience(session, draft)
    reply = Reply(
        created_by=staff_id,
        status=draft.status,
        links={
            "answer_ids": sorted(set(draft.answer_ids)),
            "questions": [list(pair) for pair in dict.fromkeys(draft.questions)],
            "outcomes": list(dict.fromkeys(draft.outcomes)),
        },
        audience=draft.audience,
        child_ids=sorted(set(draft.child_ids)),
        send_at=send_at,
        created_at=now,
    )
    if draft.audience == "feedback" and not await resolve_audience(session, reply, library):
        raise ReplyError("Nobody has given this feedback yet, so nobody would get this reply")
    session.add(reply)
    await session.flush()
    assert reply.id is not None
    for code, text in draft.texts.items():
        why = (text.why or "").strip() or None
        session.add(ReplyText(reply_id=reply.id, locale=code, body=text.body.strip(), why=why))
    record(
        session,
        staff_id=staff_id,
        action="reply.create",
        subject=f"reply:{reply.id}",
        detail={
            "status": reply.status,
            "audience": reply.audience,
            "links": reply.links,
            "languages": sorted(draft.texts),
            "send_at": reply.send_at.isoformat(),
        },
    )
    if reply.send_at <= now:
        await queue_reply(session, reply=reply, library=library, timezone=timezone, now=now)
    return reply


# -- the audience ------------------------------------------------------------------------------


def linked_questions(reply: Reply, library: Library) -> list[tuple[str, str]]:
    """(conversation, question) pairs a reply answers: those named, and its outcome statements."""
    links = reply.links or {}
    known = outcomes(library)
    pairs = [(str(pair[0]), str(pair[1])) for pair in links.get("questions", [])]
    pairs += [
        (known[o].conversation_id, known[o].question.id)
        for o in links.get("outcomes", [])
        if o in known
    ]
    return pairs


def _feedback_condition(reply: Reply, library: Library) -> ColumnElement[bool] | None:
    links = reply.links or {}
    pairs = linked_questions(reply, library)
    conditions: list[ColumnElement[bool]] = [
        and_(
            col(Answer.conversation_id) == conversation_id,
            col(Answer.question_id) == question_id,
            col(Answer.status) == "answered",
        )
        for conversation_id, question_id in dict.fromkeys(pairs)
    ]
    answer_ids = links.get("answer_ids", [])
    if answer_ids:
        conditions.append(col(Answer.id).in_(answer_ids))
    return or_(*conditions) if conditions else None


async def resolve_audience(session: AsyncSession, reply: Reply, library: Library) -> list[int]:
    """The children this reply goes to, by id: the chosen group, or everyone who gave the
    feedback it links to (an answer to a linked question or outcome, or a linked answer)
    before the reply was written."""
    if reply.audience == "group":
        # Only children still here: an erased child leaves their groups (core.data_rights).
        chosen = sorted(set(reply.child_ids))
        gone = set(await _missing(session, col(YoungPerson.id), chosen))
        return [child_id for child_id in chosen if child_id not in gone]
    condition = _feedback_condition(reply, library)
    if condition is None:
        return []
    query = (
        select(Answer.young_person_id)
        .where(condition, col(Answer.answered_at) <= reply.created_at)
        .distinct()
    )
    return sorted((await session.exec(query)).all())


# The contact rules that decide when a message may go; children share a handful of shapes.
Rules = tuple[Any, Any, tuple[int, ...], tuple[tuple[int, ...], ...]]
_RULES = (
    col(Preferences.quiet_start),
    col(Preferences.quiet_end),
    col(Preferences.preferred_days),
    col(Preferences.preferred_hours),
)


def _rules(prefs: Preferences) -> Rules:
    return (
        prefs.quiet_start,
        prefs.quiet_end,
        tuple(prefs.preferred_days or ()),
        tuple(tuple(pair) for pair in prefs.preferred_hours or ()),
    )


async def _rules_by_child(session: AsyncSession, child_ids: list[int]) -> dict[int, Rules]:
    found: dict[int, Rules] = {}
    for chunk in _chunks(child_ids):
        query = select(col(Preferences.young_person_id), *_RULES).where(
            col(Preferences.young_person_id).in_(chunk)
        )
        for child_id, start, end, days, hours in (await session.exec(query)).all():
            found[child_id] = (start, end, tuple(days or ()), tuple(tuple(h) for h in hours or ()))
    return found


def _first_moment(rules: Rules, after: datetime, timezone: str) -> datetime:
    start, end, days, hours = rules
    prefs = Preferences(young_person_id=0)
    prefs.quiet_start, prefs.quiet_end = start, end
    prefs.preferred_days, prefs.preferred_hours = list(days), [list(h) for h in hours]
    return first_allowed_moment(prefs, after, timezone=timezone)


async def queue_reply(
    session: AsyncSession, *, reply: Reply, library: Library, timezone: str, now: datetime
) -> int | None:
    """Resolve the audience and put one outbox message per child in the outbox, each due at
    the child's first allowed moment, in the caller's transaction (with the recipients).
    None if someone else queued or cancelled it first.

    The rows go in with bulk INSERTs, the same rows `core.outbox.enqueue` makes: building one
    ORM object per child cost about 2.5 ms each here (25 s for 10,000 children)."""
    claimed = await session.exec(
        update(Reply)  # type: ignore[call-overload]
        .where(col(Reply.id) == reply.id, col(Reply.state) == "scheduled")
        .values(state="queued", queued_at=now)
    )
    if claimed.rowcount != 1:
        return None
    await session.refresh(reply)
    assert reply.id is not None and "reply" in KINDS
    child_ids = await resolve_audience(session, reply, library)
    rules = await _rules_by_child(session, child_ids)
    default = _rules(Preferences(young_person_id=0))
    after = max(reply.send_at, now)
    moments: dict[Rules, datetime] = {}
    # Every column as a new outbox row has it (status pending, no attempts...), built once.
    template = OutboxMessage(young_person_id=0, kind="reply", due_at=now, created_at=now)
    base = {
        c.name: getattr(template, c.name) for c in OutboxMessage.__table__.columns if c.name != "id"
    }
    rows = []
    for child_id in child_ids:
        shape = rules.get(child_id, default)
        if shape not in moments:
            moments[shape] = _first_moment(shape, after, timezone)
        rows.append(
            base
            | {
                "young_person_id": child_id,
                "payload": {"reply_id": reply.id},
                "due_at": moments[shape],
            }
        )
    for start in range(0, len(rows), CHUNK):
        added = await session.exec(
            insert(OutboxMessage).returning(  # type: ignore[call-overload]
                col(OutboxMessage.id), col(OutboxMessage.young_person_id)
            ),
            params=rows[start : start + CHUNK],
        )
        recipients = [
            {"reply_id": reply.id, "young_person_id": child_id, "outbox_id": outbox_id}
            for outbox_id, child_id in added.all()
        ]
        await session.exec(insert(ReplyRecipient), params=recipients)  # type: ignore[call-overload]
    record(
        session,
        staff_id=None,
        action="reply.queue",
        subject=f"reply:{reply.id}",
        detail={"recipients": len(rows)},
    )
    await session.flush()
    return len(rows)


async def queue_due_replies(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    library: Library,
    timezone: str,
    now: datetime | None = None,
    batch: int = 20,
) -> int:
    """The periodic job: every reply whose time has come, one transaction each. Safe to run in
    several processes: a reply is claimed with a conditional UPDATE, so it is queued once."""
    now = now or utcnow()
    queued = 0
    async with sessionmaker() as session:
        due = await session.exec(
            select(Reply.id)
            .where(col(Reply.state) == "scheduled", col(Reply.send_at) <= now)
            .order_by(col(Reply.send_at))
            .limit(batch)
        )
        reply_ids = list(due.all())
    for reply_id in reply_ids:
        async with sessionmaker() as session:
            reply = await session.get(Reply, reply_id)
            if reply is None:
                continue
            if (
                await queue_reply(session, reply=reply, library=library, timezone=timezone, now=now)
                is not None
            ):
                queued += 1
            await session.commit()
    return queued


# -- cancelling --------------------------------------------------------------------------------


async def cancel_reply(
    session: AsyncSession, *, reply: Reply, staff_id: int | None, now: datetime | None = None
) -> int:
    """Stop a reply: nothing more of it goes out (messages already sent stay sent). Returns
    how many waiting messages were cancelled. Not committed."""
    now = now or utcnow()
    if reply.state == "cancelled":
        raise ReplyConflict("This reply is already cancelled")
    waiting = await _waiting_outbox_ids(session, reply)
    if reply.state == "queued" and not waiting:
        raise ReplyConflict("This reply has already gone to every child; nothing is left to stop")
    stopped = await session.exec(
        update(Reply)  # type: ignore[call-overload]
        .where(col(Reply.id) == reply.id, col(Reply.state).in_(("scheduled", "queued")))
        .values(state="cancelled", cancelled_at=now)
    )
    if stopped.rowcount != 1:
        raise ReplyConflict("This reply changed just now; look at it again")
    await session.refresh(reply)
    cancelled = 0
    for chunk in _chunks(await _waiting_outbox_ids(session, reply)):
        result = await session.exec(
            update(OutboxMessage)  # type: ignore[call-overload]
            .where(col(OutboxMessage.id).in_(chunk), col(OutboxMessage.status) == "pending")
            .values(status="cancelled")
        )
        cancelled += result.rowcount
    record(
        session,
        staff_id=staff_id,
        action="reply.cancel",
        subject=f"reply:{reply.id}",
        detail={"messages_cancelled": cancelled},
    )
    return cancelled


async def _waiting_outbox_ids(session: AsyncSession, reply: Reply) -> list[int]:
    query = (
        select(OutboxMessage.id)
        .join(ReplyRecipient, col(ReplyRecipient.outbox_id) == col(OutboxMessage.id))
        .where(ReplyRecipient.reply_id == reply.id, col(OutboxMessage.status) == "pending")
    )
    return [i for i in (await session.exec(query)).all() if i is not None]


# -- what admins see ---------------------------------------------------------------------------


@dataclass
class Stats:
    recipients: int = 0
    sent: int = 0
    waiting: int = 0
    failed: int = 0
    reactions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REACTIONS, 0))


# Outbox statuses an admin reads as failed; `pending` and `sending` (in flight) are waiting.
_FAILED = ("dead", "cancelled")


async def stats(session: AsyncSession, reply_ids: list[int]) -> dict[int, Stats]:
    """Per reply: recipients, sent, waiting, failed (dead or cancelled) and reaction counts."""
    result = {reply_id: Stats() for reply_id in reply_ids}
    if not reply_ids:
        return result
    delivery = await session.exec(
        select(ReplyRecipient.reply_id, OutboxMessage.status, func.count())
        .join(OutboxMessage, col(OutboxMessage.id) == col(ReplyRecipient.outbox_id))
        .where(col(ReplyRecipient.reply_id).in_(reply_ids))
        .group_by(col(ReplyRecipient.reply_id), col(OutboxMessage.status))
    )
    for reply_id, status, count in delivery.all():
        item = result[reply_id]
        item.recipients += count
        if status in _FAILED:
            item.failed += count
        elif status == "sent":
            item.sent += count
        else:
            item.waiting += count
    reactions = await session.exec(
        select(ReplyRecipient.reply_id, ReplyRecipient.reaction, func.count())
        .where(
            col(ReplyRecipient.reply_id).in_(reply_ids), col(ReplyRecipient.reaction).is_not(None)
        )
        .group_by(col(ReplyRecipient.reply_id), col(ReplyRecipient.reaction))
    )
    for reply_id, reaction, count in reactions.all():
        if reaction in REACTIONS:
            result[reply_id].reactions[reaction] = count
    return result


# -- the words a child gets --------------------------------------------------------------------


def pick_text(texts: dict[str, ReplyText], locale: str, default_locale: str) -> ReplyText | None:
    """The child's language, else its base language (pt_BR -> pt), else the default language,
    else English, else any text given (the same one every time)."""
    for code in (locale, locale.split("_")[0], default_locale, "en"):
        if code in texts:
            return texts[code]
    return texts[min(texts)] if texts else None
