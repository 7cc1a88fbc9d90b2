""" "You said, we did" for admins: who a reply reaches, what is refused, delivery figures,
cancelling, and the audit log."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col

from api.jobs import periodic_jobs
from api.runtime import Runtime
from core.models import OutboxMessage, utcnow
from core.replies import queue_due_replies
from tests.replies_helpers import give_answer, outbox_of, rendered, reply_body
from tests.staff import add_child


async def _recipients(admin: httpx.AsyncClient, reply_id: int) -> list[int]:
    response = await admin.get(f"/replies/{reply_id}/recipients")
    assert response.status_code == 200, response.text
    return [r["child_id"] for r in response.json()]


async def test_the_audience_is_who_gave_the_feedback_or_the_chosen_group(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    listened, said, skipped, other = [await add_child(runtime, worker_id=None) for _ in range(4)]
    await give_answer(runtime, listened, "listened")
    await give_answer(runtime, said, "say", value="awful")
    skipped_answer = await give_answer(runtime, skipped, "listened", status="skipped")

    by_outcome = await admin.post("/replies", json=reply_body(links={"outcomes": ["listened"]}))
    assert by_outcome.status_code == 201, by_outcome.text
    assert by_outcome.json()["state"] == "queued"
    # A skip is not feedback about being listened to.
    assert await _recipients(admin, by_outcome.json()["id"]) == [listened]

    question = {"questions": [{"conversation_id": "how_are_we_doing", "question_id": "say"}]}
    by_question = await admin.post("/replies", json=reply_body(links=question))
    assert await _recipients(admin, by_question.json()["id"]) == [said]

    by_answer = await admin.post(
        "/replies", json=reply_body(links={"answer_ids": [skipped_answer]})
    )
    assert await _recipients(admin, by_answer.json()["id"]) == [skipped]

    group = await admin.post("/replies", json=reply_body(child_ids=[other, listened]))
    assert group.status_code == 201, group.text
    assert await _recipients(admin, group.json()["id"]) == [listened, other]
    assert group.json()["delivery"]["recipients"] == 2
    assert {m.young_person_id for m in await outbox_of(runtime, group.json()["id"])} == {
        listened,
        other,
    }


async def test_feedback_given_after_the_reply_was_written_is_not_what_it_answers(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    early, late = [await add_child(runtime, worker_id=None) for _ in range(2)]
    await give_answer(runtime, early, "listened")
    send_at = utcnow() + timedelta(days=2)
    created = await admin.post("/replies", json=reply_body(send_at=send_at.isoformat()))
    assert created.status_code == 201, created.text
    reply = created.json()
    assert reply["state"] == "scheduled" and reply["delivery"]["recipients"] == 0
    await give_answer(runtime, late, "listened")

    settings = runtime.services.settings
    kwargs = {"library": runtime.services.library, "timezone": settings.timezone}
    assert await queue_due_replies(runtime.sessionmaker, **kwargs) == 0  # not yet
    assert await queue_due_replies(runtime.sessionmaker, now=send_at, **kwargs) == 1
    assert await queue_due_replies(runtime.sessionmaker, now=send_at, **kwargs) == 0  # once
    assert await _recipients(admin, reply["id"]) == [early]
    after = (await admin.get(f"/replies/{reply['id']}")).json()
    assert after["state"] == "queued" and after["queued_at"] is not None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"links": {"answer_ids": [999999]}}, "No answers with these ids: 999999"),
        (
            {"links": {"questions": [{"conversation_id": "nope", "question_id": "listened"}]}},
            "No conversation 'nope'",
        ),
        (
            {
                "links": {
                    "questions": [{"conversation_id": "how_are_we_doing", "question_id": "nope"}]
                }
            },
            "No question 'nope' in 'how_are_we_doing'",
        ),
        ({"links": {"outcomes": ["flying"]}}, "No outcome statements with these ids: flying"),
        ({"texts": {"de": {"body": "Hallo"}}}, "No such language here: de"),
        (
            {"texts": [{"locale": "en", "body": "One."}, {"locale": "en", "body": "Two."}]},
            "One text per language: en is given twice",
        ),
        ({"child_ids": [424242]}, "No children with these ids: 424242"),
        ({"links": {"outcomes": ["say"]}}, "Nobody has given this feedback yet"),
        ({"send_at": "2099-01-01T09:00:00Z"}, "send_at can be at most a year from now"),
    ],
)
async def test_a_reply_that_cannot_be_made_is_refused_with_the_reason(
    runtime: Runtime, admin: httpx.AsyncClient, change: dict[str, object], reason: str
) -> None:
    child = await add_child(runtime, worker_id=None)
    await give_answer(runtime, child, "listened")
    response = await admin.post("/replies", json=reply_body(**change))
    assert response.status_code == 409, response.text
    assert reason in response.json()["detail"]
    assert (await admin.get("/replies")).json() == []


async def test_unknown_fields_bad_shapes_and_a_cannot_without_why_are_422(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    await give_answer(runtime, child, "listened")
    bodies = (
        reply_body(state="queued"),
        reply_body(texts={"en": {"body": "Hi", "author": "me"}}),
        reply_body(links={"outcomes": ["listened"], "children": [1]}),
        reply_body(status="maybe"),
        reply_body(texts={"en": {"body": "   "}}),
        reply_body(send_at="2026-12-02T16:00:00"),  # no time zone
        reply_body(links={}),
        reply_body(links={"outcomes": []}),
        reply_body(child_ids=[]),
        reply_body(audience="group", child_ids=[1]),
        # We can't: the why is required, in every language.
        reply_body(status="cannot"),
        reply_body(
            status="cannot",
            texts={
                "en": {"body": "We cannot open on Sundays.", "why": "There is no money."},
                "cy": {"body": "Dim dydd Sul."},
            },
        ),
    )
    for body in bodies:
        response = await admin.post("/replies", json=body)
        assert response.status_code == 422, (body, response.text)
    why = (await admin.post("/replies", json=bodies[-2])).json()["detail"]
    assert any(e["loc"][-1] == "why" and e["type"] == "missing" for e in why)
    assert (await admin.get("/replies")).json() == []


async def test_a_cannot_with_a_why_is_kept_with_its_reason(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    await give_answer(runtime, child, "listened")
    texts = {"en": {"body": "We can't open the office on Sundays.", "why": "No staff then."}}
    response = await admin.post("/replies", json=reply_body(status="cannot", texts=texts))
    assert response.status_code == 201, response.text
    assert response.json()["texts"] == [
        {"locale": "en", "body": "We can't open the office on Sundays.", "why": "No staff then."}
    ]


async def test_workers_cannot_use_replies(runtime: Runtime, worker: httpx.AsyncClient) -> None:
    child = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    await give_answer(runtime, child, "listened")
    calls = [
        worker.get("/replies"),
        worker.get("/replies/outcomes"),
        worker.post("/replies", json=reply_body()),
        worker.get("/replies/1"),
        worker.get("/replies/1/recipients"),
        worker.post("/replies/1/cancel"),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 403, response.text


async def test_admins_see_the_outcome_statements_to_answer(admin: httpx.AsyncClient) -> None:
    found = {o["id"]: o for o in (await admin.get("/replies/outcomes")).json()}
    assert found["listened"]["statement"] == "I am listened to and respected"
    assert found["listened"]["area"] == "practice"
    assert found["settled"]["area"] == "quality_of_life"
    assert found["made_difference"]["area"] == "change"
    assert len(found) == 30


async def test_delivery_figures_and_reactions_per_reply(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    children = [await add_child(runtime, worker_id=None) for _ in range(5)]
    reply = await admin.post("/replies", json=reply_body(child_ids=children))
    reply_id = reply.json()["id"]
    messages = await outbox_of(runtime, reply_id)
    async with runtime.sessionmaker() as session:
        for message, status in zip(
            messages, ["sent", "sent", "dead", "cancelled", "pending"], strict=True
        ):
            await session.exec(
                update(OutboxMessage)  # type: ignore[call-overload]
                .where(col(OutboxMessage.id) == message.id)
                .values(status=status)
            )
        await session.commit()
    figures = (await admin.get(f"/replies/{reply_id}")).json()["delivery"]
    assert figures == {
        "recipients": 5,
        "sent": 2,
        "waiting": 1,
        "failed": 2,
        "reactions": {"thanks": 0, "not_really": 0, "more": 0},
    }
    listed = (await admin.get("/replies")).json()
    assert [r["delivery"]["sent"] for r in listed] == [2]
    recipients = (await admin.get(f"/replies/{reply_id}/recipients")).json()
    assert [r["delivery"] for r in recipients] == ["sent", "sent", "failed", "failed", "waiting"]


async def test_cancelling_a_scheduled_reply_sends_nothing(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    await give_answer(runtime, child, "listened")
    send_at = utcnow() + timedelta(hours=3)
    reply_id = (await admin.post("/replies", json=reply_body(send_at=send_at.isoformat()))).json()[
        "id"
    ]
    cancelled = await admin.post(f"/replies/{reply_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["reply"]["state"] == "cancelled"
    settings = runtime.services.settings
    queued = await queue_due_replies(
        runtime.sessionmaker,
        library=runtime.services.library,
        timezone=settings.timezone,
        now=send_at + timedelta(minutes=1),
    )
    assert queued == 0 and await outbox_of(runtime, reply_id) == []
    again = await admin.post(f"/replies/{reply_id}/cancel")
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]


async def test_cancelling_a_queued_reply_stops_what_is_still_waiting(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    first, second = [await add_child(runtime, worker_id=None) for _ in range(2)]
    reply = await admin.post("/replies", json=reply_body(child_ids=[first, second]))
    reply_id = reply.json()["id"]
    sent, waiting = await outbox_of(runtime, reply_id)
    async with runtime.sessionmaker() as session:
        await session.exec(
            update(OutboxMessage)  # type: ignore[call-overload]
            .where(col(OutboxMessage.id) == sent.id)
            .values(status="sent")
        )
        await session.commit()
    response = await admin.post(f"/replies/{reply_id}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["messages_cancelled"] == 1
    assert response.json()["reply"]["delivery"] | {"reactions": None} == {
        "recipients": 2,
        "sent": 1,
        "waiting": 0,
        "failed": 1,
        "reactions": None,
    }
    # A worker that claimed the row a moment earlier still sends nothing.
    assert await rendered(runtime, waiting) is None
    statuses = {m.id: m.status for m in await outbox_of(runtime, reply_id)}
    assert statuses == {sent.id: "sent", waiting.id: "cancelled"}


async def test_a_reply_already_sent_to_everyone_cannot_be_cancelled(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    reply_id = (await admin.post("/replies", json=reply_body(child_ids=[child]))).json()["id"]
    async with runtime.sessionmaker() as session:
        await session.exec(
            update(OutboxMessage)  # type: ignore[call-overload]
            .where(col(OutboxMessage.kind) == "reply")
            .values(status="sent")
        )
        await session.commit()
    response = await admin.post(f"/replies/{reply_id}/cancel")
    assert response.status_code == 409
    assert "already gone to every child" in response.json()["detail"]
    assert (await admin.get(f"/replies/{reply_id}")).json()["state"] == "queued"


async def test_every_change_is_in_the_audit_log(runtime: Runtime, admin: httpx.AsyncClient) -> None:
    child = await add_child(runtime, worker_id=None)
    await give_answer(runtime, child, "listened")
    reply_id = (await admin.post("/replies", json=reply_body())).json()["id"]
    await admin.get(f"/replies/{reply_id}/recipients")
    await admin.post(f"/replies/{reply_id}/cancel")
    entries = (await admin.get("/audit")).json()
    mine = [(e["action"], e["subject"]) for e in entries if e["action"].startswith("reply.")]
    subject = f"reply:{reply_id}"
    assert mine == [
        ("reply.cancel", subject),
        ("reply.recipients.read", subject),
        ("reply.queue", subject),
        ("reply.create", subject),
    ]


async def test_an_unknown_reply_is_404(admin: httpx.AsyncClient) -> None:
    for call in (admin.get("/replies/77"), admin.post("/replies/77/cancel")):
        response = await call
        assert response.status_code == 404 and response.json() == {"detail": "No such reply"}


async def test_two_clocks_at_once_queue_a_reply_once(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    children = [await add_child(runtime, worker_id=None) for _ in range(30)]
    send_at = utcnow() + timedelta(hours=1)
    body = reply_body(child_ids=children, send_at=send_at.isoformat())
    reply_id = (await admin.post("/replies", json=body)).json()["id"]
    settings = runtime.services.settings
    kwargs = {"library": runtime.services.library, "timezone": settings.timezone, "now": send_at}
    first, second = await asyncio.gather(
        queue_due_replies(runtime.sessionmaker, **kwargs),
        queue_due_replies(runtime.sessionmaker, **kwargs),
    )
    assert sorted([first, second]) == [0, 1]
    messages = await outbox_of(runtime, reply_id)
    assert sorted(m.young_person_id for m in messages) == children


async def test_serve_runs_the_reply_clock(runtime: Runtime, admin: httpx.AsyncClient) -> None:
    child = await add_child(runtime, worker_id=None)
    await give_answer(runtime, child, "listened")
    body = reply_body(send_at=(utcnow() + timedelta(seconds=1)).isoformat())
    reply_id = (await admin.post("/replies", json=body)).json()["id"]
    (job,) = [j for j in periodic_jobs(runtime) if j.name == "queue-replies"]
    await asyncio.sleep(1.1)
    await job.run()
    assert [m.young_person_id for m in await outbox_of(runtime, reply_id)] == [child]
