""" "You said, we did" as a child gets it: at the first moment their rules allow, in their
language, with honest words and buttons, and a tap that is kept."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
from sqlmodel import col, select

from api.runtime import Runtime
from bot.outbox_sender import create_delivery
from bot.send import show
from core.chat import Chat
from core.models import (
    Preferences,
    ReplyRecipient,
    ReplyText,
    StaffNotice,
    YoungPerson,
    utcnow,
)
from core.replies import pick_text, queue_due_replies
from tests.child import Child
from tests.replies_helpers import give_answer, outbox_of, rendered, reply_body
from tests.staff import add_child, add_staff

LONDON = ZoneInfo("Europe/London")


def _next(weekday: int, hour: int, minute: int = 0) -> datetime:
    """The next `weekday` (Monday = 0) at least two days away, at a London time."""
    day = datetime.now(LONDON).date() + timedelta(days=2)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute), LONDON)


async def _set_prefs(runtime: Runtime, child_id: int, **fields: object) -> None:
    """Stored the way onboarding stores them: the defaults first, then the child's choices
    (an INSERT of None would take the column's default instead)."""
    async with runtime.sessionmaker() as session:
        prefs = Preferences(young_person_id=child_id)
        session.add(prefs)
        await session.flush()
        for name, value in fields.items():
            setattr(prefs, name, value)
        await session.commit()


async def test_each_child_gets_it_at_the_first_moment_their_rules_allow(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    night_owl, weekender, anytime, defaults = [
        await add_child(runtime, worker_id=None) for _ in range(4)
    ]
    await _set_prefs(runtime, night_owl, quiet_start=time(23, 0), quiet_end=time(7, 0))
    await _set_prefs(runtime, weekender, preferred_days=[5, 6], preferred_hours=[[15, 18]])
    await _set_prefs(runtime, anytime, quiet_start=None, quiet_end=None, preferred_hours=[[0, 24]])
    wednesday_night = _next(2, 22, 30)  # inside the default quiet time (21:00 to 08:00)
    group = [night_owl, weekender, anytime, defaults]
    created = await admin.post(
        "/replies",
        json=reply_body(child_ids=group, send_at=wednesday_night.isoformat()),
    )
    assert created.status_code == 201, created.text
    reply_id = created.json()["id"]
    assert await outbox_of(runtime, reply_id) == []  # nothing before its time

    settings = runtime.services.settings
    await queue_due_replies(
        runtime.sessionmaker,
        library=runtime.services.library,
        timezone=settings.timezone,
        now=wednesday_night.astimezone(UTC),
    )
    due = {
        m.young_person_id: m.due_at.astimezone(LONDON) for m in await outbox_of(runtime, reply_id)
    }
    thursday, saturday = (wednesday_night.date() + timedelta(days=n) for n in (1, 3))
    # Quiet from 23:00 and preferred hours 9-21 by default: the next morning at 9.
    assert due[night_owl] == datetime.combine(thursday, time(9), LONDON)
    assert due[weekender] == datetime.combine(saturday, time(15), LONDON)
    assert due[anytime] == wednesday_night
    assert due[defaults] == datetime.combine(thursday, time(9), LONDON)


async def test_a_late_run_of_the_clock_never_sends_in_quiet_hours(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    tuesday_afternoon = _next(1, 16)
    created = await admin.post(
        "/replies",
        json=reply_body(child_ids=[child], send_at=tuesday_afternoon.isoformat()),
    )
    # The service was down until 23:00 that night: the reply waits for the morning.
    late = tuesday_afternoon.replace(hour=23)
    await queue_due_replies(
        runtime.sessionmaker,
        library=runtime.services.library,
        timezone=runtime.services.settings.timezone,
        now=late.astimezone(UTC),
    )
    (message,) = await outbox_of(runtime, created.json()["id"])
    morning = datetime.combine(late.date() + timedelta(days=1), time(9), LONDON)
    assert message.due_at.astimezone(LONDON) == morning


async def test_the_message_says_what_it_answers_the_status_the_reply_and_why(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None, locale="en")
    await give_answer(runtime, child, "listened")
    await give_answer(runtime, child, "say")
    body = reply_body(
        status="cannot",
        links={"outcomes": ["listened", "say"]},
        texts={
            "en": {
                "body": "We can't give everyone the same worker for years.",
                "why": "Workers move teams, and we must share them fairly.",
            }
        },
    )
    reply_id = (await admin.post("/replies", json=body)).json()["id"]
    (message,) = await outbox_of(runtime, reply_id)
    (shown,) = await rendered(runtime, message) or []
    assert shown.text == (
        "📣 You said, we did\n\n"
        "You told us about: Being listened to, Having a say\n\n"
        "❌ We can't do this\n\n"
        "We can't give everyone the same worker for years.\n\n"
        "Why: Workers move teams, and we must share them fairly."
    )
    labels = [[b.label for b in row] for row in shown.buttons]
    assert labels == [["👍 Thanks", "👎 Not really"], ["💬 Tell me more"]]
    values = {b.action.value for row in shown.buttons for b in row}
    assert values == {"thanks", "not_really", "more"}
    assert {b.action.question_id for row in shown.buttons for b in row} == {f"reply_{reply_id}"}


async def test_status_words_for_done_and_in_progress_and_an_answer_link(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    words = await give_answer(
        runtime, child, "anything_else", conversation_id="nope_gone", status="answered"
    )
    for status, expected in (("done", "✅ Done"), ("in_progress", "⏳ We are working on it")):
        reply = await admin.post(
            "/replies", json=reply_body(status=status, links={"answer_ids": [words]})
        )
        (message,) = await outbox_of(runtime, reply.json()["id"])
        (shown,) = await rendered(runtime, message) or []
        parts = shown.text.split("\n\n")
        # An answer to a question no longer in the content still reads as the child's words.
        assert parts[1:3] == ["You told us about: What you wrote", expected]
        assert "Why:" not in shown.text


async def test_the_text_falls_back_to_the_default_language_then_to_any(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    welsh, polish, ukrainian = [
        await add_child(runtime, worker_id=None, locale=code) for code in ("cy", "pl", "uk")
    ]
    both = reply_body(
        child_ids=[welsh, polish],
        texts={"en": {"body": "We fixed the bus passes."}, "cy": {"body": "Rydym wedi trwsio."}},
    )
    reply_id = (await admin.post("/replies", json=both)).json()["id"]
    by_child = {m.young_person_id: m for m in await outbox_of(runtime, reply_id)}
    welsh_text = (await rendered(runtime, by_child[welsh]) or [])[0].text
    polish_text = (await rendered(runtime, by_child[polish]) or [])[0].text
    assert "Rydym wedi trwsio." in welsh_text and "bus passes" not in welsh_text
    assert "We fixed the bus passes." in polish_text

    only_welsh = reply_body(child_ids=[ukrainian], texts={"cy": {"body": "Rydym wedi trwsio."}})
    reply_id = (await admin.post("/replies", json=only_welsh)).json()["id"]
    (message,) = await outbox_of(runtime, reply_id)
    assert "Rydym wedi trwsio." in (await rendered(runtime, message) or [])[0].text


def test_pick_text_order() -> None:
    texts = {code: ReplyText(reply_id=1, locale=code, body=code) for code in ("ar", "cy", "en")}
    assert pick_text(texts, "cy", "en").body == "cy"  # type: ignore[union-attr]
    assert pick_text(texts, "pl", "en").body == "en"  # type: ignore[union-attr]
    assert pick_text(texts, "pl", "ar").body == "ar"  # type: ignore[union-attr]
    assert pick_text({"fa": texts["en"]}, "pl", "en").body == "en"  # type: ignore[union-attr]
    assert pick_text({}, "pl", "en") is None


async def _deliver(runtime: Runtime, child: Child, reply_id: int) -> None:
    """Render the child's outbox message and show it on Telegram, as delivery does."""
    (message,) = await outbox_of(runtime, reply_id)
    messages = await rendered(runtime, message)
    assert messages is not None
    async with runtime.sessionmaker() as session:
        young = await session.get(YoungPerson, message.young_person_id)
        assert young is not None and runtime.bot is not None
        chat = Chat(runtime.services, session, young, hint=None)
        await show(runtime.bot, chat, messages)


async def _child_id(runtime: Runtime, child: Child) -> int:
    async with runtime.sessionmaker() as session:
        found = await session.exec(
            select(YoungPerson.id).where(YoungPerson.telegram_chat_id == child.chat_id)
        )
        child_id = found.one()
        assert child_id is not None
        return child_id


async def test_a_child_taps_a_reaction_and_it_is_kept(
    runtime: Runtime, admin: httpx.AsyncClient, onboarded: Child
) -> None:
    worker_id = await add_staff(runtime, "kit@council.example")
    child_id = await _child_id(runtime, onboarded)
    async with runtime.sessionmaker() as session:
        young = await session.get(YoungPerson, child_id)
        assert young is not None
        young.worker_id = worker_id
        await session.commit()
    await give_answer(runtime, child_id, "listened")
    reply_id = (await admin.post("/replies", json=reply_body())).json()["id"]
    await _deliver(runtime, onboarded, reply_id)
    assert onboarded.last_text().startswith("📣 You said, we did")

    await onboarded.tap("👍 Thanks")
    assert onboarded.said() == "👍 Thank you for reading it."
    figures = (await admin.get(f"/replies/{reply_id}")).json()["delivery"]
    assert figures["reactions"] == {"thanks": 1, "not_really": 0, "more": 0}

    await onboarded.tap("👎 Not really")
    assert onboarded.said() == "Thank you for being honest. The team will see your answer."

    await onboarded.tap("💬 Tell me more")
    assert "ask your worker to get in touch" in onboarded.said()
    await onboarded.tap("💬 Tell me more")  # a second tap tells the worker once
    async with runtime.sessionmaker() as session:
        recipient = await session.get(ReplyRecipient, (reply_id, child_id))
        assert recipient is not None
        assert recipient.reaction == "more" and recipient.reacted_at is not None
        notices = (
            await session.exec(
                select(StaffNotice).where(col(StaffNotice.young_person_id) == child_id)
            )
        ).all()
    assert [(n.staff_id, n.kind, n.detail) for n in notices] == [
        (worker_id, "reply.tell_me_more", {"reply_id": reply_id})
    ]
    figures = (await admin.get(f"/replies/{reply_id}")).json()["delivery"]
    assert figures["reactions"] == {"thanks": 0, "not_really": 0, "more": 1}
    recipients = (await admin.get(f"/replies/{reply_id}/recipients?reaction=more")).json()
    assert [r["child_id"] for r in recipients] == [child_id]


async def test_a_tap_on_someone_elses_reply_changes_nothing(
    runtime: Runtime, admin: httpx.AsyncClient, onboarded: Child
) -> None:
    other = await add_child(runtime, worker_id=None)
    reply = await admin.post("/replies", json=reply_body(child_ids=[other]))
    reply_id = reply.json()["id"]
    await onboarded.press(f"t:0:p:reply_{reply_id}:thanks")
    assert "That button is from an earlier message" in onboarded.said()
    await onboarded.press(f"t:0:p:reply_{reply_id}:bogus")
    assert "That button is from an earlier message" in onboarded.said()
    figures = (await admin.get(f"/replies/{reply_id}")).json()["delivery"]
    assert figures["reactions"] == {"thanks": 0, "not_really": 0, "more": 0}


async def test_a_cancelled_reply_is_not_rendered(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    reply = await admin.post("/replies", json=reply_body(child_ids=[child]))
    (message,) = await outbox_of(runtime, reply.json()["id"])
    assert await rendered(runtime, message) is not None
    await admin.post(f"/replies/{reply.json()['id']}/cancel")
    assert await rendered(runtime, message) is None
    assert utcnow() >= message.created_at


async def test_the_real_delivery_sends_it_and_the_child_reacts(
    runtime: Runtime, admin: httpx.AsyncClient, onboarded: Child
) -> None:
    child_id = await _child_id(runtime, onboarded)
    async with runtime.sessionmaker() as session:
        prefs = await session.get(Preferences, child_id)
        assert prefs is not None
        # Any time of day, so the test does not depend on the clock.
        prefs.quiet_start, prefs.quiet_end, prefs.preferred_hours = None, None, [[0, 24]]
        await session.commit()
    reply_id = (await admin.post("/replies", json=reply_body(child_ids=[child_id]))).json()["id"]
    assert runtime.bot is not None
    delivery = create_delivery(
        services=runtime.services, sessionmaker=runtime.sessionmaker, bot=runtime.bot
    )
    assert await delivery.tick() == 1
    assert onboarded.last_text().startswith("📣 You said, we did")
    await onboarded.tap("👍 Thanks")
    figures = (await admin.get(f"/replies/{reply_id}")).json()["delivery"]
    assert figures == {
        "recipients": 1,
        "sent": 1,
        "waiting": 0,
        "failed": 0,
        "reactions": {"thanks": 1, "not_really": 0, "more": 0},
    }
