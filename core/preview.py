"""Staff try a conversation as a child would, in any language and reading mode, before children
see it. Nothing is stored as feedback: each preview runs the real `Chat` (the same engine,
rendering, safeguarding replies and settings as a child gets) against its own throwaway
in-memory database, dropped when the preview ends. Content is read from disk at each start, so
an author sees their edit, or its mistakes with file and line, without a restart."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.chat import Chat, Services
from core.content import ContentError, Library, load_library
from core.db import create_sessionmaker
from core.i18n import native_name
from core.models import Alert, CallbackRequest, YoungPerson
from core.render import Message

# A preview is a staff member's scratch pad: a few at a time, gone after a quiet while.
MAX_PREVIEWS = 20
IDLE_SECONDS = 2 * 60 * 60

ALERT_NOTE = (
    "In the real chat this would raise a safeguarding alert: the child's worker (or the duty "
    "team) would be emailed at once, and routine messages to the child would wait until a "
    "worker clears it."
)
CALLBACK_NOTE = (
    "In the real chat this would put the child in the call-back queue (GET /callbacks) with "
    "a deadline."
)


def fresh_library(services: Services) -> Library:
    """The conversations as they are on disk now; ContentError lists every mistake."""
    library = load_library(services.settings.content_dir)
    return library.with_languages([(code, native_name(code)) for code in services.locales])


@dataclass
class Preview:
    id: str
    engine: AsyncEngine
    services: Services
    child_id: int
    used: float = field(default_factory=time.monotonic)
    # What the staff member has been told about already (so each note comes once).
    seen_alerts: int = 0
    seen_callbacks: int = 0

    async def turn(
        self, act: Callable[[Chat], Awaitable[list[Message]]]
    ) -> tuple[list[Message], list[str], str]:
        """One turn of the child's chat in this preview: its messages, notes for staff about
        what would happen for real, and the language it is in now."""
        self.used = time.monotonic()
        async with create_sessionmaker(self.engine)() as session:
            child = await session.get(YoungPerson, self.child_id)
            assert child is not None
            chat = Chat(self.services, session, child, hint=None)
            messages = await act(chat)
            await session.commit()
            notes = await self._notes(session)
        return messages, notes, chat.locale

    async def _notes(self, session: AsyncSession) -> list[str]:
        alerts = await _count(session, Alert)
        callbacks = await _count(session, CallbackRequest)
        notes = []
        if alerts > self.seen_alerts:
            notes.append(ALERT_NOTE)
        if callbacks > self.seen_callbacks:
            notes.append(CALLBACK_NOTE)
        self.seen_alerts, self.seen_callbacks = alerts, callbacks
        return notes


async def _count(session: AsyncSession, model: type[SQLModel]) -> int:
    result = await session.exec(select(func.count()).select_from(model))
    return int(result.one())


class Previews:
    """The previews open in this process (a scaled-out deployment needs sticky sessions for
    /preview, or staff simply start again)."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._open: OrderedDict[str, Preview] = OrderedDict()

    def options(self) -> tuple[Library | None, list[str]]:
        try:
            return fresh_library(self.services), []
        except ContentError as error:
            return None, error.problems

    async def start(
        self, library: Library, conversation_id: str, *, locale: str, reading_mode: str
    ) -> Preview:
        await self._tidy()
        engine = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
        async with engine.begin() as connection:
            await connection.run_sync(SQLModel.metadata.create_all)
        onboarding = conversation_id == library.onboarding.id
        async with create_sessionmaker(engine)() as session:
            child = YoungPerson(
                display_name="Preview",
                locale=locale,
                reading_mode=reading_mode,
                onboarded=not onboarding,
                channel="web",
            )
            session.add(child)
            await session.commit()
            assert child.id is not None
        preview = Preview(
            secrets.token_urlsafe(16), engine, replace(self.services, library=library), child.id
        )
        self._open[preview.id] = preview
        return preview

    def get(self, preview_id: str) -> Preview | None:
        preview = self._open.get(preview_id)
        if preview is not None:
            self._open.move_to_end(preview_id)
        return preview

    async def _tidy(self) -> None:
        """Close previews idle too long, and the oldest beyond the limit."""
        cutoff = time.monotonic() - IDLE_SECONDS
        while self._open:
            oldest = next(iter(self._open.values()))
            if oldest.used >= cutoff and len(self._open) < MAX_PREVIEWS:
                return
            del self._open[oldest.id]
            await oldest.engine.dispose()

    async def close(self) -> None:
        for preview in self._open.values():
            await preview.engine.dispose()
        self._open.clear()
