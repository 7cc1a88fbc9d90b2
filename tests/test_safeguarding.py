"""A child tells the bot something that means they may not be safe: they hear fixed help at once,
their words are kept, an alert is raised, and a person is told without Telegram."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import timedelta

import httpx
import pytest
import respx
from sqlmodel import select

from api.runtime import Runtime
from core import safeguarding
from core.config import Settings
from core.delivery import Delivery
from core.models import Answer, OutboxMessage, Staff, YoungPerson, utcnow
from core.outbox import enqueue
from core.screening_triage import Triage, Verdict
from tests.child import Child
from tests.safeguarding_kit import (
    SmtpServer,
    alerts_of,
    audit_actions,
    free_port,
    move_clock,
    steps_of,
)
from tests.staff import add_staff, api_client, sign_in
from tests.telegram_stub import StubSession

DISCLOSURE = "i want to kill myself"
ABOUT_SISTER = "my little sister gets hit by her dad"
WEBHOOK = "https://duty.example/hooks/sayso-alerts"
INBOX = "safeguarding@council.example"
DUTY = "duty@council.example"


@pytest.fixture
def settings(settings: Settings, smtp: SmtpServer) -> Settings:
    """Email through the local SMTP server, a webhook, always inside office hours."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_tls": "none",
            "alert_email_to": INBOX,
            "duty_email": DUTY,
            "alert_webhook_url": WEBHOOK,
            "office_hours": "Mon-Sun 00:00-24:00",
            "admin_url": "https://sayso.council.example",
        }
    )


@pytest.fixture
def hook() -> AsyncIterator[respx.Route]:  # type: ignore[misc]
    with respx.mock(assert_all_called=False) as mock:
        yield mock.post(WEBHOOK).mock(return_value=httpx.Response(204))


async def child_row(runtime: Runtime, child: Child) -> YoungPerson:
    async with runtime.sessionmaker() as session:
        query = select(YoungPerson).where(YoungPerson.telegram_chat_id == child.chat_id)
        found = (await session.exec(query)).first()
        assert found is not None
        return found


async def give_worker(
    runtime: Runtime, child: Child, email: str = "sam@council.example", **fields: object
) -> tuple[int, int]:
    """The child is allocated to a worker (created if need be); returns (child id, worker id)."""
    async with runtime.sessionmaker() as session:
        worker = (await session.exec(select(Staff).where(Staff.email == email))).first()
    worker_id = worker.id if worker else await add_staff(runtime, email)
    async with runtime.sessionmaker() as session:
        row = (
            await session.exec(
                select(YoungPerson).where(YoungPerson.telegram_chat_id == child.chat_id)
            )
        ).one()
        row.worker_id = worker_id
        for name, value in fields.items():
            setattr(row, name, value)
        await session.commit()
        assert row.id is not None and worker_id is not None
        return row.id, worker_id


async def tick(runtime: Runtime) -> int:
    return await safeguarding.notify_due(runtime.sessionmaker, runtime.settings)


# -- the child's side ------------------------------------------------------------------------


async def test_a_disclosure_gets_the_fixed_help_first_and_the_words_are_kept(
    runtime: Runtime, onboarded: Child, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    child_id, _ = await give_worker(runtime, onboarded, age_band="13-15")
    await onboarded.send(DISCLOSURE)
    said = onboarded.said()
    assert "Thank you for telling me." in said
    assert "call 999" in said
    assert "0800 1111" in said and "85258" in said
    assert "116 123" not in said  # Samaritans is for care leavers of 19 and over
    assert "I will tell sam, your worker. They will get in touch with you." in said
    assert "secret" not in said.lower() and "?" not in said  # no promise, no probing questions
    assert "out of office hours" not in said
    # The conversation does not carry on as if nothing happened; one tap carries on.
    assert onboarded.buttons() == ["▶️ Carry on"]
    assert "What would you like to tell us about?" not in said

    [alert] = await alerts_of(runtime, child_id)
    assert alert.source == "typed" and safeguarding.words_of(alert) == DISCLOSURE
    assert alert.categories and alert.acknowledged_at is None
    async with runtime.sessionmaker() as session:
        texts = await session.exec(select(Answer.text).where(Answer.young_person_id == child_id))
        assert DISCLOSURE in texts.all()  # nothing lost
    assert await audit_actions(runtime) == ["alert.raise"]

    assert "kill myself" not in caplog.text  # no child's words in the logs
    await onboarded.tap("Carry on")  # back where the words were kept: "Something else"
    assert "What do you want to tell us?" in onboarded.said()


async def test_the_help_fits_the_age_band_and_who_will_be_told(
    runtime: Runtime, make_child: Callable[..., Child], onboarded: Child
) -> None:
    await give_worker(runtime, onboarded, age_band="19-25")
    await onboarded.send(DISCLOSURE)
    said = onboarded.said()
    assert "116 123" in said and "0800 1111" not in said and "85258" in said

    newcomer = make_child()  # no worker, no age band: both lines, and the duty team
    await newcomer.send("/start")
    await newcomer.send(DISCLOSURE)
    said = newcomer.said()
    assert "0800 1111" in said and "116 123" in said
    assert "I will tell the duty team. Someone will get in touch with you." in said
    assert "Hi! I am sayso" not in said  # onboarding waits until the child carries on


async def test_out_of_hours_the_child_is_told_honestly(runtime: Runtime, onboarded: Child) -> None:
    tomorrow = safeguarding.DAYS[(utcnow().weekday() + 2) % 7]
    runtime.settings.office_hours = f"{tomorrow} 09:00-17:00"
    await onboarded.send(DISCLOSURE)
    said = onboarded.said()
    assert "It is out of office hours now. No one reads messages all the time." in said
    assert "This chat is not an emergency service." in said


async def test_every_way_words_come_in_is_screened(runtime: Runtime, onboarded: Child) -> None:
    child_id = (await child_row(runtime, onboarded)).id
    await onboarded.message({"photo": [_photo()], "caption": DISCLOSURE})
    assert "call 999" in onboarded.said()
    assert "can't keep photos" not in onboarded.said()  # the safety reply comes first
    voice = {"file_id": "voice-1", "file_unique_id": "u1", "duration": 3}
    await onboarded.message({"voice": voice, "caption": ABOUT_SISTER})
    assert "call 999" in onboarded.said()
    edited = {
        "message_id": 77,
        "date": int(utcnow().timestamp()),
        "edit_date": int(utcnow().timestamp()),
        "chat": {"id": onboarded.chat_id, "type": "private"},
        "from": {"id": onboarded.chat_id, "is_bot": False, "first_name": "T"},
        "text": DISCLOSURE,
    }
    await onboarded.feed({"edited_message": edited})
    assert "call 999" in onboarded.said()
    alerts = await alerts_of(runtime, child_id)
    assert [a.source for a in alerts] == ["caption", "voice_caption", "edited"]
    assert alerts[1].about_someone_else
    async with runtime.sessionmaker() as session:
        kept = (await session.exec(select(Answer).where(Answer.young_person_id == child_id))).all()
    assert any(a.voice_file_id == "voice-1" and ABOUT_SISTER in (a.text or "") for a in kept)


async def test_everyday_words_raise_nothing(runtime: Runtime, onboarded: Child) -> None:
    await onboarded.send("my carer is annoying and school was boring")
    assert "call 999" not in onboarded.said()
    assert await alerts_of(runtime) == []


async def test_an_awful_answer_to_the_safety_question_raises_an_alert(
    runtime: Runtime, onboarded: Child
) -> None:
    child_id, _ = await give_worker(runtime, onboarded)
    await onboarded.send("/feedback")
    await onboarded.tap("How's life?")
    await onboarded.read_on()
    assert "How safe and secure do you feel?" in onboarded.said()
    await onboarded.tap("😢 Awful")
    assert "call 999" in onboarded.said() and "0800 1111" in onboarded.said()
    [alert] = await alerts_of(runtime, child_id)
    assert alert.source == "answer" and alert.categories == ["unsafe_answer"]
    await onboarded.tap("Carry on")
    assert "Do you want to tell us more?" in onboarded.said()  # the gentle next question

    await onboarded.tap("⏭️ Skip")
    await onboarded.tap("🙁 Bad")  # "settled" is not a safety question
    assert "call 999" not in onboarded.said()
    assert len(await alerts_of(runtime, child_id)) == 1


# -- telling a person --------------------------------------------------------------------------


async def test_the_worker_and_the_inbox_are_emailed_and_the_webhook_called_without_the_words(
    runtime: Runtime, onboarded: Child, smtp: SmtpServer, hook: respx.Route
) -> None:
    child_id, _ = await give_worker(runtime, onboarded)
    await onboarded.send(DISCLOSURE)
    [alert] = await alerts_of(runtime, child_id)
    assert await tick(runtime) == 1

    [to_worker] = smtp.inbox.to("sam@council.example")
    [to_inbox] = smtp.inbox.to(INBOX)
    assert smtp.inbox.to(DUTY) == []  # the duty team hears only on escalation
    link = f"https://sayso.council.example/alerts/{alert.id}"
    for mail in (to_worker, to_inbox):
        assert f"sayso alert {alert.id}" in mail.subject and link in mail.body
        assert "kill" not in mail.body.lower() and str(onboarded.chat_id) not in mail.body
    assert hook.call_count == 1
    sent = json.loads(hook.calls.last.request.content)
    assert sent["event"] == "alert.raised" and sent["alert_id"] == alert.id
    assert sent["url"] == link
    assert "kill" not in hook.calls.last.request.content.decode()
    assert str(onboarded.chat_id) not in hook.calls.last.request.content.decode()

    steps = await steps_of(runtime, alert.id or 0)
    assert sorted((s.channel, s.target, s.status) for s in steps) == [
        ("email", INBOX, "sent"),
        ("email", "sam@council.example", "sent"),
        ("webhook", "duty.example", "sent"),
    ]
    assert (await audit_actions(runtime)).count("alert.notify") == 3
    assert await tick(runtime) == 0  # nothing more until the interval passes
    assert len(smtp.inbox.mails) == 2


async def test_nobody_acknowledges_so_it_escalates_until_someone_does(
    runtime: Runtime, onboarded: Child, smtp: SmtpServer, hook: respx.Route
) -> None:
    child_id, worker_id = await give_worker(runtime, onboarded)
    await onboarded.send(DISCLOSURE)
    [alert] = await alerts_of(runtime, child_id)
    assert alert.id is not None
    await tick(runtime)
    [after_notice] = await alerts_of(runtime, child_id)
    assert after_notice.next_step_at is not None
    wait = after_notice.next_step_at - utcnow()
    assert timedelta(minutes=14) < wait <= timedelta(minutes=15)  # the default 15 minutes

    for escalation in (1, 2):
        await move_clock(runtime, alert.id, next_step_at=utcnow() - timedelta(seconds=1))
        assert await tick(runtime) == 1
        mails = smtp.inbox.to(DUTY)
        assert len(mails) == escalation
        assert mails[-1].subject.startswith(f"ESCALATED ({escalation})")
        assert json.loads(hook.calls.last.request.content)["escalation"] == escalation
    assert (await audit_actions(runtime)).count("alert.escalate") == 4  # duty email + webhook

    token = await sign_in(runtime, "sam@council.example")
    async with api_client(runtime, token) as sam:
        response = await sam.post(f"/alerts/{alert.id}/acknowledge")
    assert response.status_code == 200, response.text
    assert response.json()["acknowledged_by"] == worker_id
    assert response.json()["escalations"] == 2
    await move_clock(runtime, alert.id, raised_at=utcnow() - timedelta(hours=3))
    assert await tick(runtime) == 0
    assert len(smtp.inbox.to(DUTY)) == 2  # acknowledging stopped it
    assert "alert.acknowledge" in await audit_actions(runtime)


async def test_a_failed_notice_is_tried_again_on_the_next_tick_and_not_lost(
    runtime: Runtime, onboarded: Child, smtp: SmtpServer
) -> None:
    child_id, _ = await give_worker(runtime, onboarded)
    await onboarded.send(DISCLOSURE)
    runtime.settings.smtp_port = free_port()  # the mail server is down; the webhook 503s once
    with respx.mock() as mock:
        route = mock.post(WEBHOOK).mock(side_effect=[httpx.Response(503), httpx.Response(200)])
        assert await tick(runtime) == 1
        [alert] = await alerts_of(runtime, child_id)
        steps = await steps_of(runtime, alert.id or 0)
        assert {s.status for s in steps} == {"failed"} and len(steps) == 3
        assert "alert.notify_failed" in await audit_actions(runtime)
        assert alert.round == 0  # not moved on

        runtime.settings.smtp_port = smtp.port  # back up
        assert await tick(runtime) == 1
        assert route.call_count == 2
    assert len(smtp.inbox.mails) == 2
    sent = [s for s in await steps_of(runtime, alert.id or 0) if s.status == "sent"]
    assert len(sent) == 3
    [alert] = await alerts_of(runtime, child_id)
    assert alert.round == 1


class TelegramDown(StubSession):
    async def make_request(self, bot, method, timeout=None):  # type: ignore[no-untyped-def]  # noqa: ASYNC109
        from aiogram.exceptions import TelegramNetworkError

        raise TelegramNetworkError(method=method, message="Telegram is down")


async def test_when_telegram_is_down_the_alert_still_goes(
    settings: Settings, smtp: SmtpServer, hook: respx.Route
) -> None:
    from api.runtime import build_runtime

    runtime = await build_runtime(settings, bot_session=TelegramDown())
    try:
        child = Child(runtime, TelegramDown(), 4242)
        with pytest.raises(Exception, match="Telegram is down"):
            await child.send(DISCLOSURE)
        [alert] = await alerts_of(runtime)
        assert safeguarding.words_of(alert) == DISCLOSURE
        assert await tick(runtime) == 1
        assert smtp.inbox.to(DUTY) and hook.call_count == 1  # no worker yet: the duty team
    finally:
        await runtime.close()


# -- routine messages wait -------------------------------------------------------------------------


async def test_routine_messages_wait_until_a_worker_clears_the_alert(
    runtime: Runtime, onboarded: Child
) -> None:
    child_id, _ = await give_worker(runtime, onboarded)
    async with runtime.sessionmaker() as session:
        enqueue(session, young_person_id=child_id, kind="check_in", payload={})
        await session.commit()
    await onboarded.send(DISCLOSURE)
    [alert] = await alerts_of(runtime, child_id)
    delivery = Delivery(runtime.services, runtime.sessionmaker, sender=_NoSender())
    assert await delivery.claim() == []
    async with runtime.sessionmaker() as session:
        [waiting] = (await session.exec(select(OutboxMessage))).all()
        assert waiting.status == "pending"
        assert await safeguarding.routine_paused(session, child_id)

    token = await sign_in(runtime, "sam@council.example")
    async with api_client(runtime, token) as sam:
        response = await sam.post(f"/alerts/{alert.id}/clear", json={"note": "Spoke to them."})
    assert response.status_code == 200, response.text
    assert response.json()["cleared_at"] is not None
    assert response.json()["acknowledged_at"] is not None  # clearing acknowledges too
    [claimed] = await delivery.claim()
    assert claimed.young_person_id == child_id
    actions = await audit_actions(runtime)
    assert actions[-2:] == ["alert.acknowledge", "alert.clear"]


class _NoSender:
    def pieces(self, messages):  # type: ignore[no-untyped-def]
        return messages

    async def send(self, chat_id, piece):  # type: ignore[no-untyped-def]
        raise AssertionError("nothing is sent in this test")


def _photo() -> dict[str, object]:
    return {"file_id": "p1", "file_unique_id": "pu1", "width": 10, "height": 10}


# -- the admin API -------------------------------------------------------------------------------


async def test_workers_see_only_their_childrens_alerts_and_admins_see_all(
    runtime: Runtime,
    make_child: Callable[..., Child],
    admin: httpx.AsyncClient,
    worker: httpx.AsyncClient,
) -> None:
    mine, theirs = make_child(), make_child()
    for child in (mine, theirs):
        await child.send("/start")
    await give_worker(runtime, mine, "sam@council.example")
    await give_worker(runtime, theirs, "kim@council.example")
    await mine.send(DISCLOSURE)
    await theirs.send(DISCLOSURE)
    my_alert, their_alert = await alerts_of(runtime)

    listed = (await worker.get("/alerts")).json()
    assert [a["id"] for a in listed] == [my_alert.id]
    assert "message" not in listed[0]  # the words only in an audited read
    for call in (
        worker.get(f"/alerts/{their_alert.id}"),
        worker.post(f"/alerts/{their_alert.id}/acknowledge"),
        worker.post(f"/alerts/{their_alert.id}/clear"),
    ):
        response = await call
        assert response.status_code == 404 and response.json()["detail"] == "No such alert"

    one = await worker.get(f"/alerts/{my_alert.id}")
    assert one.status_code == 200 and one.json()["message"] == DISCLOSURE
    assert "alert.read" in await audit_actions(runtime)

    await admin.post(f"/alerts/{their_alert.id}/acknowledge")
    again = await admin.post(f"/alerts/{their_alert.id}/acknowledge")
    assert again.status_code == 409 and "Already acknowledged" in again.json()["detail"]
    everyone = (await admin.get("/alerts")).json()
    assert [a["id"] for a in everyone] == [my_alert.id, their_alert.id]  # unacknowledged first
    unack = (await admin.get("/alerts", params={"state": "unacknowledged"})).json()
    assert [a["id"] for a in unack] == [my_alert.id]

    bad = await worker.post(f"/alerts/{my_alert.id}/clear", json={"worker_id": 3})
    assert bad.status_code == 422
    assert (await worker.get("/alerts", params={"state": "nonsense"})).status_code == 422


# -- settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "inside", "outside"),
    [
        ("Mon-Fri 09:00-17:00", "2026-12-01T10:00:00+00:00", "2026-12-05T10:00:00+00:00"),
        ("Mon,Wed 9-13", "2026-12-02T12:59:00+00:00", "2026-12-02T13:00:00+00:00"),
        ("Sat-Mon 0-24", "2026-12-06T23:59:00+00:00", "2026-12-01T10:00:00+00:00"),
    ],
)
def test_office_hours_read_as_written(value: str, inside: str, outside: str) -> None:
    from datetime import datetime

    hours = safeguarding.parse_office_hours(value)
    assert hours.contains(datetime.fromisoformat(inside), "UTC")
    assert not hours.contains(datetime.fromisoformat(outside), "UTC")


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("office_hours", "weekdays", "Mon-Fri 09:00-17:00"),
        ("office_hours", "Mon-Fri 17:00-09:00", "start must be before"),
        ("office_hours", "Mon-Fry 9-17", "unknown day"),
        ("alert_webhook_url", "http://duty.example/hook", "must start with https://"),
    ],
)
def test_settings_refuse_what_cannot_work(field: str, value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Settings(_env_file=None, **{field: value})  # type: ignore[call-arg]


async def test_alert_list_is_newest_first_among_the_unacknowledged(
    runtime: Runtime, onboarded: Child, admin: httpx.AsyncClient
) -> None:
    await onboarded.send(DISCLOSURE)
    await onboarded.send(ABOUT_SISTER)
    first, second = await alerts_of(runtime)
    await move_clock(runtime, first.id or 0, raised_at=utcnow() - timedelta(minutes=5))
    listed = (await admin.get("/alerts")).json()
    assert [a["id"] for a in listed] == [second.id, first.id]
    one = (await admin.get(f"/alerts/{first.id}", params={"x": 1})).json()
    assert one["categories"] == first.categories and one["steps"] == []


async def test_a_child_in_arabic_gets_the_same_numbers(
    runtime: Runtime, make_child: Callable[..., Child]
) -> None:
    child = make_child("ar")
    await child.send("/start")
    await child.send(DISCLOSURE)
    said = child.said()
    for number in ("999", "0800 1111", "85258", "116 123"):
        assert number in said
    assert len(child.buttons()) == 1  # carry on, in their language
    [alert] = await alerts_of(runtime)
    assert alert.source == "typed"


class _Broken:
    """A screener whose judging breaks (a corrupted index, a bug)."""

    def __init__(self, real: Triage) -> None:
        self.executor = real.executor

    def judge(self, text: str, before: Sequence[str] = ()) -> Verdict:
        raise RuntimeError("lexicon index corrupted")

    def without_model(self, text: str, before: Sequence[str] = ()) -> Verdict:
        raise RuntimeError("lexicon index corrupted")


async def test_if_screening_breaks_the_message_counts_as_flagged(
    runtime: Runtime, onboarded: Child
) -> None:
    assert runtime.services.screener is not None
    object.__setattr__(runtime.services, "screener", _Broken(runtime.services.screener))
    await onboarded.send("see you at football")
    assert "call 999" in onboarded.said()
    [alert] = await alerts_of(runtime)
    assert alert.categories == ["screening_error"]


class _Slow:
    """A screener whose model is stuck: its lexicon still answers at once."""

    def __init__(self, real: Triage) -> None:
        self.real, self.executor = real, real.executor

    def judge(self, text: str, before: Sequence[str] = ()) -> Verdict:
        time.sleep(safeguarding.SCREEN_BUDGET_SECONDS + 0.2)
        return self.real.judge(text, before)

    def without_model(self, text: str, before: Sequence[str] = ()) -> Verdict:
        return self.real.without_model(text, before)


async def test_if_the_model_is_too_slow_the_lexicon_decides_and_the_turn_goes_on(
    runtime: Runtime, onboarded: Child
) -> None:
    assert runtime.services.screener is not None
    object.__setattr__(runtime.services, "screener", _Slow(runtime.services.screener))
    await onboarded.send(DISCLOSURE)  # the lexicon knows these words: an alert, as always
    assert "call 999" in onboarded.said()
    [alert] = await alerts_of(runtime)
    assert alert.layer == "lexicon (no model)"
    await onboarded.tap("Carry on")
    await onboarded.send("see you at football later")  # unjudged: asked gently, not alarmed
    assert "It sounds like something might be hard." in onboarded.said()
    assert len(await alerts_of(runtime)) == 1


@pytest.mark.parametrize("command", ["/talk", "/help", "/feedback", "/start", "/nonsense"])
async def test_words_typed_after_a_command_are_screened_first(
    runtime: Runtime, onboarded: Child, command: str
) -> None:
    child_id, _ = await give_worker(runtime, onboarded, age_band="13-15")
    await onboarded.send(f"{command} {DISCLOSURE}")
    assert "0800 1111" in onboarded.said()
    [alert] = await alerts_of(runtime, child_id)
    assert alert.source == "command" and safeguarding.words_of(alert) == DISCLOSURE


async def test_a_link_token_and_plain_commands_raise_nothing(
    runtime: Runtime, onboarded: Child
) -> None:
    child_id, _ = await give_worker(runtime, onboarded, age_band="13-15")
    for text in ("/start Zx3kQ9m4mJZb0m2o1n3dQK5m0k8cXv0m8", "/help", "/talk football later"):
        await onboarded.send(text)
    assert await alerts_of(runtime, child_id) == []
