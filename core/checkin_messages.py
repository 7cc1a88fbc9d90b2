"""What a check-in's messages say (decided when each is sent, in the child's language then), and
what a tap on them does. A message whose check-in has moved on is not sent (None)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from core import checkins, render
from core import when as timing
from core.children import active_run
from core.models import CheckIn, utcnow
from core.proactive import Occasion, renders, respond_action, responds
from core.render import Button, Message, View

if TYPE_CHECKING:
    from core.chat import Chat

SUBJECT = "check_in"


def _is_for(check_in: CheckIn | None, occasion: Occasion, statuses: tuple[str, ...]) -> bool:
    """Still true: the check-in exists, is in one of `statuses`, at the time the row speaks of."""
    if check_in is None or check_in.status not in statuses:
        return False
    planned = occasion.message.payload.get("planned_for")
    return planned is None or datetime.fromisoformat(planned) == check_in.planned_for


async def _check_in(occasion: Occasion) -> CheckIn | None:
    check_in_id = occasion.message.payload.get("check_in_id")
    if not isinstance(check_in_id, int):
        return None
    check_in = await occasion.session.get(CheckIn, check_in_id)
    return check_in if check_in and check_in.young_person_id == occasion.child.id else None


def _day(check_in: CheckIn, occasion: Occasion) -> dict[str, str]:
    timezone = occasion.services.settings.timezone
    return timing.local_parts(check_in.planned_for, timezone, occasion.translator.locale)


def _when(check_in: CheckIn, occasion: Occasion) -> dict[str, str]:
    """{"when": "about 4 PM tomorrow"}, said as the message goes (so "tomorrow" is true then)."""
    return {
        "when": timing.human_time(
            check_in.planned_for,
            now=utcnow(),
            timezone=occasion.services.settings.timezone,
            tr=occasion.translator,
        )
    }


def _start_button(check_in: CheckIn, occasion: Occasion) -> list[list[Button]]:
    conversation = occasion.services.library.get(check_in.conversation_id)
    tr = occasion.translator
    label = tr.gettext("▶️ Start")
    if conversation is not None:
        view = View(tr=tr, easy=occasion.child.reading_mode == "easy")
        label = render.title(conversation, view)
    assert check_in.id is not None
    return [[Button(label, respond_action(SUBJECT, check_in.id, "start"))]]


@renders("heads_up")
async def heads_up(occasion: Occasion) -> list[Message] | None:
    check_in = await _check_in(occasion)
    if check_in is None or not _is_for(check_in, occasion, ("waiting_for_child",)):
        return None
    tr = occasion.translator
    text = render.fill(
        tr.gettext("Your worker would like to check in at {when}. Is that OK?"),
        _when(check_in, occasion),
    )
    assert check_in.id is not None
    buttons = [
        [Button(tr.gettext("👍 OK"), respond_action(SUBJECT, check_in.id, "ok"))],
        [
            Button(
                tr.gettext("📅 Another time"), respond_action(SUBJECT, check_in.id, "another_time")
            )
        ],
        [
            Button(
                tr.gettext("🧑 Ask my carer first"),
                respond_action(SUBJECT, check_in.id, "ask_carer"),
            )
        ],
    ]
    return [Message(text, buttons)]


@renders("check_in")
async def check_in_message(occasion: Occasion) -> list[Message] | None:
    check_in = await _check_in(occasion)
    if check_in is None or not _is_for(
        check_in, occasion, ("waiting_for_child", "scheduled", "due")
    ):
        return None
    tr = occasion.translator
    text = tr.gettext("It is time for your check-in. Tap the button to start.")
    return [Message(text, _start_button(check_in, occasion))]


@renders("reminder")
async def reminder(occasion: Occasion) -> list[Message] | None:
    check_in = await _check_in(occasion)
    if check_in is None or not _is_for(check_in, occasion, ("due",)):
        return None
    tr = occasion.translator
    text = tr.gettext("Your worker would still like to hear from you. Tap the button to start.")
    return [Message(text, _start_button(check_in, occasion))]


@renders("change")
async def change(occasion: Occasion) -> list[Message] | None:
    check_in = await _check_in(occasion)
    if check_in is None or not _is_for(check_in, occasion, checkins.CHANGEABLE):
        return None
    text = occasion.translator.gettext("📅 Your check-in has moved. It is now at {when}.")
    return [Message(render.fill(text, _when(check_in, occasion)))]


@renders("cancel")
async def cancel(occasion: Occasion) -> list[Message] | None:
    check_in = await _check_in(occasion)
    if check_in is None or not _is_for(check_in, occasion, ("cancelled",)):
        return None
    text = occasion.translator.gettext("Your check-in on {day} will not happen now.")
    return [Message(render.fill(text, _day(check_in, occasion)))]


@responds(SUBJECT)
async def respond(chat: Chat, check_in_id: int, value: str) -> list[Message]:
    """A tap on a heads-up (OK / Another time / Ask my carer first) or on Start."""
    check_in = await chat.session.get(CheckIn, check_in_id)
    tr = chat.tr
    if check_in is None or check_in.young_person_id != chat.child.id:
        return [Message(tr.gettext("That check-in is not planned any more.")), *chat.menu()]
    if value == "start":
        return await _start(chat, check_in)
    if not await checkins.answer_heads_up(chat.session, check_in=check_in, value=value):
        return [Message(tr.gettext("That check-in has changed. Nothing else to do.")), *chat.menu()]
    if value == "ok":
        when = timing.human_time(
            check_in.planned_for, now=utcnow(), timezone=chat.services.settings.timezone, tr=tr
        )
        text = tr.gettext("👍 Thanks. I will message you at {when}.")
        return [Message(render.fill(text, {"when": when}))]
    if value == "another_time":
        return [Message(tr.gettext("OK. I will ask your worker to pick another time."))]
    return [Message(tr.gettext("OK. I will ask your worker to talk to your carer first."))]


async def _start(chat: Chat, check_in: CheckIn) -> list[Message]:
    if check_in.status in ("done", "started") and check_in.run_id is not None:
        run = await active_run(chat.session, chat.child)
        if run is not None and run.id == check_in.run_id:
            return await chat.start()
    if check_in.status not in checkins.STARTABLE:
        note = Message(chat.tr.gettext("That check-in is over. Thank you!"))
        return [note, *chat.menu()]
    messages = await chat.begin(check_in.conversation_id)
    run = await active_run(chat.session, chat.child)
    if run is not None and run.conversation_id == check_in.conversation_id:
        checkins.started(check_in, run)
    return messages
