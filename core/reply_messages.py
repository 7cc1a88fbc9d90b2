""" "You said, we did" as a child reads it: the message, rendered when it is sent (in the
child's language of that moment), and what a tap on its buttons does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.content import Library
from core.models import Answer, Reply, ReplyRecipient, ReplyText, StaffNotice, utcnow
from core.proactive import Occasion, renders, respond_action, responds
from core.render import Button, Message, View, fill, label
from core.replies import REACTIONS, linked_questions, pick_text

if TYPE_CHECKING:
    from core.chat import Chat


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, inside the child's locale."""
    return message


HEADING = N_("📣 You said, we did")
ABOUT = N_("You told us about: {topics}")
STATUS_WORDS = {
    "done": N_("✅ Done"),
    "in_progress": N_("⏳ We are working on it"),
    "cannot": N_("❌ We can't do this"),
}
WHY = N_("Why: {why}")
OWN_WORDS = N_("What you wrote")
BUTTONS = {
    "thanks": N_("👍 Thanks"),
    "not_really": N_("👎 Not really"),
    "more": N_("💬 Tell me more"),
}
THANKS = {
    "thanks": N_("👍 Thank you for reading it."),
    "not_really": N_("Thank you for being honest. The team will see your answer."),
    "more": N_("💬 OK. We will ask your worker to get in touch with you about this."),
}
# A tap on a reply that is not theirs to answer (or a button this version does not know).
STALE = N_("That button is from an earlier message. Here is where we are.")
assert tuple(BUTTONS) == REACTIONS == tuple(THANKS)


async def topics(session: AsyncSession, reply: Reply, library: Library, view: View) -> list[str]:
    """What the reply answers, as the child reads it: each linked question's short label."""
    links = reply.links or {}
    pairs = linked_questions(reply, library)
    answer_ids = links.get("answer_ids", [])
    if answer_ids:
        query = select(Answer.conversation_id, Answer.question_id).where(
            col(Answer.id).in_(answer_ids)
        )
        pairs += [tuple(row) for row in (await session.exec(query)).all()]
    words: list[str] = []
    for conversation_id, question_id in pairs:
        conversation = library.get(conversation_id)
        question = conversation.question(question_id) if conversation else None
        words.append(label(question, view) if question else view.tr.gettext(OWN_WORDS))
    return list(dict.fromkeys(words))


def reply_message(reply: Reply, text: ReplyText, about: list[str], view: View) -> Message:
    tr = view.tr
    parts = [tr.gettext(HEADING)]
    if about:
        parts.append(fill(tr.gettext(ABOUT), {"topics": ", ".join(about)}))
    parts += [tr.gettext(STATUS_WORDS[reply.status]), text.body]
    if text.why:
        parts.append(fill(tr.gettext(WHY), {"why": text.why}))
    assert reply.id is not None
    buttons = [
        [Button(tr.gettext(BUTTONS[value]), respond_action("reply", reply.id, value))]
        for value in REACTIONS
    ]
    return Message("\n\n".join(parts), [buttons[0] + buttons[1], buttons[2]])


@renders("reply")
async def render_reply(occasion: Occasion) -> list[Message] | None:
    """None when the reply was cancelled, or the child is no longer among its recipients."""
    session, child = occasion.session, occasion.child
    reply_id = occasion.message.payload.get("reply_id")
    reply = await session.get(Reply, reply_id) if isinstance(reply_id, int) else None
    if reply is None or reply.state == "cancelled":
        return None
    if await session.get(ReplyRecipient, (reply.id, child.id)) is None:
        return None
    rows = (await session.exec(select(ReplyText).where(ReplyText.reply_id == reply.id))).all()
    settings = occasion.services.settings
    text = pick_text(
        {row.locale: row for row in rows}, occasion.translator.locale, settings.default_locale
    )
    if text is None:
        return None
    view = View(tr=occasion.translator, easy=child.reading_mode == "easy")
    about = await topics(session, reply, occasion.services.library, view)
    return [reply_message(reply, text, about, view)]


@responds("reply")
async def react(chat: Chat, reply_id: int, value: str) -> list[Message]:
    """The child's reaction is kept (a later tap changes it); "Tell me more" also tells their
    worker (or, with no worker yet, the admins) to get in touch."""
    tr, child = chat.tr, chat.child
    recipient = await chat.session.get(ReplyRecipient, (reply_id, child.id))
    if recipient is None or value not in REACTIONS:
        return [Message(tr.gettext(STALE)), *chat.menu()]
    before = recipient.reaction
    recipient.reaction, recipient.reacted_at = value, utcnow()
    if value == "more" and before != "more":
        chat.session.add(
            StaffNotice(
                staff_id=child.worker_id,
                young_person_id=child.id,
                kind="reply.tell_me_more",
                detail={"reply_id": reply_id},
            )
        )
    return [Message(tr.gettext(THANKS[value]))]
