"""Delivering the outbox: claim due rows, pace them within Telegram's limits, send, record.

At least once, and once unless a process dies mid-send: a row is claimed (committed as
`sending`) before it is sent and each piece recorded the moment Telegram accepts it, so the only
message that can go twice is one in flight when a process dies (Telegram takes no idempotency
key); its claim expires after a lease and another tick sends it again. No transaction
is open while a message is on its way. The channel is behind a small `Sender` protocol.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Protocol

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from sqlalchemy import false, or_, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import proactive
from core.config import Settings
from core.i18n import pick_locale
from core.models import OutboxMessage, StaffNotice, YoungPerson
from core.outbox import Hold, cancel_pending, hold
from core.render import Message
from core.safeguarding import routine_held

if TYPE_CHECKING:
    from core.chat import Services

log = logging.getLogger(__name__)

# Waiting for a rate window to free, a little longer than exactly until it frees.
SLACK = 0.002
RETRY_BASE_SECONDS = 5.0
RETRY_CAP_SECONDS = 1800.0
NOT_ON_TELEGRAM = Hold("pending", "held: the child is not on Telegram now")


# -- what a channel may say back ----------------------------------------------------------------


class SendError(Exception):
    """A message did not go; the subclass says what to do about it."""


class RetryAfter(SendError):
    """Flood control: the whole bot must wait, then try the same message again."""

    def __init__(self, seconds: float, detail: str = "") -> None:
        super().__init__(detail or f"retry after {seconds} s")
        self.seconds = seconds


class Unreachable(SendError):
    """The child blocked the bot or their account is gone: nothing more can reach them."""


class Rejected(SendError):
    """The request itself is wrong (e.g. chat not found): trying again will not help."""


class Transient(SendError):
    """A server error or a network failure: try again later."""


class Sender(Protocol):
    """A channel: cuts core Messages into what it sends one by one, and sends one."""

    def pieces(self, messages: list[Message]) -> Sequence[Any]: ...

    async def send(self, chat_id: int, piece: Any) -> int:
        """Sends one piece; returns the channel's message id, or raises a SendError."""
        ...


# -- time ---------------------------------------------------------------------------------------


class Clock:
    """Wall-clock seconds, and sleeping. Tests pass a fake one that moves only when slept."""

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0))

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)


def per_second(rate: float) -> RateLimitItem:
    """A rate such as 30 or 0.5 a second as a moving-window item (0.5/s = 1 per 2 seconds)."""
    fraction = Fraction(rate).limit_denominator(60)
    return RateLimitItemPerSecond(fraction.numerator, fraction.denominator)


def retry_delay(attempts: int, rng: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter: anywhere up to base * 2^(attempts-1), capped."""
    ceiling = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return max(1.0, ceiling * rng())


class Pacer:
    """Telegram's limits: about 30 messages a second per bot, one a second per chat. Moving
    windows from `limits` (exact: never more than N in any second, unlike fixed windows), in
    memory or shared through Redis by every worker process.

    A message is counted from the moment Telegram *answered* it, not from when it left: Telegram
    counts it on arrival, somewhere between the two, so a window that frees one second after the
    answer has freed on Telegram's side too, however slow the network or the machine. (Counted
    from departure, a slow round trip followed by a quick one reaches Telegram 31 in a second.)"""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        url = settings.redis_url
        if url:
            storage = storage_from_string(f"async+{url}", implementation="redispy")
        else:
            storage = storage_from_string("async+memory://")
        self.limiter = MovingWindowRateLimiter(storage)  # type: ignore[arg-type]
        self.overall = per_second(settings.send_per_second)
        self.per_chat = per_second(settings.send_per_chat_per_second)
        self.clock = clock
        self.paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """After a 429 every send waits: the flood limit is the bot's, not one chat's."""
        self.paused_until = max(self.paused_until, self.clock.time() + seconds + SLACK)

    async def _wait(self, item: RateLimitItem, *key: str) -> float:
        if await self.limiter.test(item, *key):
            return 0.0
        stats = await self.limiter.get_window_stats(item, *key)
        return max(stats.reset_time - self.clock.time(), 0.0) + SLACK

    async def chat_wait(self, chat: int) -> float:
        """Seconds until this chat may be sent to again (0: now)."""
        return await self._wait(self.per_chat, "sayso-send-chat", str(chat))

    async def turn(self, chat: int) -> None:
        """Wait until both limits have room for one more message to this chat."""
        while True:
            wait = max(
                self.paused_until - self.clock.time(),
                await self.chat_wait(chat),
                await self._wait(self.overall, "sayso-send", "all"),
            )
            if wait <= 0:
                return
            await self.clock.sleep(wait)

    async def answered(self, chat: int) -> None:
        """Telegram answered a message to this chat (anything but "wait"): count it now."""
        await self.limiter.hit(self.overall, "sayso-send", "all")
        await self.limiter.hit(self.per_chat, "sayso-send-chat", str(chat))


# -- delivery -----------------------------------------------------------------------------------


def worker_name() -> str:
    """Who holds a claim: host, process and a random part (a restarted pid is someone new)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Claim:
    id: int
    young_person_id: int
    due_at: datetime
    claimed_at: datetime
    # Filled in by Delivery.prepare: what to send, where, and how far a retry had got.
    chat_id: int = 0
    messages: list[Message] = field(default_factory=list)
    parts_sent: int = 0
    attempts: int = 0


@dataclass
class Delivery:
    services: Services
    sessionmaker: async_sessionmaker[AsyncSession]
    sender: Sender
    clock: Clock = field(default_factory=Clock)
    worker: str = field(default_factory=worker_name)
    pacer: Pacer | None = None

    def __post_init__(self) -> None:
        settings = self.services.settings
        self.pacer = self.pacer or Pacer(settings, self.clock)
        self.lease = settings.send_lease_seconds
        self.max_attempts = settings.send_max_attempts
        # One second's worth at the overall rate: few rows wait in `sending` if we crash.
        self.batch = max(1, round(settings.send_per_second))
        self.gone: set[int] = set()  # children found unreachable: what we hold for them is moot

    async def tick(self) -> int:
        """Deliver until nothing is due; the number of rows handled. One message at a time (so
        at most one is in flight), but never stuck behind a chat that has to wait: the next row
        whose chat is free goes first, each chat keeps its order, and when every row in hand is
        waiting for its chat, more are claimed (up to two batches in hand)."""
        handled, waiting = 0, list[Claim]()
        try:
            while True:
                chosen, soonest = await self._next(waiting)
                if chosen is not None:
                    waiting.remove(chosen)
                    await self._send(chosen)
                    continue
                if len(waiting) < 2 * self.batch and (more := await self.claim()):
                    handled += len(more)
                    waiting.extend(await self.prepare(more))
                    continue
                if not waiting:
                    return handled
                await self.clock.sleep(soonest)
        except BaseException:
            # Stopping (or a bug): what was not started goes back, rather than waiting a lease.
            if waiting:
                await asyncio.shield(self._release([c.id for c in waiting]))
            raise

    async def _next(self, waiting: list[Claim]) -> tuple[Claim | None, float]:
        """The first row whose chat may be sent to now, else how long until one may."""
        soonest, seen = float("inf"), set()
        for claim in waiting:
            if claim.young_person_id in seen:
                continue
            seen.add(claim.young_person_id)
            wait = await self._pacer.chat_wait(claim.young_person_id)
            if wait <= 0:
                return claim, 0.0
            soonest = min(soonest, wait)
        return None, soonest

    async def claim(self) -> list[Claim]:
        """One atomic UPDATE ... RETURNING: due pending rows of children we can reach now, and
        rows whose claim outlived the lease (a process that died), become ours."""
        now = self.clock.now()
        reachable = select(YoungPerson.id).where(
            YoungPerson.paused == false(),
            YoungPerson.channel == "telegram",
            col(YoungPerson.telegram_chat_id).is_not(None),
        )
        due = (
            (col(OutboxMessage.status) == "pending")
            & (col(OutboxMessage.due_at) <= now)
            & col(OutboxMessage.young_person_id).in_(reachable)
            & ~routine_held()  # routine messages wait while a safeguarding alert is open
        )
        stale = (col(OutboxMessage.status) == "sending") & (
            col(OutboxMessage.claimed_at) < now - timedelta(seconds=self.lease)
        )
        pick = (
            select(OutboxMessage.id)
            .where(or_(due, stale))
            .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
            .limit(self.batch)
            .with_for_update(skip_locked=True, of=OutboxMessage)
        )
        query = (
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(pick))
            .values(status="sending", claimed_by=self.worker, claimed_at=now)
            .returning(
                col(OutboxMessage.id), col(OutboxMessage.young_person_id), col(OutboxMessage.due_at)
            )
            .execution_options(synchronize_session=False)
        )
        async with self.sessionmaker() as session:
            rows = (await session.exec(query)).all()  # type: ignore[call-overload]
            await session.commit()
        claims = [Claim(row[0], row[1], row[2], now) for row in rows]
        return sorted(claims, key=lambda c: (c.due_at, c.id))

    @property
    def _pacer(self) -> Pacer:
        assert self.pacer is not None
        return self.pacer

    async def prepare(self, claims: list[Claim]) -> list[Claim]:
        """Load and render a whole batch in one short transaction (none is open while sending);
        the claims ready to send. The rest are settled here: cancelled, dead or back to wait."""
        ready: list[Claim] = []
        retry: list[tuple[Claim, str, int]] = []
        async with self.sessionmaker() as session:
            ids = [c.id for c in claims]
            found = await session.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)))
            messages = {m.id: m for m in found.all()}
            people = {c.young_person_id for c in claims}
            found_children = await session.exec(
                select(YoungPerson).where(col(YoungPerson.id).in_(people))
            )
            children = {c.id: c for c in found_children.all()}
            for claim in claims:
                message = messages.get(claim.id)
                if message is None or not self._still_ours(message):
                    continue
                try:
                    if await self._prepare(
                        session, claim, message, children.get(claim.young_person_id)
                    ):
                        ready.append(claim)
                except Exception as error:  # a renderer's bug or a database hiccup: retry later
                    log.exception("rendering outbox message %s failed", claim.id)
                    retry.append((claim, f"rendering failed: {error!r}", message.attempts))
            await session.commit()
        for claim, error, attempts in retry:
            await self._failed(claim, error, attempts)
        return ready

    async def _prepare(
        self,
        session: AsyncSession,
        claim: Claim,
        message: OutboxMessage,
        child: YoungPerson | None,
    ) -> bool | None:
        """Renders the message into the claim (True), or settles it here."""
        services = self.services
        held = await self._hold(session, child, message)
        if held is not None:  # a /stop, /delete or alert since the claim's query ran
            await self._finish(session, message, held.status, held.reason)
            return False
        assert child is not None and child.telegram_chat_id is not None
        locale = pick_locale(child.locale, None, services.locales)
        occasion = proactive.Occasion(
            services, session, child, message, services.translator(locale)
        )
        try:
            rendered = await proactive.render(occasion)
        except LookupError as error:  # no renderer for this kind: a deploy mistake
            await self._finish(session, message, "dead", str(error))
            return False
        if rendered is None:
            await self._finish(session, message, "cancelled", "no longer needed")
            return False
        claim.chat_id, claim.messages = child.telegram_chat_id, rendered
        claim.parts_sent, claim.attempts = message.parts_sent, message.attempts
        return True

    async def _send(self, claim: Claim) -> None:
        """Piece by piece within the limits; the result recorded the moment it is known."""
        chat_id, done, attempts = claim.chat_id, claim.parts_sent, claim.attempts
        pieces = list(self.sender.pieces(claim.messages))
        message_id: int | None = None
        if claim.young_person_id in self.gone:
            return  # cancelled with the message that found them unreachable
        if done >= len(pieces):  # nothing (left) to say
            await self._record(claim, status="sent", parts_sent=done, sent_at=self.clock.now())
            return
        try:
            while done < len(pieces):
                if self.clock.time() - claim.claimed_at.timestamp() > self.lease / 2:
                    # Held too long (a long flood wait): let it go before anyone reclaims it.
                    await self._record(claim, status="pending", parts_sent=done, claimed_by=None)
                    return
                await self._pacer.turn(claim.young_person_id)
                if not await self._may_send(claim, done):
                    return
                try:
                    message_id = await self.sender.send(chat_id, pieces[done])
                except RetryAfter as error:
                    log.warning("Telegram asks us to wait %s s", error.seconds)
                    self._pacer.pause(error.seconds)
                    continue
                except BaseException:
                    await self._pacer.answered(claim.young_person_id)
                    raise
                done += 1
                # Recorded before anything else: Telegram takes no idempotency key, so a
                # process that dies between its "ok" and this commit sends the piece again
                # when the lease ends. The window is one network answer and one write.
                if done == len(pieces):
                    await self._record(
                        claim,
                        status="sent",
                        parts_sent=done,
                        sent_at=self.clock.now(),
                        telegram_message_id=message_id,
                        last_error=None,
                    )
                else:
                    await self._record(claim, parts_sent=done)
                await self._pacer.answered(claim.young_person_id)
        except Unreachable as error:
            await self._unreachable(claim, str(error))
            return
        except Rejected as error:
            await self._record(claim, status="dead", parts_sent=done, last_error=str(error))
            return
        except Exception as error:  # Transient, or anything unexpected from the channel
            if not isinstance(error, Transient):
                log.exception("sending outbox message %s failed", claim.id)
            await self._failed(claim, str(error) or repr(error), attempts, parts_sent=done)

    async def _hold(
        self, session: AsyncSession, child: YoungPerson | None, message: OutboxMessage
    ) -> Hold | None:
        """The outbox's rule (core.outbox.hold), and this channel's own: a child who is not on
        Telegram now (moved to the web chat, not linked yet) waits for the channel they use."""
        held = await hold(session, child, message)
        if held is None and (
            child is None or child.channel != "telegram" or child.telegram_chat_id is None
        ):
            return NOT_ON_TELEGRAM
        return held

    async def _may_send(self, claim: Claim, parts_sent: int) -> bool:
        """The last look, right before the Bot API call and while the claim is still ours: the
        child's state is read again, because a /stop, a /delete or an alert can land between
        the claim (or the last piece) and now. A hold settles the row here, with its reason;
        a row that is gone (erased with the child) or no longer ours is simply not sent."""
        async with self.sessionmaker() as session:
            message = await session.get(OutboxMessage, claim.id)
            if message is None or not self._still_ours(message):
                return False
            child = await session.get(YoungPerson, claim.young_person_id)
            held = await self._hold(session, child, message)
            if held is None and child is not None and child.telegram_chat_id == claim.chat_id:
                return True
            held = held or NOT_ON_TELEGRAM  # linked to another chat since: never the old one
            await self._finish(session, message, held.status, held.reason)
            message.parts_sent = parts_sent
            await session.commit()
        log.info("outbox message %s not sent: %s", claim.id, held.reason)
        return False

    def _still_ours(self, message: OutboxMessage) -> bool:
        return message.status == "sending" and message.claimed_by == self.worker

    async def _finish(
        self, session: AsyncSession, message: OutboxMessage, status: str, error: str | None
    ) -> None:
        """Settled without sending; committed with the batch."""
        message.status, message.last_error = status, error
        if status == "pending":
            message.claimed_by = message.claimed_at = None

    async def _failed(
        self, claim: Claim, error: str, attempts: int, *, parts_sent: int | None = None
    ) -> None:
        """A failure that may pass: try again after a jittered backoff, or give up (dead)."""
        attempts += 1
        values: dict[str, Any] = {"attempts": attempts, "last_error": error[:2000]}
        if parts_sent is not None:
            values["parts_sent"] = parts_sent
        if attempts >= self.max_attempts:
            log.warning(
                "outbox message %s is dead after %s attempts: %s", claim.id, attempts, error
            )
            await self._record(claim, status="dead", **values)
            return
        due = self.clock.now() + timedelta(seconds=retry_delay(attempts))
        await self._record(claim, status="pending", due_at=due, claimed_by=None, **values)

    async def _record(self, claim: Claim, **values: Any) -> bool:
        """Only while the claim is still ours: a row someone reclaimed is theirs to record."""
        if values.get("status") == "pending":
            values.setdefault("claimed_at", None)
        query = (
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == claim.id,
                col(OutboxMessage.status) == "sending",
                col(OutboxMessage.claimed_by) == self.worker,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        async with self.sessionmaker() as session:
            result = await session.exec(query)  # type: ignore[call-overload]
            await session.commit()
        if result.rowcount != 1:
            log.warning("outbox message %s was reclaimed before we recorded it", claim.id)
        return bool(result.rowcount == 1)

    async def _release(self, ids: list[int]) -> None:
        query = (
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id).in_(ids),
                col(OutboxMessage.status) == "sending",
                col(OutboxMessage.claimed_by) == self.worker,
            )
            .values(status="pending", claimed_by=None, claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        async with self.sessionmaker() as session:
            await session.exec(query)  # type: ignore[call-overload]
            await session.commit()

    async def _unreachable(self, claim: Claim, error: str) -> None:
        """Blocked or gone: in one transaction the child is marked unreachable, everything
        still pending for them is cancelled, and their worker is told."""
        async with self.sessionmaker() as session:
            child = await session.get(YoungPerson, claim.young_person_id)
            message = await session.get(OutboxMessage, claim.id)
            if child is None or message is None or not self._still_ours(message):
                return
            child.unreachable_at = self.clock.now()
            message.status, message.last_error = "cancelled", error[:2000]
            await cancel_pending(session, young_person_id=claim.young_person_id)
            held = update(OutboxMessage).where(
                col(OutboxMessage.young_person_id) == claim.young_person_id,
                col(OutboxMessage.status) == "sending",
                col(OutboxMessage.claimed_by) == self.worker,
            )
            await session.exec(held.values(status="cancelled"))  # type: ignore[call-overload]
            session.add(
                StaffNotice(
                    staff_id=child.worker_id,
                    young_person_id=child.id,
                    kind="unreachable",
                    detail={"reason": error[:500], "outbox_message_id": claim.id},
                )
            )
            await session.commit()
        self.gone.add(claim.young_person_id)
        log.info("child %s cannot be reached (%s); their worker is told", child.id, error)
