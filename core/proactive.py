"""What each kind of proactive message says, decided when it is sent (so it is in the child's
language of that moment). Each feature registers a renderer for its kinds of message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from core.i18n import Translator
from core.models import OutboxMessage, YoungPerson
from core.render import Action, Message

if TYPE_CHECKING:
    from core.chat import Chat, Services


@dataclass(frozen=True)
class Occasion:
    """Everything a renderer may need about the message being sent."""

    services: Services
    session: AsyncSession
    child: YoungPerson
    message: OutboxMessage
    translator: Translator


# None means "this no longer needs saying" (e.g. the check-in was cancelled): not sent.
Renderer = Callable[[Occasion], Awaitable[list[Message] | None]]
RENDERERS: dict[str, Renderer] = {}


def renders(kind: str) -> Callable[[Renderer], Renderer]:
    def register(renderer: Renderer) -> Renderer:
        RENDERERS[kind] = renderer
        return renderer

    return register


async def render(occasion: Occasion) -> list[Message] | None:
    renderer = RENDERERS.get(occasion.message.kind)
    if renderer is None:
        raise LookupError(f"no renderer for outbox kind {occasion.message.kind!r}")
    return await renderer(occasion)


# A child's tap on a proactive message's button: Action("respond", "<subject>_<id>", value),
# e.g. ("check_in_12", "ok") or ("reply_5", "thanks"). Each feature registers its subject.
Responder = Callable[["Chat", int, str], Awaitable[list[Message]]]
RESPONDERS: dict[str, Responder] = {}


def responds(subject: str) -> Callable[[Responder], Responder]:
    def register(responder: Responder) -> Responder:
        RESPONDERS[subject] = responder
        return responder

    return register


def respond_action(subject: str, subject_id: int, value: str) -> Action:
    """The button action for an answer to a proactive message."""
    return Action("respond", f"{subject}_{subject_id}", value)


def parse_subject(packed: str | None) -> tuple[Responder, int] | None:
    subject, _, number = (packed or "").rpartition("_")
    responder = RESPONDERS.get(subject)
    return (responder, int(number)) if responder and number.isdigit() else None
