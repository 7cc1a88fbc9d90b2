"""One transaction per turn: whichever write of a turn fails, nothing of it is left behind, and
its retry (the same update again) leaves exactly what one clean turn leaves. A safeguarding
alert is the exception: it is committed first, goes out, and is raised once however often the
turn is retried."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from aiogram.types import Update
from sqlmodel import select

from api.runtime import Runtime
from api.webchat.turns import TURN_HEADER
from core.config import Settings
from core.models import Alert, ProcessedUpdate, YoungPerson
from core.safeguarding import notify_due
from tests.child import Child, next_update_id
from tests.faults import InjectedFault, child_rows, counting_writes
from tests.safeguarding_kit import SmtpServer
from tests.web_child import GUARD, WebChild

DISCLOSURE = "i want to kill myself"


async def _nothing(child: Child) -> None:
    pass


async def _onboard(child: Child) -> None:
    await child.send("/start")
    while "All done" not in child.said():
        await child.tap("▶️ Next" if "▶️ Next" in child.buttons() else "⏭️ Skip")


async def _in_conversation(child: Child) -> None:
    await _onboard(child)
    await child.send("/feedback")
    await child.tap("How are we doing?")


async def _after_awful(child: Child) -> None:
    await _in_conversation(child)
    await child.tap("😢 Awful")


def _tap(label: str) -> Callable[[Child], dict[str, Any]]:
    def body(child: Child) -> dict[str, Any]:
        for reply in reversed(child.stub.sent(child.chat_id)):
            for row in getattr(reply.reply_markup, "inline_keyboard", None) or []:
                for button in row:
                    if label in button.text:
                        return _callback(child, button.callback_data or "")
        raise AssertionError(f"no button {label!r}")

    return body


def _callback(child: Child, data: str) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": str(next_update_id()),
            "from": child._user(),
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 1,
                "date": 1700000000,
                "chat": {"id": child.chat_id, "type": "private"},
                "text": "question",
            },
        }
    }


def _text(words: str) -> Callable[[Child], dict[str, Any]]:
    def body(child: Child) -> dict[str, Any]:
        return {
            "message": {
                "message_id": next_update_id(),
                "date": 1700000000,
                "chat": {"id": child.chat_id, "type": "private"},
                "from": child._user(),
                "text": words,
            }
        }

    return body


Prepare = Callable[[Child], Awaitable[None]]
# (how the child gets there, the update of the turn under test, how many writes that turn makes)
TURNS: dict[str, tuple[Prepare, Callable[[Child], dict[str, Any]], int]] = {
    # the update id; the answer; the run's state
    "a tap answers a question": (_in_conversation, _tap("😢 Awful"), 3),
    # the update id; the child's words; the run's state
    "typed words are kept": (_after_awful, _text("my worker never calls back"), 3),
    # the update id; the child; the onboarding run; their preferences; the run's state
    "a new child's first message": (_nothing, _text("/start"), 5),
    # the update id; the run stopped; the child paused
    "/stop in a conversation": (_in_conversation, _text("/stop"), 3),
}
CASES = [(name, n) for name, (_, _, writes) in TURNS.items() for n in range(writes)]


async def _rows(runtime: Runtime, child: Child) -> dict[str, list[Any]]:
    """Everything about this child (nothing at all before their first message)."""
    async with runtime.sessionmaker() as session:
        query = select(YoungPerson.id).where(YoungPerson.telegram_chat_id == child.chat_id)
        found = (await session.exec(query)).first()
    return {} if found is None else await child_rows(runtime.engine, found)


async def _update_done(runtime: Runtime, update_id: int) -> bool:
    async with runtime.sessionmaker() as session:
        return await session.get(ProcessedUpdate, update_id) is not None


async def _deliver(child: Child, body: dict[str, Any], update_id: int) -> list[Any]:
    """Delivered through the real dispatcher, as Telegram's webhook or polling would."""
    before = len(child.stub.sent(child.chat_id))
    bot = child.runtime.bot
    assert bot is not None
    update = Update.model_validate({"update_id": update_id, **body}, context={"bot": bot})
    await child.runtime.dispatcher.feed_update(bot, update)
    return [m.text for m in child.stub.sent(child.chat_id)[before:]]


@pytest.mark.parametrize(("turn", "failing_write"), CASES)
async def test_a_telegram_turn_that_fails_at_any_write_is_done_once_by_its_retry(
    runtime: Runtime, make_child: Callable[..., Child], turn: str, failing_write: int
) -> None:
    prepare, make_body, writes = TURNS[turn]
    clean, faulty = make_child(), make_child()
    for child in (clean, faulty):
        await prepare(child)

    # One clean turn, for reference: what it writes and what it leaves.
    with counting_writes(runtime.engine) as counter:
        clean_said = await _deliver(clean, make_body(clean), next_update_id())
    assert len(counter.writes) == writes, counter.writes  # a new write? add it to TURNS
    expected = await _rows(runtime, clean)

    before = await _rows(runtime, faulty)
    body, update_id = make_body(faulty), next_update_id()
    with counting_writes(runtime.engine, fail_at=failing_write), pytest.raises(InjectedFault):
        await _deliver(faulty, body, update_id)
    # Nothing of the failed turn is left, not even its update id, and the child heard nothing.
    assert await _rows(runtime, faulty) == before
    assert not await _update_done(runtime, update_id)

    said = await _deliver(faulty, body, update_id)  # Telegram sends it again
    assert said == clean_said
    assert await _rows(runtime, faulty) == expected
    assert await _update_done(runtime, update_id)
    assert await _deliver(faulty, body, update_id) == []  # and a third time: dropped
    assert await _rows(runtime, faulty) == expected


# -- the web chat: one request, one transaction ---------------------------------------------------


async def _web_child(runtime: Runtime, admin: httpx.AsyncClient) -> WebChild:
    body = {"display_name": "S.K.", "age_band": "13-15", "channel": "web"}
    response = await admin.post("/children", json=body)
    assert response.status_code == 201, response.text
    child = WebChild(runtime)
    child.id = response.json()["child"]["id"]
    await child.join(response.json()["link"])
    await child.open()
    await child.command("feedback")
    if "🆕 Start a new one" in child.buttons():  # onboarding is open: /feedback asks first
        await child.tap("Start a new one")
    await child.tap("How are we doing?")
    return child


# (the request, how many writes it makes)
WEB_TURNS: dict[str, tuple[str, dict[str, Any], int]] = {
    # the browser's last use; the answer; the run's state
    "a tap answers a question": ("tap", {"label": "😢 Awful"}, 3),
    # the browser's last use; the child's words (kept beside the question); the run's state
    "typed words": ("say", {"text": "my worker is kind but never calls"}, 3),
}
WEB_CASES = [(name, n) for name, (_, _, writes) in WEB_TURNS.items() for n in range(writes)]


def _web_request(child: WebChild, kind: str, given: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if kind == "say":
        return "/chat/api/say", given
    for turn in reversed(child.turns):
        for message in reversed(turn["messages"]):
            for row in message["buttons"]:
                for button in row:
                    if given["label"] in button["label"]:
                        return "/chat/api/tap", {"run": message["run"], "action": button["action"]}
    raise AssertionError(f"no button {given['label']!r}")


async def _web_turn(
    child: WebChild, path: str, body: dict[str, Any], turn_id: str
) -> httpx.Response:
    headers = {**GUARD, TURN_HEADER: turn_id}
    return await child.client.post(path, json=body, headers=headers)


@pytest.mark.parametrize(("turn", "failing_write"), WEB_CASES)
async def test_a_web_chat_turn_that_fails_at_any_write_is_done_once_when_sent_again(
    runtime: Runtime, admin: httpx.AsyncClient, turn: str, failing_write: int
) -> None:
    kind, given, writes = WEB_TURNS[turn]
    clean, faulty = await _web_child(runtime, admin), await _web_child(runtime, admin)
    try:
        path, body = _web_request(clean, kind, given)
        with counting_writes(runtime.engine) as counter:
            done = await _web_turn(clean, path, body, "clean-turn-0123456789")
        assert done.status_code == 200, done.text
        assert len(counter.writes) == writes, counter.writes  # a new write? add it above
        assert clean.id is not None and faulty.id is not None
        expected = await child_rows(runtime.engine, clean.id)

        before = await child_rows(runtime.engine, faulty.id)
        path, body = _web_request(faulty, kind, given)
        with counting_writes(runtime.engine, fail_at=failing_write):
            failed = await _web_turn(faulty, path, body, "faulty-turn-0123456789")
        assert failed.status_code == 500  # the page keeps the words and says to try again
        assert await child_rows(runtime.engine, faulty.id) == before

        again = await _web_turn(faulty, path, body, "faulty-turn-0123456789")
        assert again.status_code == 200, again.text
        assert _shown(again) == _shown(done)
        assert _without_last_use(await child_rows(runtime.engine, faulty.id)) == _without_last_use(
            expected
        )
    finally:
        await clean.client.aclose()
        await faulty.client.aclose()


def _shown(response: httpx.Response) -> list[Any]:
    """What the page shows (each child's run has its own id)."""
    return [{**m, "run": None} for m in response.json()["messages"]]


def _without_last_use(rows: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The two browsers' cookies differ by nature (only their hashes are kept)."""
    return {name: found for name, found in rows.items() if name != "web_session"}


# -- a safeguarding alert goes first, and once ------------------------------------------------------


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """Alert emails through a real local SMTP server."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_tls": "none",
            "alert_email_to": "safeguarding@council.example",
        }
    )


async def _alerts(runtime: Runtime, young_person_id: int) -> list[Alert]:
    async with runtime.sessionmaker() as session:
        query = select(Alert).where(Alert.young_person_id == young_person_id)
        return list((await session.exec(query)).all())


# The disclosure's turn, clean: the first try (its update id, then the verdict: rolled back),
# the alert and its audit line (committed alone), then the turn again: its update id, the
# child's words, the run's state.
ALERT_TURN_WRITES = 6
AFTER_THE_ALERT = range(3, ALERT_TURN_WRITES)


@pytest.mark.parametrize("failing_write", AFTER_THE_ALERT)
async def test_an_alert_goes_out_when_the_rest_of_the_turn_fails_and_its_retry_raises_no_second(
    runtime: Runtime,
    make_child: Callable[..., Child],
    smtp: SmtpServer,
    failing_write: int,
) -> None:
    child = make_child()
    await _in_conversation(child)
    body, update_id = _text(DISCLOSURE)(child), next_update_id()
    with (
        counting_writes(runtime.engine, fail_at=failing_write) as counter,
        pytest.raises(InjectedFault),
    ):
        await _deliver(child, body, update_id)
    assert counter.writes[1:3] == ["INSERT INTO alert ", "INSERT INTO audit_entry "]
    assert not await _update_done(runtime, update_id)  # the turn itself left nothing

    young_person_id = await _young_person_id(runtime, child)
    (alert,) = await _alerts(runtime, young_person_id)
    assert alert.origin == f"telegram:{update_id}/typed"
    # The alert clock sends it, although the turn that raised it failed.
    assert await notify_due(runtime.sessionmaker, runtime.settings) == 1
    assert smtp.inbox.to("safeguarding@council.example")

    said = await _deliver(child, body, update_id)  # Telegram sends it again
    assert any("999" in text for text in said)  # the safety reply, this time
    assert [a.id for a in await _alerts(runtime, young_person_id)] == [alert.id]
    assert await _update_done(runtime, update_id)


async def test_a_clean_disclosure_writes_the_alert_first_then_the_turn(
    runtime: Runtime, make_child: Callable[..., Child]
) -> None:
    child = make_child()
    await _in_conversation(child)
    with counting_writes(runtime.engine) as counter:
        said = await _deliver(child, _text(DISCLOSURE)(child), next_update_id())
    assert counter.writes[1:3] == ["INSERT INTO alert ", "INSERT INTO audit_entry "]
    assert len(counter.writes) == ALERT_TURN_WRITES, counter.writes
    assert any("999" in text for text in said)
    assert len(await _alerts(runtime, await _young_person_id(runtime, child))) == 1


async def test_a_web_disclosure_sent_again_after_a_failure_raises_one_alert(
    runtime: Runtime, admin: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    child = await _web_child(runtime, admin)
    try:
        assert child.id is not None
        body = {"text": DISCLOSURE}
        # web writes: the first try (the browser's last use: rolled back), the alert and its
        # audit line, then the turn again (last use, the words, the run's state)
        with counting_writes(runtime.engine, fail_at=4):
            failed = await _web_turn(child, "/chat/api/say", body, "web-turn-0123456789ab")
        assert failed.status_code == 500
        (alert,) = await _alerts(runtime, child.id)
        assert alert.origin == f"web:{child.id}:web-turn-0123456789ab/typed"
        assert await notify_due(runtime.sessionmaker, runtime.settings) == 1
        again = await _web_turn(child, "/chat/api/say", body, "web-turn-0123456789ab")
        assert again.status_code == 200 and "999" in again.text
        assert [a.id for a in await _alerts(runtime, child.id)] == [alert.id]
    finally:
        await child.client.aclose()


async def _young_person_id(runtime: Runtime, child: Child) -> int:
    async with runtime.sessionmaker() as session:
        query = select(YoungPerson.id).where(YoungPerson.telegram_chat_id == child.chat_id)
        found = (await session.exec(query)).one()
        assert found is not None
        return found
