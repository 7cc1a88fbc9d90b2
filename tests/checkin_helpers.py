"""Helpers for check-in tests: a child on a worker's books, times ahead, delivering outbox rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from api.runtime import Runtime
from bot.send import keyboard
from core import proactive
from core.checkins import KINDS
from core.i18n import pick_locale
from core.models import CheckIn, OutboxMessage, Preferences, YoungPerson
from core.render import Message
from tests.child import Child

LONDON = ZoneInfo("Europe/London")


def ahead(days: int, hour: int = 16) -> datetime:
    """`hour` o'clock London time, `days` from today, in UTC."""
    day = date.today() + timedelta(days=days)
    return datetime.combine(day, time(hour), LONDON).astimezone(UTC)


async def on_books(runtime: Runtime, child: Child, worker_id: int, **prefs: Any) -> int:
    """The child (already talking to the bot) allocated to a worker, with these preferences."""
    async with runtime.sessionmaker() as session:
        result = await session.exec(
            select(YoungPerson).where(YoungPerson.telegram_chat_id == child.chat_id)
        )
        young = result.one()
        young.worker_id = worker_id
        preferences = await session.get(Preferences, young.id)
        assert preferences is not None
        for name, value in prefs.items():
            setattr(preferences, name, value)
        await session.commit()
        assert young.id is not None
        return young.id


async def rows(runtime: Runtime, check_in_id: int) -> list[OutboxMessage]:
    async with runtime.sessionmaker() as session:
        result = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.kind).in_(KINDS))
            .order_by(col(OutboxMessage.due_at), col(OutboxMessage.id))
        )
        return [m for m in result.all() if m.payload.get("check_in_id") == check_in_id]


async def check_in(runtime: Runtime, check_in_id: int) -> CheckIn:
    async with runtime.sessionmaker() as session:
        found = await session.get(CheckIn, check_in_id)
        assert found is not None
        return found


async def render_row(runtime: Runtime, row_id: int) -> list[Message] | None:
    """What this outbox row would say if it were sent now."""
    async with runtime.sessionmaker() as session:
        row = await session.get(OutboxMessage, row_id)
        assert row is not None
        child = await session.get(YoungPerson, row.young_person_id)
        assert child is not None
        services = runtime.services
        translator = services.translator(pick_locale(child.locale, None, services.locales))
        occasion = proactive.Occasion(services, session, child, row, translator)
        return await proactive.render(occasion)


async def deliver(runtime: Runtime, check_in_id: int, kind: str) -> list[Message] | None:
    """Send the pending row of this kind now, whatever its time, as delivery would: rendered
    in the child's language, shown on Telegram with real keyboards, marked sent (or cancelled
    when its renderer says it no longer needs saying)."""
    pending = [r for r in await rows(runtime, check_in_id) if r.kind == kind]
    pending = [r for r in pending if r.status == "pending"]
    assert pending, f"no pending {kind} for check-in {check_in_id}"
    row = pending[0]
    messages = await render_row(runtime, row.id or 0)
    async with runtime.sessionmaker() as session:
        stored = await session.get(OutboxMessage, row.id)
        child = await session.get(YoungPerson, row.young_person_id)
        assert stored is not None and child is not None and child.telegram_chat_id is not None
        bot = runtime.bot
        assert bot is not None
        for message in messages or []:
            await bot.send_message(
                child.telegram_chat_id, message.text, reply_markup=keyboard(message)
            )
        stored.status = "sent" if messages is not None else "cancelled"
        await session.commit()
    return messages
