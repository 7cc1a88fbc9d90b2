"""A child gives feedback: answers stored with their context, branching, back, stop, check it back."""

from __future__ import annotations

from sqlmodel import select

from api.runtime import Runtime
from core.models import Answer, CallbackRequest, ConversationRun
from tests.child import Child
from tests.stored import stored


async def _answers(runtime: Runtime, child: Child) -> dict[str, Answer]:
    return (await stored(runtime, child)).answers


async def test_feedback_menu_lists_the_conversations(onboarded: Child) -> None:
    await onboarded.send("/feedback")
    buttons = onboarded.buttons()
    for title in (
        "How are we doing?",
        "What's changed for me?",
        "How's life?",
        "Did we do what we said?",
        "Getting ready for my meeting",
        "I want to talk to someone",
    ):
        assert any(title in b for b in buttons), (title, buttons)
    assert all(any(ch.isalpha() for ch in b) for b in buttons)


async def test_answer_is_stored_with_question_area_version_language_and_time(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    assert "How well do your workers get to know the real you?" in onboarded.said()
    assert "Question 1 of 10" in onboarded.said()
    assert onboarded.buttons()[:5] == ["😀 Great", "🙂 Good", "😐 OK", "🙁 Bad", "😢 Awful"]
    for control in ("⏭️ Skip", "🤐 I'd rather not say", "◀️ Back", "⏹️ Stop"):
        assert control in onboarded.buttons()
    await onboarded.tap("🙂 Good")
    answer = (await _answers(runtime, onboarded))["individual"]
    assert (answer.value, answer.score, answer.area) == ("good", 4, "practice")
    assert (answer.content_version, answer.locale, answer.status) == (1, "en", "answered")
    assert answer.answered_at is not None and answer.answered_at.tzinfo is not None
    assert answer.confirmed is False


async def test_low_score_asks_to_tell_more_and_keeps_the_words(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    await onboarded.tap("😢 Awful")
    assert "Do you want to tell us more?" in onboarded.said()
    await onboarded.send("my worker never calls back")
    await onboarded.send("and I had to wait weeks")
    await onboarded.tap("▶️ Next")
    assert "How well do people listen to you" in onboarded.said()
    answers = await _answers(runtime, onboarded)
    assert answers["individual_more"].text == "my worker never calls back\nand I had to wait weeks"


async def test_good_score_does_not_ask_for_more(onboarded: Child) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    await onboarded.tap("😀 Great")
    assert "tell us more" not in onboarded.said()
    assert "How well do people listen to you" in onboarded.said()


async def test_back_changes_the_previous_answer(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("What's changed for me?")
    await onboarded.tap("😐 OK")
    await onboarded.tap("◀️ Back")
    assert "✅ 😐 OK" in onboarded.buttons()
    await onboarded.tap("😀 Great")
    answers = await _answers(runtime, onboarded)
    assert answers["clarity"].value == "great" and len(answers) == 1


async def test_skip_and_rather_not_say_are_recorded(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("Did we do what we said?")
    await onboarded.tap("⏭️ Skip")
    await onboarded.tap("🤐 I'd rather not say")
    answers = await _answers(runtime, onboarded)
    assert answers["kept_informed"].status == "skipped"
    assert answers["made_difference"].status == "rather_not_say"


async def test_stop_ends_and_keeps_what_was_given(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How's life?")
    await onboarded.tap("🙂 Good")
    await onboarded.tap("⏹️ Stop")
    assert "I saved what you told me" in onboarded.said()
    answers = await _answers(runtime, onboarded)
    assert answers["safe"].value == "good" and answers["safe"].confirmed is False
    async with runtime.sessionmaker() as session:
        statuses = (
            await session.exec(
                select(ConversationRun.status).where(ConversationRun.conversation_id == "hows_life")
            )
        ).all()
    assert list(statuses) == ["stopped"]


async def _finish_did_we_do(child: Child) -> None:
    await child.send("/feedback")
    await child.tap("Did we do what we said?")
    await child.tap("🙂 Good")
    await child.tap("😢 Awful")
    await child.send("nothing changed")
    await child.tap("▶️ Next")
    await child.tap("😐 OK")


async def test_check_it_back_plays_a_summary_and_confirms(
    onboarded: Child, runtime: Runtime
) -> None:
    await _finish_did_we_do(onboarded)
    said = onboarded.said()
    assert "You answered 4 questions" in said
    assert "Keeping me up to date: 🙂 Good" in said
    assert "“nothing changed”" in said
    assert "Did I get this right?" in said
    await onboarded.tap("✅ Yes, that's right")
    assert "Thank you" in onboarded.said()
    assert all(a.confirmed for a in (await _answers(runtime, onboarded)).values())


async def test_change_an_answer_from_the_summary(onboarded: Child, runtime: Runtime) -> None:
    await _finish_did_we_do(onboarded)
    await onboarded.tap("✏️ Change something")
    await onboarded.tap("✏️ Doing what we said")
    await onboarded.tap("😀 Great")
    assert "Doing what we said: 😀 Great" in onboarded.said()
    await onboarded.tap("✅ Yes, that's right")
    answers = await _answers(runtime, onboarded)
    assert answers["did_what_we_said"].value == "great" and answers["did_what_we_said"].confirmed


async def test_leaving_at_the_summary_leaves_answers_unconfirmed(
    onboarded: Child, runtime: Runtime
) -> None:
    await _finish_did_we_do(onboarded)
    await onboarded.tap("⏹️ Stop")
    assert not any(a.confirmed for a in (await _answers(runtime, onboarded)).values())


async def test_talk_to_someone_records_a_request_due_in_24_hours(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/talk")
    assert "call 999" in onboarded.said()
    await onboarded.tap("📞 Yes, please")
    await onboarded.tap("Where I live")
    await onboarded.tap("💬 Send me a message here")
    await onboarded.tap("⏭️ Skip")
    await onboarded.tap("✅ Yes, that's right")
    assert "Someone will contact you within 24 hours." in onboarded.said()
    assert "That is by" in onboarded.said()
    async with runtime.sessionmaker() as session:
        request = (await session.exec(select(CallbackRequest))).one()
    hours = (request.due_at - request.created_at).total_seconds() / 3600
    assert round(hours) == 24 and request.status == "open"


async def test_meeting_voice_note_is_kept_by_reference(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("Getting ready for my meeting")
    await onboarded.tap("My review")
    await onboarded.tap("🙁 Bad")
    for _ in range(3):
        await onboarded.tap("⏭️ Skip")
    await onboarded.tap("Someone speaks for me")
    assert "voice note" in onboarded.said()
    await onboarded.message(
        {"voice": {"file_id": "VOICE-1", "file_unique_id": "u1", "duration": 4}}
    )
    await onboarded.tap("▶️ Next")
    assert "Did I get this right?" in onboarded.said()
    answers = await _answers(runtime, onboarded)
    assert answers["voice_note"].voice_file_id == "VOICE-1"
    assert answers["meeting_type"].area is None


async def test_feedback_in_the_middle_of_a_conversation_asks_before_leaving_it(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    await onboarded.tap("🙂 Good")
    asked = onboarded.said()

    await onboarded.send("/feedback")
    assert "You are in the middle of “How are we doing?”" in onboarded.said()
    assert onboarded.buttons() == ["▶️ Carry on", "🆕 Start a new one"]
    await onboarded.tap("▶️ Carry on")
    assert "Question 2 of 10" in onboarded.said() and "Question 2 of 10" in asked
    await onboarded.tap("🙂 Good")  # still the same run: nothing was dropped

    await onboarded.send("/feedback")
    await onboarded.tap("🆕 Start a new one")
    assert "What would you like to tell us about?" in onboarded.said()
    await onboarded.tap("How's life?")
    async with runtime.sessionmaker() as session:
        found = (await session.exec(select(ConversationRun).order_by(ConversationRun.id))).all()
    mine = [(r.conversation_id, r.status) for r in found if r.conversation_id != "onboarding"]
    assert mine == [("how_are_we_doing", "left"), ("hows_life", "active")]
    assert len(await _answers(runtime, onboarded)) == 2  # both answers of the first are kept
