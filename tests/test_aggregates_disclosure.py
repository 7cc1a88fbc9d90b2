"""Small numbers stay hidden under every filter: the attacks on `GET /answers/aggregates` that
undid suppression (differencing two windows or two workers, isolating one child with a window
or a worker, subtracting cells from a total) learn no child's answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from api.runtime import Runtime
from tests.staff import add_child, add_staff
from tests.test_answers_api import Given, seed

JAN = datetime(2026, 1, 1, tzinfo=UTC)
FEB = datetime(2026, 2, 1, tzinfo=UTC)
MAR = datetime(2026, 3, 1, tzinfo=UTC)
CLARITY = {"conversation_id": "whats_changed", "question_id": "clarity"}


def _clarity(child: int, value: str, at: datetime) -> Given:
    return Given(child, "clarity", value, conversation_id="whats_changed", at=at)


async def _counts(client: httpx.AsyncClient, **query: Any) -> dict[str, dict[str, Any]]:
    """The rows for whats_changed / clarity, by value (the suppressed row by its status); a
    suppressed row never has a value."""
    response = await client.get("/answers/aggregates", params={**CLARITY, **query})
    assert response.status_code == 200, response.text
    rows = response.json()
    for row in rows:
        assert not (row["suppressed"] and row["value"] is not None), row  # presence tells
    return {row["value"] or row["status"]: row for row in rows}


def _shown(rows: dict[str, dict[str, Any]], value: str) -> int:
    row = rows.get(value)
    return 0 if row is None or row["children"] is None else int(row["children"])


def _safe_difference(a: int, b: int) -> bool:
    """Two counts a reader sees may differ by nothing, or by a group of five or more."""
    return abs(a - b) == 0 or abs(a - b) >= 5


async def _children(runtime: Runtime, count: int, worker: int | None = None) -> list[int]:
    return [await add_child(runtime, worker_id=worker) for _ in range(count)]


async def test_differencing_two_windows_does_not_give_away_the_sixth_child(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    five = await _children(runtime, 5)
    sixth = await add_child(runtime, worker_id=None)
    started = JAN + timedelta(days=20)
    await seed(
        runtime,
        *[_clarity(c, "ok", JAN + timedelta(days=i)) for i, c in enumerate(five)],
        _clarity(sixth, "ok", started),
    )
    assert _shown(await _counts(admin), "ok") == 6
    # The window just before the sixth child started cannot be asked for at all.
    before = await admin.get(
        "/answers/aggregates", params={**CLARITY, "until": started.isoformat()}
    )
    assert before.status_code == 409 and "whole" in before.text
    # The sixth child moves to the next month: the month boundary is allowed, and the month
    # holding them alone adds nothing to any count.
    async with runtime.sessionmaker() as session:
        await session.exec(  # type: ignore[call-overload]
            text("UPDATE answer SET answered_at = :at WHERE young_person_id = :child"),
            params={"at": FEB + timedelta(days=3), "child": sixth},
        )
        await session.commit()
    everyone = await _counts(admin)
    january = await _counts(admin, until=FEB.isoformat())
    assert _shown(everyone, "ok") == _shown(january, "ok") == 5


async def test_a_window_or_a_worker_holding_one_child_shows_nothing_of_them(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    kim = await add_staff(runtime, "kim@council.example")
    many = await _children(runtime, 5)
    alone = await add_child(runtime, worker_id=kim)
    await seed(
        runtime,
        *[_clarity(c, "ok", JAN + timedelta(days=2)) for c in many],
        _clarity(alone, "great", FEB + timedelta(days=2)),
    )
    for query in ({"since": FEB.isoformat()}, {"worker_id": kim}):
        refused = await admin.get("/answers/aggregates", params={**CLARITY, **query})
        assert refused.status_code == 409, query
        assert "fewer than 5 children" in refused.json()["detail"].lower()
        assert "great" not in refused.text
    everyone = await _counts(admin)
    assert "great" not in everyone  # a suppressed value is not even named
    assert everyone["suppressed"]["suppressed"] is True  # one row says something is hidden
    assert _shown(everyone, "ok") == 5


async def test_a_worker_and_a_window_together_cannot_be_subtracted_from_everyone(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    ann, bob, cat = [
        await add_staff(runtime, f"{n}@council.example") for n in ("ann", "bob", "cat")
    ]
    anns, bobs = await _children(runtime, 6, ann), await _children(runtime, 6, bob)
    cats = await add_child(runtime, worker_id=cat)
    await seed(
        runtime,
        *[_clarity(c, "ok", JAN + timedelta(days=3)) for c in anns + bobs],
        _clarity(cats, "ok", JAN + timedelta(days=4)),
        # Enough of Cat's children in February for her to be asked about on her own.
        *[_clarity(c, "good", FEB + timedelta(days=1)) for c in await _children(runtime, 5, cat)],
    )
    window = {"since": JAN.isoformat(), "until": FEB.isoformat()}
    everyone = _shown(await _counts(admin, **window), "ok")
    by_worker = {w: _shown(await _counts(admin, worker_id=w, **window), "ok") for w in (ann, bob)}
    # Everyone minus Ann, minus Bob, would be Cat's one child: so neither is shown.
    assert _safe_difference(everyone, sum(by_worker.values()))
    for shown in by_worker.values():
        assert _safe_difference(everyone, shown)
    cats_all = _shown(await _counts(admin, worker_id=cat), "ok")
    assert _safe_difference(0, cats_all)


async def test_nested_windows_and_totals_differ_only_by_groups_of_five(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    january, february = await _children(runtime, 7), await _children(runtime, 6)
    await seed(
        runtime,
        *[_clarity(c, "ok", JAN + timedelta(days=5)) for c in january[:5]],
        *[_clarity(c, "bad", JAN + timedelta(days=5)) for c in january[5:]],
        *[_clarity(c, "ok", FEB + timedelta(days=5)) for c in february[:5]],
        _clarity(february[5], "awful", FEB + timedelta(days=6)),
    )
    windows = [
        {},
        {"since": JAN.isoformat()},
        {"until": FEB.isoformat()},
        {"since": FEB.isoformat()},
        {"since": JAN.isoformat(), "until": MAR.isoformat()},
    ]
    seen = [await _counts(admin, **window) for window in windows]
    for value in ("ok", "bad", "awful"):
        counts = [_shown(rows, value) for rows in seen]
        assert all(_safe_difference(a, b) for a in counts for b in counts), (value, counts)
    assert "awful" not in seen[0] and "bad" not in seen[0]
    # No total either: what is shown plus what is hidden is never given, so a hidden cell
    # cannot be found as the total minus the others.
    hidden = seen[0]["suppressed"]
    assert hidden["value"] is None and hidden["children"] is None and hidden["answers"] is None


async def test_the_month_still_running_is_counted_once_it_is_over(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=10)).replace(hour=9)
    await seed(runtime, *[_clarity(c, "ok", last_month) for c in await _children(runtime, 5)])
    before = _shown(await _counts(admin), "ok")
    # A child answers today: asking again now must not show their answer as the difference.
    await seed(runtime, _clarity(await add_child(runtime, worker_id=None), "ok", datetime.now(UTC)))
    assert _shown(await _counts(admin), "ok") == before == 5


async def test_exports_of_counts_keep_to_the_same_rules(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    kim = await add_staff(runtime, "kim@council.example")
    await seed(
        runtime,
        *[_clarity(c, "ok", JAN + timedelta(days=2)) for c in await _children(runtime, 5)],
        _clarity(await add_child(runtime, worker_id=kim), "great", JAN + timedelta(days=9)),
    )
    body = {"reason": "Board report", "kind": "aggregates", "format": "jsonl"}
    cut = await admin.post(
        "/exports", json={**body, "until": (JAN + timedelta(days=9)).isoformat()}
    )
    assert cut.status_code == 409 and "whole calendar months" in cut.text
    alone = await admin.post("/exports", json={**body, "worker_id": kim})
    assert alone.status_code == 409 and "great" not in alone.text
    whole = await admin.post("/exports", json=body)
    assert whole.status_code == 200
    assert b"great" not in whole.content and b'"value": "ok"' in whole.content
