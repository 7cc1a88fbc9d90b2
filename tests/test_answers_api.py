"""Staff read what children said: filters, a worker's own children only, a child's timeline,
counts per outcome statement with small groups hidden, and every read in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.runtime import Runtime
from core.models import Answer, ConversationRun
from tests.staff import add_child, add_staff, api_client, sign_in

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SCORES = {"great": 5, "good": 4, "ok": 3, "bad": 2, "awful": 1}
AREAS = {"how_are_we_doing": "practice", "hows_life": "quality_of_life"}


@dataclass
class Given:
    """One answer to seed: scale answers get their score; words and voice are optional."""

    child_id: int
    question_id: str = "listened"
    value: str | None = "good"
    conversation_id: str = "how_are_we_doing"
    at: datetime = T0
    text: str | None = None
    voice: str | None = None
    status: str = "answered"


async def seed(runtime: Runtime, *given: Given) -> list[int]:
    """Each answer in a run of its own (a child who did the conversation again)."""
    ids = []
    async with runtime.sessionmaker() as session:
        for g in given:
            run = ConversationRun(
                young_person_id=g.child_id,
                conversation_id=g.conversation_id,
                content_version=1,
                locale="en",
                status="finished",
                started_at=g.at,
            )
            session.add(run)
            await session.flush()
            assert run.id is not None
            answer = Answer(
                run_id=run.id,
                young_person_id=g.child_id,
                conversation_id=g.conversation_id,
                question_id=g.question_id,
                area=AREAS.get(g.conversation_id),
                content_version=1,
                locale="en",
                status=g.status,
                value=g.value,
                score=SCORES.get(g.value or ""),
                text=g.text,
                voice_file_id=g.voice,
                answered_at=g.at,
                updated_at=g.at,
            )
            session.add(answer)
            await session.flush()
            assert answer.id is not None
            ids.append(answer.id)
        await session.commit()
    return ids


async def other_worker(runtime: Runtime) -> tuple[int, httpx.AsyncClient]:
    staff_id = await add_staff(runtime, "kim@council.example")
    return staff_id, api_client(runtime, await sign_in(runtime, "kim@council.example"))


async def audit(admin: httpx.AsyncClient, **query: Any) -> list[dict[str, Any]]:
    response = await admin.get("/audit", params={"limit": 200, **query})
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def test_answers_are_filtered_by_child_conversation_area_question_and_dates(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    ana = await add_child(runtime, worker_id=None, display_name="AN")
    ben = await add_child(runtime, worker_id=None, display_name="BE")
    early, late, life, bens = await seed(
        runtime,
        Given(ana, "listened", "good", at=T0),
        Given(ana, "say", "bad", at=T0 + timedelta(days=10)),
        Given(ana, "safe", "great", conversation_id="hows_life", at=T0 + timedelta(days=20)),
        Given(ben, "listened", "ok", at=T0 + timedelta(days=5)),
    )

    async def ids(**query: Any) -> list[int]:
        response = await admin.get("/answers", params=query)
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()]

    assert await ids() == [life, late, bens, early]  # newest first
    assert await ids(child_id=ana) == [life, late, early]
    assert await ids(conversation_id="hows_life") == [life]
    assert await ids(area="practice") == [late, bens, early]
    assert await ids(question_id="listened") == [bens, early]
    window = {"since": (T0 + timedelta(days=5)).isoformat(), "until": "2026-03-22T10:00:00Z"}
    assert await ids(**window) == [late, bens]  # since inclusive, until exclusive
    assert await ids(since="2026-03-13") == [life]  # a date alone is midnight UTC
    assert await ids(child_id=ana, question_id="listened") == [early]
    assert await ids(limit=2, offset=1) == [late, bens]

    answer = (await admin.get("/answers", params={"child_id": ana, "limit": 1})).json()[0]
    assert answer["question_id"] == "safe"
    assert (answer["value"], answer["score"], answer["area"]) == ("great", 5, "quality_of_life")


async def test_a_worker_sees_only_their_own_childrens_answers(
    runtime: Runtime, worker: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    kim, kims_client = await other_worker(runtime)
    mine = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    theirs = await add_child(runtime, worker_id=kim)
    (my_answer, _) = await seed(runtime, Given(mine), Given(theirs))

    listed = await worker.get("/answers")
    assert [a["id"] for a in listed.json()] == [my_answer]
    # Another worker's child is answered exactly as a child who does not exist.
    for ask in (
        lambda child: worker.get("/answers", params={"child_id": child}),
        lambda child: worker.get("/answers/aggregates", params={"child_id": child}),
        lambda child: worker.get(f"/children/{child}/timeline"),
    ):
        response, missing = await ask(theirs), await ask(999_999)
        assert response.status_code == missing.status_code == 404
        assert response.json() == missing.json()
    # Naming another worker finds nothing of theirs.
    assert (await worker.get("/answers", params={"worker_id": kim})).json() == []
    # Admins see everything, and can filter by worker.
    by_kim = await admin.get("/answers", params={"worker_id": kim})
    assert [a["child_id"] for a in by_kim.json()] == [theirs]
    await kims_client.aclose()


async def test_a_childs_own_words_show_only_when_reading_that_child(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    await seed(
        runtime,
        Given(child, "listened_more", None, text="nobody calls me back", voice="AwACAgQ-file-id"),
    )
    everyone = (await admin.get("/answers")).json()[0]
    assert everyone["text"] is None and everyone["has_voice"] is True
    one = await admin.get("/answers", params={"child_id": child})
    assert one.json()[0]["text"] == "nobody calls me back"
    assert "AwACAgQ-file-id" not in one.text  # a voice note's file id is never shown


async def test_the_timeline_shows_how_each_answer_changed_over_time(
    runtime: Runtime, worker: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    await seed(
        runtime,
        Given(child, "listened", "bad", at=T0),
        Given(child, "say", "ok", at=T0 + timedelta(hours=1)),
        Given(child, "listened", "good", at=T0 + timedelta(days=30)),
        Given(child, "listened", "ok", at=T0 + timedelta(days=60)),
        Given(child, "safe", "great", conversation_id="hows_life", at=T0 + timedelta(days=2)),
    )
    response = await worker.get(f"/children/{child}/timeline")
    assert response.status_code == 200, response.text
    series = response.json()
    assert [(s["conversation_id"], s["question_id"]) for s in series] == [
        ("how_are_we_doing", "listened"),
        ("how_are_we_doing", "say"),
        ("hows_life", "safe"),
    ]
    listened = series[0]
    assert listened["statement"] == "I am listened to and respected"
    assert [p["value"] for p in listened["points"]] == ["bad", "good", "ok"]
    assert [p["change"] for p in listened["points"]] == [None, 2, -1]
    dates = [p["answered_at"] for p in listened["points"]]
    assert dates == sorted(dates) and dates[0].startswith("2026-03-02T10:00:00")


async def test_counts_from_fewer_than_five_children_are_hidden(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    children = [await add_child(runtime, worker_id=None) for _ in range(5)]
    await seed(
        runtime,
        *[Given(c, "listened", "great") for c in children],  # 5 children: shown
        *[Given(c, "listened", "good") for c in children[:4]],  # 4 children: hidden
        # One child answering five times is still one child: hidden.
        *[Given(children[0], "listened", "awful", at=T0 + timedelta(days=d)) for d in range(5)],
        Given(children[1], "listened_more", None, text="words are never counted"),
    )
    response = await admin.get("/answers/aggregates", params={"question_id": "listened"})
    assert response.status_code == 200, response.text
    great, hidden = response.json()
    assert (great["value"], great["answers"], great["children"]) == ("great", 5, 5)
    assert great["suppressed"] is False
    assert great["statement"] == "I am listened to and respected"
    assert (great["area"], great["score"]) == ("practice", 5)
    # "good" and "awful" are not even named: one row says that something is hidden, not what.
    assert (hidden["status"], hidden["value"], hidden["score"]) == ("suppressed", None, None)
    assert (hidden["answers"], hidden["children"], hidden["suppressed"]) == (None, None, True)
    assert hidden["statement"] == great["statement"]
    everything = (await admin.get("/answers/aggregates")).json()
    assert all(c["question_id"] != "listened_more" for c in everything)


async def test_the_threshold_is_a_setting(runtime: Runtime, admin: httpx.AsyncClient) -> None:
    runtime.settings.min_group_size = 2
    children = [await add_child(runtime, worker_id=None) for _ in range(2)]
    await seed(runtime, *[Given(c) for c in children])
    (count,) = (await admin.get("/answers/aggregates")).json()
    assert (count["children"], count["suppressed"]) == (2, False)


async def test_every_read_of_a_childs_answers_is_in_the_audit_log(
    runtime: Runtime, worker: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    await seed(runtime, Given(child))
    assert (await worker.get("/answers", params={"area": "practice"})).status_code == 200
    assert (await worker.get(f"/children/{child}/timeline")).status_code == 200
    entries = await audit(admin, child_id=child)
    assert [(e["action"], e["staff_id"]) for e in entries] == [
        ("answers.timeline", worker.staff_id),  # type: ignore[attr-defined]
        ("answers.read", worker.staff_id),  # type: ignore[attr-defined]
    ]
    assert entries[1]["detail"]["filters"] == {"area": "practice"}
    assert entries[1]["at"] is not None


async def test_bad_filters_get_a_clear_answer(admin: httpx.AsyncClient) -> None:
    backwards = await admin.get("/answers", params={"since": "2026-05-01", "until": "2026-04-01"})
    assert (backwards.status_code, backwards.json()) == (200, [])  # an empty window
    assert (await admin.get("/answers", params={"limit": 201})).status_code == 422
    assert (await admin.get("/answers", params={"area": "nowhere"})).status_code == 422
    assert (await admin.get("/answers", params={"since": "soon"})).status_code == 422
    far = await admin.get("/answers", params={"since": "9999-12-31T23:59:59-14:00"})
    assert far.status_code == 422
