"""The check tier: words that might be something, met gently and kept for staff to review.

The child hears that it sounds like something might be hard, gets a free helpline, and is asked
one question: do you want to tell me more? Three taps: tell more (their next words are kept
with this concern and screened with it), ask someone to call (a call-back with the same promise
as "I want to talk to someone"), or carry on. Nothing is paged: a concern waits in its own
list for staff (GET /concerns). No secrecy is promised, and the words are kept either way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.audit import record
from core.helplines import helplines
from core.i18n import Translator
from core.models import Concern, YoungPerson, utcnow
from core.proactive import respond_action, responds
from core.render import N_, Button, Message

if TYPE_CHECKING:
    from core.chat import Chat
    from core.screening_triage import Verdict

# A child who asked to tell more is listened to for this long; after that, words are words.
LISTEN_FOR = timedelta(hours=1)

SOUNDS_HARD = N_("It sounds like something might be hard.")
ANY_TIME = N_("You can talk to someone any time. It is free:")
TELL_MORE = N_("Do you want to tell me more?")
MORE = N_("💬 Tell you more")
CALL = N_("📞 Ask someone to call me")
CARRY_ON = N_("▶️ Carry on")  # also after an alert's fixed reply (safeguarding)
LISTENING = N_("I am listening. Type what you want to say.")
KEPT = N_("Thank you for telling me. I kept your words. Your worker can read them.")
CALL_ASKED = N_("OK. I asked for someone to call you.")


def set_words(concern: Concern, words: str | None) -> None:
    concern.message = words  # sealed at rest by the column type


def words_of(concern: Concern) -> str | None:
    return concern.message


def raise_concern(
    session: AsyncSession,
    *,
    child: YoungPerson,
    verdict: Verdict,
    source: str,
    words: str | None,
    locale: str,
) -> Concern:
    """Added to the caller's transaction, with the child's words; audited without them."""
    assert child.id is not None
    concern = Concern(
        young_person_id=child.id,
        categories=list(verdict.categories),
        about_someone_else=verdict.about_someone_else,
        source=source,
        layer=verdict.layer,
        score=verdict.score,
        matched=list(verdict.matched),
        locale=locale,
    )
    set_words(concern, words)
    session.add(concern)
    record(
        session,
        staff_id=None,
        action="concern.raise",
        young_person_id=child.id,
        detail={"categories": concern.categories, "layer": verdict.layer},
    )
    return concern


def _carry_on(tr: Translator, concern_id: int) -> Button:
    return Button(tr.gettext(CARRY_ON), respond_action("concern", concern_id, "carry_on"))


def check_reply(tr: Translator, concern: Concern, band: str | None) -> list[Message]:
    """Gentle and short: no alarm, a helpline, one question and three buttons."""
    assert concern.id is not None
    buttons = [
        [Button(tr.gettext(MORE), respond_action("concern", concern.id, "more"))],
        [Button(tr.gettext(CALL), respond_action("concern", concern.id, "call"))],
        [_carry_on(tr, concern.id)],
    ]
    return [
        Message(tr.gettext(SOUNDS_HARD)),
        Message("\n".join([tr.gettext(ANY_TIME), *helplines(tr, band)])),
        Message(tr.gettext(TELL_MORE), buttons),
    ]


async def listening_to(session: AsyncSession, child: YoungPerson) -> Concern | None:
    """The concern whose "tell more" this child tapped in the last hour, if any."""
    since = utcnow() - LISTEN_FOR
    query = (
        select(Concern)
        .where(
            Concern.young_person_id == child.id,
            col(Concern.listening).is_(True),
            col(Concern.raised_at) >= since,
        )
        .order_by(col(Concern.id).desc())
    )
    return (await session.exec(query.limit(1))).first()


def kept_reply(tr: Translator, concern: Concern) -> list[Message]:
    """After the child told more: thanks, and how to carry on."""
    assert concern.id is not None
    return [Message(tr.gettext(KEPT), [[_carry_on(tr, concern.id)]])]


@responds("concern")
async def answered(chat: Chat, concern_id: int, value: str) -> list[Message]:
    """A tap on one of the check's buttons (only the child's own concern counts)."""
    concern = await chat.session.get(Concern, concern_id)
    if concern is None or concern.young_person_id != chat.child.id:
        return await chat.where_we_are()
    if value == "more":
        concern.child_choice, concern.listening = "more", True
        return [Message(chat.tr.gettext(LISTENING), [[_carry_on(chat.tr, concern_id)]])]
    concern.listening = False
    if value == "call":
        concern.child_choice = "call"
        return [Message(chat.tr.gettext(CALL_ASKED)), *await chat.ask_for_call()]
    concern.child_choice = concern.child_choice or "carry_on"
    return await chat.where_we_are()
