"""When a child's words (or a low answer to a safety question) need a person.

At once: an alert row, and a fixed reply with help the child can use now. The alert is written
first, in a small transaction of its own committed before the rest of the turn (see
`write_alert_first`), so it goes out even when the turn then fails; the retry of that turn finds
it by its origin and raises no second one. Routine messages to the child wait until a worker
clears the alert.
Then, from a clock that does not depend on Telegram (`notify_due`): an email and a webhook
call, and escalation to the duty team every interval until someone acknowledges it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import notify
from core.audit import record
from core.children import find_or_create_child
from core.concerns import CARRY_ON, check_reply, raise_concern
from core.config import Settings
from core.content import SCALE
from core.helplines import HELP_NOW, helplines
from core.models import Alert, AlertStep, Concern, OutboxMessage, Staff, YoungPerson, utcnow
from core.proactive import respond_action, responds
from core.render import N_, Button, Message
from core.screening_triage import FAILED, Verdict

if TYPE_CHECKING:
    from core.chat import Chat
    from core.engine import Record

log = logging.getLogger(__name__)

Flag = Alert | Concern  # what screening raised: an alert (a person now) or a concern (check)

# Outbox kinds that wait while a child has an alert nobody has cleared. Anything else (a
# safety message) still goes.
ROUTINE_KINDS = ("check_in", "heads_up", "reminder", "reply", "change", "cancel")
LOW_SCORE = 2  # Bad (2) or Awful (1) on a safety question raises an alert
UNSAFE_ANSWER = "unsafe_answer"
CLAIM_SECONDS = 120  # a tick that dies mid-send lets another process try after this


# The fixed reply. One idea a message; no promise of secrecy; no questions back.
THANKS = N_("Thank you for telling me.")
DANGER = N_("🚨 If you or someone else is in danger now, call 999.")
TELL_WORKER = N_("I will tell {name}, your worker. They will get in touch with you.")
TELL_DUTY = N_("I will tell the duty team. Someone will get in touch with you.")
OUT_OF_HOURS = N_("It is out of office hours now. No one reads messages all the time.")
NOT_EMERGENCY = N_("This chat is not an emergency service. If you need help now, call 999.")
CARRY_ON_NOTE = N_("When you are ready, you can carry on.")


# -- the child's words on an alert: read and written here only (encryption at rest goes here) --


def set_words(alert: Alert, words: str | None) -> None:
    alert.message = words


def words_of(alert: Alert) -> str | None:
    return alert.message


# -- office hours ---------------------------------------------------------------------------------

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(
    r"^\s*(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d{1,2}(:\d\d)?)-(?P<end>\d{1,2}(:\d\d)?)\s*$"
)


@dataclass(frozen=True)
class OfficeHours:
    days: frozenset[int]  # Monday = 0
    start: time
    end: time

    def contains(self, moment: datetime, timezone: str) -> bool:
        local = moment.astimezone(ZoneInfo(timezone))
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_open(self, moment: datetime, timezone: str) -> datetime:
        """`moment` when the office is open then, else the next time it opens."""
        if self.contains(moment, timezone):
            return moment
        zone = ZoneInfo(timezone)
        day = moment.astimezone(zone).date()
        for offset in range(8):
            opens = datetime.combine(day + timedelta(days=offset), self.start, zone)
            if opens.weekday() in self.days and opens >= moment:
                return opens.astimezone(moment.tzinfo)
        return moment


def _clock(text: str) -> time:
    hours, _, minutes = text.partition(":")
    if int(hours) == 24 and int(minutes or 0) == 0:
        return time.max
    return time(int(hours), int(minutes or 0))


def parse_office_hours(value: str) -> OfficeHours:
    """ "Mon-Fri 09:00-17:00", "Mon,Wed,Fri 9-13" or "Mon-Sun 0-24"."""
    shape = 'office hours look like "Mon-Fri 09:00-17:00"'
    found = _HOURS.match(value)
    if found is None:
        raise ValueError(shape)
    days: set[int] = set()
    for part in found["days"].replace(" ", "").lower().split(","):
        first, _, last = part.partition("-")
        if first[:3] not in DAYS or (last and last[:3] not in DAYS):
            raise ValueError(f"{shape}; unknown day in {part!r}")
        a, b = DAYS.index(first[:3]), DAYS.index((last or first)[:3])
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    try:
        start, end = _clock(found["start"]), _clock(found["end"])
    except ValueError:
        raise ValueError(f"{shape}; hours run from 0 to 24") from None
    if start >= end:
        raise ValueError(f"{shape}; the start must be before the end")
    return OfficeHours(frozenset(days), start, end)


def in_office_hours(settings: Settings, moment: datetime | None = None) -> bool:
    hours = parse_office_hours(settings.office_hours)
    return hours.contains(moment or utcnow(), settings.timezone)


# -- routine messages wait -----------------------------------------------------------------------


def uncleared_children() -> Any:
    """Children with an alert nobody has cleared yet (a subquery)."""
    return select(Alert.young_person_id).where(col(Alert.cleared_at).is_(None))


def routine_held() -> ColumnElement[bool]:
    """Outbox rows that must wait: routine kinds to a child with an alert not yet cleared."""
    return col(OutboxMessage.kind).in_(ROUTINE_KINDS) & col(OutboxMessage.young_person_id).in_(
        uncleared_children()
    )


async def routine_paused(session: AsyncSession, young_person_id: int) -> bool:
    query = select(Alert.id).where(
        Alert.young_person_id == young_person_id, col(Alert.cleared_at).is_(None)
    )
    return (await session.exec(query.limit(1))).first() is not None


# -- judging a message ---------------------------------------------------------------------------


class Judges(Protocol):
    """core.screening_triage.Triage, or a stand-in in tests."""

    executor: Executor

    def judge(self, text: str, before: Sequence[str] = ()) -> Verdict: ...

    def without_model(self, text: str, before: Sequence[str] = ()) -> Verdict: ...


# The model takes tens of milliseconds; far longer means it is stuck or the process is
# overloaded. Then the lexicon alone decides, with the wider check tier: the turn goes on.
SCREEN_BUDGET_SECONDS = 2.0


async def verdict_on(
    screener: Judges | None,
    text: str,
    before: Sequence[str] = (),
    *,
    budget: float = SCREEN_BUDGET_SECONDS,
) -> Verdict | None:
    """Both layers' verdict on a child's words, read with the one or two before them. Never
    raises: a screener that breaks fails closed (an alert); one that is too slow leaves the
    decision to the lexicon."""
    if screener is None or not text.strip():
        return None
    loop = asyncio.get_running_loop()
    try:
        job = loop.run_in_executor(screener.executor, screener.judge, text, tuple(before))
        return await asyncio.wait_for(job, budget)
    except TimeoutError:
        log.error("screening took over %.1f s; the lexicon alone decides this time", budget)
        try:
            return screener.without_model(text, tuple(before))
        except Exception:
            log.exception("screening failed; the message counts as an alert")
            return FAILED
    except Exception:  # the screener promises not to raise; if it does, the words count
        log.exception("screening failed; the message counts as an alert")
        return FAILED


def raise_alert(
    session: AsyncSession,
    *,
    child: YoungPerson,
    categories: Iterable[str],
    source: str,
    words: str | None,
    about_someone_else: bool = False,
    matched: Iterable[str] = (),
    answer_id: int | None = None,
    layer: str | None = None,
    score: float | None = None,
    origin: str | None = None,
) -> Alert:
    """Added to the caller's transaction (a turn's own goes through `write_alert_first`).
    The escalation clock sends the first notice on its next tick (`next_step_at` is now)."""
    assert child.id is not None
    now = utcnow()
    alert = Alert(
        origin=origin,
        young_person_id=child.id,
        categories=list(dict.fromkeys(categories)) or ["concern"],
        about_someone_else=about_someone_else,
        source=source,
        matched=list(matched),
        answer_id=answer_id,
        layer=layer,
        score=score,
        raised_at=now,
        next_step_at=now,
    )
    set_words(alert, words)
    session.add(alert)
    record(
        session,
        staff_id=None,
        action="alert.raise",
        young_person_id=child.id,
        detail={"categories": alert.categories, "source": source, "layer": layer},
    )
    log.warning("safeguarding alert raised for child %s: %s", child.id, ", ".join(alert.categories))
    return alert


async def screen(
    chat: Chat, text: str | None, *, source: str, before: Sequence[str] = ()
) -> Flag | None:
    """Screen a child's words before anything else happens: an alert, a concern (the check
    tier) or nothing. The words are kept by the turn either way."""
    verdict = await verdict_on(chat.services.screener, text or "", before)
    if verdict is None or verdict.tier == "clear":
        return None
    if verdict.tier == "alert":
        return await turn_alert(
            chat,
            AlertDraft(
                key=source,
                categories=verdict.categories,
                source=source,
                words=text,
                about_someone_else=verdict.about_someone_else,
                matched=verdict.matched,
                layer=verdict.layer,
                score=verdict.score,
            ),
        )
    # A concern joins the turn's own transaction: it pages no one, so it needs no head start.
    concern = raise_concern(
        chat.session,
        child=chat.child,
        verdict=verdict,
        source=source,
        words=text,
        locale=chat.locale,
    )
    await chat.session.flush()
    return concern


async def low_answer(chat: Chat, record_: Record) -> Alert | None:
    """A safety question answered Bad or Awful raises an alert in the same way."""
    question, value = record_.question, record_.given.value
    if not question.safety or record_.given.status != "answered" or value is None:
        return None
    score = dict(SCALE).get(value)
    if score is None or score > LOW_SCORE:
        return None
    words = f"{question.statement or question.text}: {value}"
    draft = AlertDraft(
        key=f"answer:{question.id}", categories=(UNSAFE_ANSWER,), source="answer", words=words
    )
    return await turn_alert(chat, draft)


# -- the alert goes first: its own transaction, before the rest of the turn ----------------------


@dataclass(frozen=True)
class AlertDraft:
    """An alert a turn wants to raise: the verdict, and what to keep with it."""

    key: str  # one alert per key per turn: the source ("typed"), or "answer:<question id>"
    categories: tuple[str, ...]
    source: str
    words: str | None
    about_someone_else: bool = False
    matched: tuple[str, ...] = ()
    layer: str | None = None  # which screening layer raised it, and its score
    score: float | None = None


class AlertFirst(Exception):
    """Raised by a turn whose verdict flags, before anything of the turn is committed. The
    adapter's transaction rolls back; `alert_first` writes the alert in its own transaction,
    then runs the turn again, which finds the alert by its origin (`turn_alert`)."""

    def __init__(self, origin: str, child: YoungPerson, draft: AlertDraft) -> None:
        super().__init__(origin)
        self.origin, self.draft = origin, draft
        # Telegram children are found again by chat id: a first message may have created the
        # child in the transaction that was just rolled back. Web children already exist.
        self.telegram_chat_id, self.child_id = child.telegram_chat_id, child.id


async def turn_alert(chat: Chat, draft: AlertDraft) -> Alert:
    """The alert for this verdict in this turn. With an origin (the adapter can run the turn
    again: Telegram updates and web-chat requests), it must already be committed: found by
    origin, else AlertFirst is raised to have it written first. Without one (the staff
    preview's throwaway database), it joins the turn's own transaction."""
    if chat.origin is None:
        alert = _raise_draft(chat.session, chat.child, draft, origin=None)
        await chat.session.flush()
        return alert
    origin = f"{chat.origin}/{draft.key}"
    found = (await chat.session.exec(select(Alert).where(Alert.origin == origin))).first()
    if found is not None:
        return found
    raise AlertFirst(origin, chat.child, draft)


def _raise_draft(
    session: AsyncSession, child: YoungPerson, draft: AlertDraft, *, origin: str | None
) -> Alert:
    return raise_alert(
        session,
        child=child,
        categories=draft.categories,
        source=draft.source,
        words=draft.words,
        about_someone_else=draft.about_someone_else,
        matched=draft.matched,
        layer=draft.layer,
        score=draft.score,
        origin=origin,
    )


async def write_alert_first(
    sessionmaker: async_sessionmaker[AsyncSession], first: AlertFirst
) -> int:
    """The alert alone (and its audit line), in a minimal transaction of its own, committed
    before the turn that raised it: it goes out (the escalation clock sees it at its next tick)
    even when the rest of the turn fails. Keyed by origin: the retry of the same update or
    request, or a simultaneous copy of it, finds this alert and raises none of its own."""
    by_origin = select(Alert.id).where(Alert.origin == first.origin)
    async with sessionmaker() as session:
        found = (await session.exec(by_origin)).first()
        if found is not None:
            return found
        if first.telegram_chat_id is not None:
            child, _ = await find_or_create_child(session, chat_id=first.telegram_chat_id)
            await session.flush()
        else:
            loaded = await session.get(YoungPerson, first.child_id)
            assert loaded is not None, "a web child is committed before their turn"
            child = loaded
        alert = _raise_draft(session, child, first.draft, origin=first.origin)
        try:
            # The one commit of a child's turn in the core, and on purpose: see above.
            await session.commit()
        except IntegrityError:  # a copy of the same update wrote it a moment ago
            await session.rollback()
            found = (await session.exec(by_origin)).first()
            assert found is not None
            return found
        assert alert.id is not None
        return alert.id


T = TypeVar("T")
# A turn raises at most one alert per key; more rounds than this means a turn that never finds
# its own alert (a bug), which must fail rather than loop.
ALERT_ROUNDS = 4


async def alert_first(
    sessionmaker: async_sessionmaker[AsyncSession], turn: Callable[[], Awaitable[T]]
) -> T:
    """Run an adapter's turn (`turn` opens, and commits, the turn's one transaction). When its
    verdict flags, the turn raises AlertFirst before committing anything: the alert is written
    and committed alone, then the whole turn runs again and finds it."""
    for _ in range(ALERT_ROUNDS):
        try:
            return await turn()
        except AlertFirst as first:
            await write_alert_first(sessionmaker, first)
    return await turn()


# -- the fixed reply ----------------------------------------------------------------------------


async def worker_name(session: AsyncSession, child: YoungPerson) -> str | None:
    if child.worker_id is None:
        return None
    worker = await session.get(Staff, child.worker_id)
    return worker.name if worker is not None and worker.active else None


async def safety_reply(chat: Chat, alert: Alert) -> list[Message]:
    """Fixed words, by age band: 999, then helplines, who will be told, and (out of hours) an
    honest word that messages are not read all the time. Then the child can carry on."""
    tr, child, settings = chat.tr, chat.child, chat.services.settings
    band = child.age_band
    lines = [tr.gettext(HELP_NOW), *helplines(tr, band)]
    name = await worker_name(chat.session, child)
    told = tr.gettext(TELL_WORKER).replace("{name}", name) if name else tr.gettext(TELL_DUTY)
    messages = [
        Message(tr.gettext(THANKS)),
        Message(tr.gettext(DANGER)),
        Message("\n".join(lines)),
        Message(told),
    ]
    if not in_office_hours(settings):
        messages += [Message(tr.gettext(OUT_OF_HOURS)), Message(tr.gettext(NOT_EMERGENCY))]
    assert alert.id is not None
    carry_on = Button(tr.gettext(CARRY_ON), respond_action("alert", alert.id, "carry_on"))
    messages.append(Message(tr.gettext(CARRY_ON_NOTE), [[carry_on]]))
    return messages


async def safety_first(chat: Chat, flag: Flag | None, messages: list[Message]) -> list[Message]:
    """With an alert, the safety reply replaces what the turn would have said; with a concern,
    the gentle check does. The words are stored all the same, and one tap carries on."""
    if flag is None:
        return messages
    if isinstance(flag, Concern):
        return check_reply(chat.tr, flag, chat.child.age_band)
    return await safety_reply(chat, flag)


@responds("alert")
async def carry_on(chat: Chat, alert_id: int, value: str) -> list[Message]:
    """ "Carry on" after the safety reply: back to where the child was."""
    return await chat.where_we_are()


# -- acknowledging and clearing ------------------------------------------------------------------


def acknowledge(session: AsyncSession, alert: Alert, *, staff_id: int) -> bool:
    """Someone has picked it up: escalation stops. False if it was already acknowledged."""
    if alert.acknowledged_at is not None:
        return False
    alert.acknowledged_at, alert.acknowledged_by, alert.next_step_at = utcnow(), staff_id, None
    record(
        session,
        staff_id=staff_id,
        action="alert.acknowledge",
        young_person_id=alert.young_person_id,
        subject=f"alert:{alert.id}",
    )
    return True


def clear(session: AsyncSession, alert: Alert, *, staff_id: int, note: str | None) -> bool:
    """The worker has dealt with it: routine messages to the child go again (once no other
    alert is open). Clearing acknowledges too. False if it was already cleared."""
    if alert.cleared_at is not None:
        return False
    acknowledge(session, alert, staff_id=staff_id)
    alert.cleared_at, alert.cleared_by = utcnow(), staff_id
    record(
        session,
        staff_id=staff_id,
        action="alert.clear",
        young_person_id=alert.young_person_id,
        subject=f"alert:{alert.id}",
        reason=note,
    )
    return True


# -- telling a person: the escalation clock --------------------------------------------------------


@dataclass(frozen=True)
class Target:
    channel: str  # email / webhook
    to: str  # an address; for the webhook, its host


def _addresses(value: str | None) -> list[str]:
    return [a.strip() for a in (value or "").split(",") if a.strip()]


def targets(settings: Settings, round_: int, worker_email: str | None) -> list[Target]:
    """Round 0: the child's worker (else the duty team) and the safeguarding inbox. Every
    later round is an escalation to the duty team (else the inbox). The webhook every round."""
    emails: list[str] = []
    duty = _addresses(settings.duty_email) or _addresses(settings.alert_email_to)
    if round_ == 0:
        emails += [worker_email] if worker_email else duty
        emails += _addresses(settings.alert_email_to)
    else:
        emails += duty
    found = [Target("email", e) for e in dict.fromkeys(emails)] if settings.smtp_host else []
    if settings.alert_webhook_url:
        found.append(Target("webhook", notify.webhook_target(settings.alert_webhook_url)))
    return found


def link(settings: Settings, alert_id: int) -> str:
    base = (settings.admin_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    return f"{base}/alerts/{alert_id}"


async def _claim(
    sessionmaker: async_sessionmaker[AsyncSession], now: datetime, limit: int
) -> list[int]:
    """Due alerts become ours by moving `next_step_at` on, compare-and-set, one by one, so
    two processes never notify twice."""
    due = (
        select(Alert.id, Alert.next_step_at)
        .where(
            col(Alert.acknowledged_at).is_(None),
            col(Alert.cleared_at).is_(None),
            col(Alert.next_step_at) <= now,
        )
        .order_by(col(Alert.next_step_at))
        .limit(limit)
    )
    mine: list[int] = []
    async with sessionmaker() as session:
        rows = (await session.exec(due)).all()
        for alert_id, was in rows:
            result = await session.exec(
                update(Alert)  # type: ignore[call-overload]
                .where(col(Alert.id) == alert_id, col(Alert.next_step_at) == was)
                .values(next_step_at=now + timedelta(seconds=CLAIM_SECONDS))
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:
                mine.append(alert_id)
        await session.commit()
    return mine


async def notify_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 50,
) -> int:
    """One tick: send every due notice or escalation; the number of alerts handled. A notice
    that fails is tried again on the next tick; the ones that went are not sent again."""
    now = now or utcnow()
    claimed = await _claim(sessionmaker, now, limit)
    for alert_id in claimed:
        try:
            await _notify_one(sessionmaker, settings, alert_id)
        except Exception:  # one alert's bug must not stop the others; its claim expires
            log.exception("notifying about alert %s failed", alert_id)
    return len(claimed)


async def _notify_one(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, alert_id: int
) -> None:
    async with sessionmaker() as session:
        alert = await session.get(Alert, alert_id)
        if alert is None:
            return
        child = await session.get(YoungPerson, alert.young_person_id)
        worker = await session.get(Staff, child.worker_id) if child and child.worker_id else None
        worker_email = worker.email if worker is not None and worker.active else None
        round_ = alert.round
        done = set(
            (
                await session.exec(
                    select(AlertStep.channel, AlertStep.target).where(
                        AlertStep.alert_id == alert_id,
                        AlertStep.round == round_,
                        AlertStep.status == "sent",
                    )
                )
            ).all()
        )
        notice = notify.Notice(
            alert_id=alert_id,
            young_person_id=alert.young_person_id,
            categories=tuple(alert.categories),
            about_someone_else=alert.about_someone_else,
            raised_at=alert.raised_at,
            escalation=round_,
            link=link(settings, alert_id),
        )
    # No transaction is open while notices are on their way.
    kind = "escalate" if round_ else "notify"
    steps: list[AlertStep] = []
    for target in targets(settings, round_, worker_email):
        if (target.channel, target.to) in done:
            continue
        error: str | None = None
        try:
            if target.channel == "email":
                await notify.send_email(settings, notice, target.to)
            else:
                await notify.post_webhook(settings, notice)
        except notify.NotifyError as failure:
            error = str(failure)[:2000]
            log.warning("alert %s: %s %s failed; retried next tick", alert_id, kind, target.channel)
        steps.append(
            AlertStep(
                alert_id=alert_id,
                round=round_,
                kind=kind,
                channel=target.channel,
                target=target.to,
                status="failed" if error else "sent",
                error=error,
            )
        )
    await _record_round(sessionmaker, settings, alert_id, round_, kind, steps)


async def _record_round(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    alert_id: int,
    round_: int,
    kind: str,
    steps: list[AlertStep],
) -> None:
    now = utcnow()
    failed = [s for s in steps if s.status == "failed"]
    async with sessionmaker() as session:
        alert = await session.get(Alert, alert_id)
        if alert is None:
            return
        for step in steps:
            session.add(step)
            record(
                session,
                staff_id=None,
                action=f"alert.{kind}" if step.status == "sent" else f"alert.{kind}_failed",
                young_person_id=alert.young_person_id,
                subject=f"alert:{alert_id}",
                detail={"round": round_, "channel": step.channel, "to": step.target},
            )
        if not steps and round_ == 0:
            log.warning(
                "alert %s: no way to tell anyone is set up (SAYSO_SMTP_HOST with "
                "SAYSO_ALERT_EMAIL_TO or SAYSO_DUTY_EMAIL, or SAYSO_ALERT_WEBHOOK_URL)",
                alert_id,
            )
        if failed:  # try what failed again on the next tick
            values: dict[str, Any] = {"next_step_at": now}
        else:
            interval = timedelta(minutes=settings.alert_escalate_minutes)
            values = {"round": round_ + 1, "next_step_at": now + interval}
        await session.exec(
            update(Alert)  # type: ignore[call-overload]
            .where(
                col(Alert.id) == alert_id,
                col(Alert.round) == round_,
                col(Alert.acknowledged_at).is_(None),
                col(Alert.cleared_at).is_(None),
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
