"""What a child sees of their own data (/mydata) and how they delete it (/delete), in their
language and plain words. The storage side is core/data_rights.py."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import render
from core.content import Library
from core.data_rights import erase
from core.engine import Given
from core.models import Alert, Answer, CallbackRequest, Concern, YoungPerson
from core.render import N_, Action, Button, Message, View
from core.settings_flow import settings_message

MAX_ANSWERS_SHOWN = 200


async def my_data(
    session: AsyncSession, *, child: YoungPerson, library: Library, view: View
) -> list[Message]:
    tr = view.tr
    held = (await session.exec(select(Alert.id).where(Alert.young_person_id == child.id))).first()
    if held is None:
        query = select(Concern.id).where(Concern.young_person_id == child.id)
        held = (await session.exec(query)).first()
    settings = await settings_message(
        session, child=child, onboarding=library.onboarding, view=view
    )
    messages = [
        Message(tr.gettext("📋 This is what we keep about you.")),
        Message(settings.text),
        *await _answers(session, child, library, view),
    ]
    callbacks = await session.exec(
        select(CallbackRequest).where(CallbackRequest.young_person_id == child.id)
    )
    count = len(callbacks.all())
    if count:
        line = tr.ngettext(
            "📞 You asked for someone to contact you {n} time.",
            "📞 You asked for someone to contact you {n} times.",
            count,
        )
        messages.append(Message(render.fill(line, {"n": count})))
    if held is not None:
        messages.append(Message(tr.gettext(_HOLD_NOTE)))
    if child.channel == "web":
        source = tr.gettext(
            "We keep nothing else about your phone, only a code that opens this chat."
        )
    else:
        source = tr.gettext("We keep nothing else from Telegram, only a number for this chat.")
    messages.append(
        Message(source, [[Button(tr.gettext("🗑️ Delete my data"), Action("forget", value="ask"))]])
    )
    return messages


_HOLD_NOTE = N_(
    "🛡️ We also keep a safety record. It says when you told us something worrying. "
    "We must keep it to keep you safe."
)


async def _answers(
    session: AsyncSession, child: YoungPerson, library: Library, view: View
) -> list[Message]:
    tr = view.tr
    rows = await session.exec(
        select(Answer)
        .where(Answer.young_person_id == child.id)
        .order_by(col(Answer.answered_at))
        .limit(MAX_ANSWERS_SHOWN)
    )
    by_conversation: dict[str, list[str]] = defaultdict(list)
    for answer in rows.all():
        conversation = library.get(answer.conversation_id)
        question = conversation.question(answer.question_id) if conversation else None
        given = Given(
            status=answer.status,  # type: ignore[arg-type]
            value=answer.value,
            has_text=bool(answer.text or answer.voice_file_id),
        )
        asked = render.label(question, view) if question else tr.gettext("Your own words")
        shown = (
            render.answer_text(question, given, view, answer.text)
            if question
            else f"“{answer.text or ''}”"
        )
        title = render.title(conversation, view) if conversation else answer.conversation_id
        by_conversation[title].append(f"• {asked}: {shown}")
    if not by_conversation:
        return [Message(tr.gettext("You have not given any answers yet."))]
    return [Message("\n".join([title, *lines])) for title, lines in by_conversation.items()]


def ask_to_delete(view: View) -> list[Message]:
    tr = view.tr
    return [
        Message(
            tr.gettext("Do you want to delete your answers and settings? This cannot be undone."),
            [
                [Button(tr.gettext("🗑️ Yes, delete them"), Action("forget", value="yes"))],
                [Button(tr.gettext("↩️ No, keep them"), Action("forget", value="no"))],
            ],
        )
    ]


async def delete_my_data(session: AsyncSession, *, child: YoungPerson, view: View) -> list[Message]:
    """Erase, then tell the child what was kept and why. The chat id is all that is needed to
    answer, and it is gone from the database once this commits."""
    assert child.id is not None
    tr = view.tr
    _, kept = await erase(session, child.id)
    messages = [Message(tr.gettext("✅ Done. I deleted your answers and your settings."))]
    if kept:
        messages.append(Message(tr.gettext(_HOLD_NOTE)))
        messages.append(Message(tr.gettext("Your worker can tell you more about it.")))
    messages.append(Message(tr.gettext("If you write to me again, we will start fresh.")))
    return messages
