"""The web chat, over HTTP as its page uses it: the same conversations, safeguarding and data
rights as on Telegram, for a child who opened a web-chat link from their worker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, func, select

from api.runtime import Runtime
from core import proactive
from core.models import Alert, Answer, OutboxMessage, WebSession, YoungPerson, utcnow
from core.outbox import enqueue
from tests.child import Child
from tests.delivery_kit import numbered
from tests.replies_helpers import give_answer, reply_body
from tests.web_child import GUARD, WebChild


async def _web_link(admin: httpx.AsyncClient, **fields: object) -> tuple[int, str]:
    body = {"display_name": "S.K.", "age_band": "13-15", "channel": "web", **fields}
    response = await admin.post("/children", json=body)
    assert response.status_code == 201, response.text
    return response.json()["child"]["id"], response.json()["link"]


@pytest.fixture
async def web(runtime: Runtime, admin: httpx.AsyncClient) -> AsyncIterator[WebChild]:
    """A 13-15 year old who opened their web-chat link; `web.id` is their child id."""
    child_id, link = await _web_link(admin)
    async with WebChild(runtime) as child:
        await child.join(link)
        await child.open()
        child.id = child_id
        yield child


async def _count(runtime: Runtime, model: type, *where: object) -> int:
    async with runtime.sessionmaker() as session:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int((await session.exec(query)).one())


async def test_a_child_opens_their_web_link_and_gives_feedback_end_to_end(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child_id, link = await _web_link(admin)
    assert link.startswith(f"{runtime.settings.public_address}/chat/join#")
    async with WebChild(runtime) as child:
        joined = await child.join(link)
        assert joined.status_code == 303 and joined.headers["location"] == "/chat"
        cookie = joined.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/chat" in cookie
        page = await child.client.get("/chat")
        assert page.status_code == 200 and 'lang="en"' in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]

        await child.open()
        assert "I help you tell your social care team" in child.said()
        await child.read_on_and_skip_until("What would you like to tell us about?")
        await child.tap("How's life?")
        faces = ["🙂 Good", "😀 Great", "😐 OK"]
        for turn in range(40):
            if "Did I get this right?" in child.said():
                break
            labels = child.buttons()
            face = next((f for f in faces[turn % 3 :] + faces if f in labels), None)
            await child.tap(face or ("▶️ Next" if "▶️ Next" in labels else "⏭️ Skip"))
        assert "Did I get this right?" in child.said()
        await child.tap("✅ Yes")
        assert "Thank you" in child.said()

    confirmed = await _count(
        runtime, Answer, col(Answer.young_person_id) == child_id, col(Answer.confirmed)
    )
    assert confirmed >= 5
    seen = (await admin.get(f"/children/{child_id}")).json()
    assert seen["channel"] == "web" and seen["linked"] is True and seen["onboarded"] is True


async def test_a_web_link_works_once_only_in_the_web_chat_and_says_so_kindly(
    runtime: Runtime, admin: httpx.AsyncClient, make_child: object
) -> None:
    _, link = await _web_link(admin)
    path, token = "/chat/join", httpx.URL(link).fragment
    async with WebChild(runtime) as first, WebChild(runtime) as second:
        # A link preview fetching the page uses nothing up: the child can still join.
        assert (await second.client.get(path)).status_code == 200
        assert (await first.join(link)).status_code == 303
        assert (await second.client.post(path)).status_code == 410  # no token at all
        again = await second.client.post(path, data={"token": token})
        assert again.status_code == 410
        assert "Ask your worker for a new link" in again.text
        assert "sayso_chat" not in again.headers.get("set-cookie", "")
    # The worker chose the web chat: the same token does nothing on Telegram.
    telegram = make_child()  # type: ignore[operator]
    assert isinstance(telegram, Child)
    await telegram.send(f"/start {token}")
    assert "This link does not work any more" in telegram.said()


async def test_a_telegram_link_does_not_open_the_web_chat(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    body = {"display_name": "T.", "channel": "telegram"}
    link = (await admin.post("/children", json=body)).json()["link"]
    token = link.split("start=")[1]
    async with WebChild(runtime) as child:
        refused = await child.client.post("/chat/join", data={"token": token})
        assert refused.status_code == 410


async def test_without_its_cookie_or_guard_header_the_chat_does_nothing(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    async with WebChild(runtime, language="pl-PL,pl;q=0.9") as stranger:
        page = await stranger.client.get("/chat")
        assert page.status_code == 401 and 'lang="pl"' in page.text
        refused = await stranger.client.post("/chat/api/open", headers=GUARD)
        assert refused.status_code == 401
        assert refused.json()["message"]  # kind words, in Polish
        assert "link" not in refused.json()["message"].lower() or "link" in refused.text
    _, link = await _web_link(admin)
    async with WebChild(runtime) as child:
        await child.join(link)
        forged = await child.client.post("/chat/api/open")  # no X-Sayso: another site's form
        assert forged.status_code == 403


async def test_typed_words_are_screened_and_a_disclosure_raises_an_alert(
    runtime: Runtime, admin: httpx.AsyncClient, web: WebChild
) -> None:
    await web.say("my step dad hits me when he is drunk")
    said = web.said()
    assert "999" in said and "0800 1111" in said  # Childline, for a 13-15 year old
    assert "▶️ Carry on" in web.buttons()
    assert await _count(runtime, Alert, col(Alert.young_person_id) == web.id) == 1
    alerts = (await admin.get("/alerts")).json()
    assert [a["young_person_id"] for a in alerts] == [web.id]


async def test_a_reply_waits_in_the_web_chat_until_the_child_opens_it(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child_id, link = await _web_link(admin)
    await give_answer(runtime, child_id, "listened")
    body = reply_body(child_ids=[child_id])
    reply_id = (await admin.post("/replies", json=body)).json()["id"]
    async with runtime.sessionmaker() as session:  # due now, whatever the clock says
        await session.exec(
            update(OutboxMessage)  # type: ignore[call-overload]
            .where(col(OutboxMessage.young_person_id) == child_id)
            .values(due_at=utcnow() - timedelta(minutes=1))
        )
        await session.commit()
    (waiting,) = (await admin.get(f"/replies/{reply_id}/recipients")).json()
    assert waiting["delivery"] == "unread"

    async with WebChild(runtime) as child:
        await child.join(link)
        await child.open()
        assert "Workers now call you back within a day." in child.said()
        await child.tap("👍 Thanks")
        await child.open()  # opening again shows it once only
        assert "Workers now call you back within a day." not in child.said()
        assert (await child.waiting())["messages"] == []
    (read,) = (await admin.get(f"/replies/{reply_id}/recipients")).json()
    assert read["delivery"] == "sent" and read["reaction"] == "thanks"


async def test_switching_to_arabic_turns_the_chat_right_to_left(
    runtime: Runtime, web: WebChild
) -> None:
    first = web.turns[0]
    assert first["dir"] == "ltr" and first["ui"]["send"] == "➡️ Send"
    await web.command("language")
    turn = await web.tap("العربية")
    assert turn["locale"] == "ar" and turn["dir"] == "rtl"
    assert turn["ui"]["send"] != "➡️ Send" and "Send" not in turn["ui"]["send"]
    page = await web.client.get("/chat")
    assert 'lang="ar"' in page.text and 'dir="rtl"' in page.text


async def test_typed_commands_and_the_menu_do_what_they_do_on_telegram(
    runtime: Runtime, web: WebChild
) -> None:
    await web.say("/stop")
    assert "paused all messages" in web.said()
    async with runtime.sessionmaker() as session:
        person = await session.get(YoungPerson, web.id)
        assert person is not None and person.paused
    await web.command("help")
    assert "Tap a button to answer" in web.said()
    await web.command("mydata")
    assert "only a code that opens this chat" in web.said()
    assert "Telegram" not in web.said()
    await web.say("/talk I want to die")  # words after a command are screened
    assert "999" in web.said()


async def test_deleting_their_data_ends_the_web_chat_on_that_phone(
    runtime: Runtime, web: WebChild
) -> None:
    await web.say("I like my new school")
    assert await _count(runtime, Answer, col(Answer.young_person_id) == web.id) == 1
    await web.command("delete")
    await web.tap("Yes")
    assert await _count(runtime, Answer, col(Answer.young_person_id) == web.id) == 0
    assert await _count(runtime, WebSession) == 0
    gone = await web.client.post("/chat/api/open", headers=GUARD)
    assert gone.status_code == 401


async def test_a_very_long_message_is_refused_kindly_and_a_long_one_is_kept_whole(
    runtime: Runtime, web: WebChild
) -> None:
    words = "I want to say this. " * 250  # 5,000 characters
    await web.say(words)
    refused = await web.client.post("/chat/api/say", json={"text": "x" * 20_001}, headers=GUARD)
    assert refused.status_code == 422
    assert "smaller parts" in refused.json()["message"]
    async with runtime.sessionmaker() as session:
        texts = (
            await session.exec(select(Answer.text).where(Answer.young_person_id == web.id))
        ).all()
    assert words in texts


async def test_a_new_link_moves_a_telegram_child_to_the_web_chat(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child_id = (await admin.post("/children", json={"display_name": "A."})).json()["child"]["id"]
    moved = await admin.post(f"/children/{child_id}/link", json={"channel": "web"})
    assert moved.status_code == 201 and "/chat/join#" in moved.json()["link"]
    async with WebChild(runtime) as child:
        assert (await child.join(moved.json()["link"])).status_code == 303
    assert (await admin.get(f"/children/{child_id}")).json()["channel"] == "web"


async def test_a_child_signs_out_on_a_shared_phone_and_a_worker_on_a_lost_one(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child_id, link = await _web_link(admin)
    async with WebChild(runtime) as child:
        await child.join(link)
        await child.open()
        out = await child.client.post("/chat/api/sign-out", headers=GUARD)
        assert out.status_code == 200 and "ask your worker for a new link" in out.json()["message"]
        assert (await child.client.post("/chat/api/open", headers=GUARD)).status_code == 401
    fresh = (await admin.post(f"/children/{child_id}/link")).json()["link"]
    async with WebChild(runtime) as phone, WebChild(runtime) as tablet:
        await phone.join(fresh)
        await phone.open()
        await phone.say("I like my new school")
        ended = await admin.post(f"/children/{child_id}/web-chat/sign-out")
        assert ended.json() == {"signed_out": 1}
        assert (await phone.client.post("/chat/api/open", headers=GUARD)).status_code == 401
        assert (await tablet.client.post("/chat/api/open", headers=GUARD)).status_code == 401
    # What the child said stays.
    assert await _count(runtime, Answer, col(Answer.young_person_id) == child_id) == 1


async def test_waiting_messages_keep_the_send_rule_when_shown(
    runtime: Runtime, web: WebChild, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web chat shows what waited by the same rule as a Telegram send: nothing after /stop,
    routine messages not while an alert is open; they wait and are shown once that lifts."""
    monkeypatch.setitem(proactive.RENDERERS, "reply", numbered)
    async with runtime.sessionmaker() as session:
        row = enqueue(session, young_person_id=web.id, kind="reply", payload={"n": 1})
        await session.commit()
        row_id = row.id
    await web.say("/stop")
    assert "message 1" not in str(await web.waiting())
    await web.open()  # coming back (as /start on Telegram) lifts the pause
    assert "message 1" in str(await web.waiting())

    async with runtime.sessionmaker() as session:
        enqueue(session, young_person_id=web.id, kind="reply", payload={"n": 2})
        await session.commit()
    await web.say("i want to kill myself")
    assert "message 2" not in str(await web.waiting())
    async with runtime.sessionmaker() as session:
        first = await session.get(OutboxMessage, row_id)
        assert first is not None and first.status == "sent"
        held = (await session.exec(select(OutboxMessage).where(OutboxMessage.id != row_id))).one()
        assert held.status == "pending"
