"""What children really send: odd taps, old keyboards, repeats, stickers, long words, groups."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiogram.methods import LeaveChat, SendMessage
from sqlmodel import select

from api.runtime import Runtime, build_runtime
from core.config import Settings
from core.models import Answer
from tests.child import Child, next_update_id
from tests.telegram_stub import StubSession


async def _answers(runtime: Runtime) -> list[Answer]:
    async with runtime.sessionmaker() as session:
        return list((await session.exec(select(Answer))).all())


async def test_unknown_callback_data_gets_a_kind_reply(onboarded: Child) -> None:
    await onboarded.press("not-ours:at:all")
    assert "That button is from an earlier message" in onboarded.said()
    assert "What would you like to tell us about?" in onboarded.said()


async def test_tap_on_an_old_keyboard_shows_where_we_are(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    first = onboarded.replies[-1].reply_markup.inline_keyboard[0][0].callback_data
    await onboarded.tap("😀 Great")
    await onboarded.press(first)  # the first question's keyboard again
    assert "That button is from an earlier message" in onboarded.said()
    assert "How well do people listen to you" in onboarded.said()
    assert [a.value for a in await _answers(runtime)] == ["great"]


async def test_the_same_update_twice_is_processed_once(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    data = onboarded.replies[-1].reply_markup.inline_keyboard[0][0].callback_data
    body = {
        "callback_query": {
            "id": "q1",
            "from": onboarded._user(),
            "chat_instance": "c",
            "data": data,
        }
    }
    update_id = next_update_id()
    await onboarded.feed(body, update_id=update_id)
    assert onboarded.replies
    await onboarded.feed(body, update_id=update_id)
    assert onboarded.replies == []
    assert len(await _answers(runtime)) == 1


async def test_the_same_update_at_once_is_processed_once(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    before = len(onboarded.stub.sent(onboarded.chat_id))
    data = onboarded.replies[-1].reply_markup.inline_keyboard[2][0].callback_data
    body = {
        "callback_query": {
            "id": "q2",
            "from": onboarded._user(),
            "chat_instance": "c",
            "data": data,
        }
    }
    update_id = next_update_id()
    await asyncio.gather(*(onboarded.feed(body, update_id=update_id) for _ in range(3)))
    assert len(onboarded.stub.sent(onboarded.chat_id)) - before == 1
    assert [a.value for a in await _answers(runtime)] == ["ok"]


async def test_typed_words_where_a_tap_was_expected_are_kept(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How's life?")
    await onboarded.send("i dont really know tbh")
    assert "I saved your words" in onboarded.said()
    assert "😀 Great" in onboarded.buttons()
    await onboarded.tap("😐 OK")
    [answer] = await _answers(runtime)
    assert (answer.value, answer.text) == ("ok", "i dont really know tbh")


async def test_emoji_or_word_typed_instead_of_a_tap_counts_as_that_answer(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How's life?")
    await onboarded.send("😀")
    assert "How settled do you feel" in onboarded.said()
    await onboarded.send("Awful!")
    values = [a.value for a in await _answers(runtime)]
    assert values == ["great", "awful"]


async def test_five_thousand_characters_are_kept_whole(onboarded: Child, runtime: Runtime) -> None:
    words = ("I want to say this. " * 250)[:5000]
    await onboarded.send("/feedback")
    await onboarded.tap("Something else")
    await onboarded.send(words)
    await onboarded.tap("▶️ Next")
    assert all(len(r.text) <= 4096 for r in onboarded.replies)
    [answer] = await _answers(runtime)
    assert answer.text == words


async def test_free_text_with_no_conversation_open_is_kept(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("my placement is going well")
    assert "I saved that" in onboarded.said()
    [answer] = await _answers(runtime)
    assert answer.text == "my placement is going well"


async def test_stickers_photos_places_and_contacts_are_not_kept(
    onboarded: Child, runtime: Runtime
) -> None:
    sticker = {
        "file_id": "S",
        "file_unique_id": "s",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
    photo = [{"file_id": "P", "file_unique_id": "p", "width": 1, "height": 1}]
    for content in (
        {"sticker": sticker},
        {"photo": photo},
        {"location": {"latitude": 51.5, "longitude": 0.1}},
        {"contact": {"phone_number": "+447700900123", "first_name": "X"}},
        {"document": {"file_id": "D", "file_unique_id": "d"}},
    ):
        await onboarded.message(content)
        assert "Sorry, I can't take that" in onboarded.said()
    assert await _answers(runtime) == []


async def test_photo_caption_words_are_kept_but_not_the_photo(
    onboarded: Child, runtime: Runtime
) -> None:
    photo = [{"file_id": "P", "file_unique_id": "p", "width": 1, "height": 1}]
    await onboarded.message({"photo": photo, "caption": "this is my room"})
    assert "I can't keep photos" in onboarded.said()
    [answer] = await _answers(runtime)
    assert answer.text == "this is my room" and answer.voice_file_id is None


async def test_in_a_group_the_bot_says_nothing_and_leaves(
    make_child: Callable[..., Child], stub: StubSession
) -> None:
    child = make_child()
    await child.message({"text": "/start"}, chat_type="group")
    assert child.replies == []
    assert any(isinstance(r, LeaveChat) for r in stub.requests)


async def test_progress_survives_a_restart(
    onboarded: Child, runtime: Runtime, settings: Settings
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("What's changed for me?")
    await onboarded.tap("🙂 Good")
    keyboard = onboarded.replies[-1].reply_markup.inline_keyboard
    await runtime.close()
    stub = StubSession()
    restarted = await build_runtime(settings, bot_session=stub)
    try:
        again = Child(restarted, stub, onboarded.chat_id)
        await again.press(keyboard[0][0].callback_data)  # the last keyboard still works
        assert "How do you feel about yourself now?" in again.said()
        await again.send("/start")
        assert "carry on where you left off" in again.said()
        assert "How do you feel about yourself now?" in again.said()
        values = [a.value for a in await _answers(restarted)]
        assert values == ["good", "great"]
    finally:
        await restarted.close()


async def test_unknown_command_is_answered_with_help(onboarded: Child) -> None:
    await onboarded.send("/dance")
    assert "I don't know that command" in onboarded.said()
    assert isinstance(onboarded.replies[-1], SendMessage)


async def test_a_newcomer_who_types_first_hears_who_reads_and_the_words_are_kept(
    make_child: Callable[..., Child], runtime: Runtime
) -> None:
    child = make_child()
    await child.send("hello is anyone there")
    assert "I am sayso" in child.said()
    assert [a.text for a in await _answers(runtime)] == ["hello is anyone there"]


async def test_a_voice_note_nobody_asked_for_is_kept(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.message(
        {"voice": {"file_id": "VOICE-9", "file_unique_id": "v9", "duration": 3}}
    )
    assert "kept your voice note" in onboarded.said()
    assert [a.voice_file_id for a in await _answers(runtime)] == ["VOICE-9"]


async def test_words_typed_at_the_summary_are_kept(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("Did we do what we said?")
    for _ in range(3):
        await onboarded.tap("⏭️ Skip")
    assert "Did I get this right?" in onboarded.said()
    await onboarded.send("actually it was better than that")
    assert "I saved your words" in onboarded.said() and "Did I get this right?" in onboarded.said()
    texts = [a.text for a in await _answers(runtime) if a.text]
    assert texts == ["actually it was better than that"]


async def test_a_newcomers_first_update_twice_at_once_is_processed_once(
    make_child: Callable[..., Child], runtime: Runtime
) -> None:
    child = make_child()
    body = {
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "text": "/start",
            "chat": {"id": child.chat_id, "type": "private"},
            "from": child._user(),
        }
    }
    update_id = next_update_id()
    await asyncio.gather(*(child.feed(body, update_id=update_id) for _ in range(3)))
    assert len([m for m in child.stub.sent(child.chat_id) if "I am sayso" in m.text]) == 1


async def test_an_edited_message_keeps_the_new_words_too(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("Something else")
    await onboarded.send("my carer is nice")
    edit = {
        "message_id": 9,
        "date": 1700000000,
        "edit_date": 1700000100,
        "text": "my carer is really nice",
        "chat": {"id": onboarded.chat_id, "type": "private"},
        "from": onboarded._user(),
    }
    await onboarded.feed({"edited_message": edit})
    assert "I saved the new words" in onboarded.said()
    texts = sorted(a.text for a in await _answers(runtime))
    assert texts == ["my carer is nice", "my carer is really nice"]


async def test_other_update_shapes_are_taken_quietly(onboarded: Child) -> None:
    user = onboarded._user()
    chat = {"id": onboarded.chat_id, "type": "private"}
    shapes = [
        {
            "my_chat_member": {
                "chat": chat,
                "from": user,
                "date": 1700000000,
                "old_chat_member": {
                    "status": "member",
                    "user": {"id": 1, "is_bot": True, "first_name": "b"},
                },
                "new_chat_member": {
                    "status": "kicked",
                    "until_date": 0,
                    "user": {"id": 1, "is_bot": True, "first_name": "b"},
                },
            }
        },
        {"inline_query": {"id": "i", "from": user, "query": "hi", "offset": ""}},
        {
            "message_reaction": {
                "chat": chat,
                "message_id": 3,
                "date": 1700000000,
                "user": user,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            }
        },
        {
            "callback_query": {
                "id": "c",
                "from": user,
                "chat_instance": "x",
                "inline_message_id": "im",
                "data": "t:0:m::how_are_we_doing",
            }
        },
    ]
    for body in shapes[:3]:
        assert await onboarded.feed(body) == []
    await onboarded.feed(shapes[3])  # a tap with no message attached still reaches the child
    assert "How are we doing?" in onboarded.said() or "These questions" in onboarded.said()
