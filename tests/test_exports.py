"""Exports: CSV, XLSX and JSON Lines that read back, safe in a spreadsheet, the child's own
words only when asked for with a reason, counts of small groups hidden, jobs in the background
with progress and a download only for whoever made them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from typing import Any

import httpx
import openpyxl
import pytest

from api.routes import exports as export_routes
from api.runtime import Runtime
from core.models import ExportJob, utcnow
from tests.staff import add_child
from tests.test_answers_api import Given, audit, other_worker, seed

REASON = "Quarterly report to the corporate parenting board"


def read_csv(response: httpx.Response) -> list[dict[str, str]]:
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads every language
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def read_jsonl(content: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in content.decode().splitlines()]


async def export(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/exports", json={"reason": REASON, **body})


async def finished(client: httpx.AsyncClient, job: dict[str, Any]) -> dict[str, Any]:
    """Follows a background export until it is done, checking progress only ever grows."""
    seen = [job["rows_done"]]
    for _ in range(400):
        job = (await client.get(f"/exports/{job['id']}")).json()
        seen.append(job["rows_done"])
        if job["status"] in ("done", "failed"):
            break
        await asyncio.sleep(0.02)
    assert seen == sorted(seen)
    assert job["status"] == "done", job
    return job


async def test_a_csv_export_reads_back_and_is_safe_in_a_spreadsheet(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    first, second = await seed(
        runtime,
        Given(child, "listened", "good"),
        Given(child, "listened_more", None, text='=HYPERLINK("http://x")', voice="AwAC-voice-id"),
    )
    response = await export(admin, format="csv")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    rows = read_csv(response)
    assert [int(r["answer_id"]) for r in rows] == [first, second]
    assert rows[0]["statement"] == "I am listened to and respected"
    assert (rows[0]["value"], rows[0]["score"], rows[0]["area"]) == ("good", "4", "practice")
    # A bulk export leaves out the child's own words, and never holds a voice note's file id.
    assert "text" not in rows[0]
    assert rows[1]["has_voice"] == "true"
    assert b"AwAC-voice-id" not in response.content

    with_words = read_csv(await export(admin, format="csv", include_text=True))
    assert with_words[1]["text"] == '\'=HYPERLINK("http://x")'  # shown as words, never run


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
async def test_every_formula_start_is_neutralised(
    runtime: Runtime, admin: httpx.AsyncClient, start: str
) -> None:
    child = await add_child(runtime, worker_id=None)
    await seed(runtime, Given(child, "listened_more", None, text=f"{start}1+2"))
    (row,) = read_csv(await export(admin, child_id=child))
    assert row["text"] == f"'{start}1+2"


async def test_own_words_in_a_bulk_export_need_a_reason_that_is_audited(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None)
    await seed(runtime, Given(child, "listened_more", None, text="my words"))
    no_reason = await admin.post("/exports", json={"include_text": True})
    assert no_reason.status_code == 422
    assert "reason" in no_reason.text
    blank = await admin.post("/exports", json={"include_text": True, "reason": "   "})
    assert blank.status_code == 422
    response = await export(admin, format="jsonl", include_text=True)
    assert response.status_code == 200
    assert read_jsonl(response.content)[0]["text"] == "my words"
    (entry,) = await audit(admin, action="export.create")
    assert entry["reason"] == REASON and entry["young_person_id"] is None
    assert entry["detail"]["include_text"] is True and entry["detail"]["rows"] == 1


async def test_a_worker_exports_one_child_of_theirs_with_their_words(
    runtime: Runtime, worker: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    kim, kims_client = await other_worker(runtime)
    mine = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    theirs = await add_child(runtime, worker_id=kim)
    await seed(runtime, Given(mine, "listened_more", None, text="I like my new school"))
    await seed(runtime, Given(theirs, "listened_more", None, text="not for you"))

    (row,) = read_jsonl((await export(worker, child_id=mine, format="jsonl")).content)
    assert (row["child_id"], row["text"]) == (mine, "I like my new school")
    bulk = await export(worker)
    assert bulk.status_code == 403 and "admin" in bulk.json()["detail"]
    other = await export(worker, child_id=theirs)
    missing = await export(worker, child_id=999_999)
    assert other.status_code == missing.status_code == 404
    assert other.json() == missing.json()
    (entry,) = await audit(admin, action="export.create")
    assert (entry["young_person_id"], entry["reason"]) == (mine, REASON)
    await kims_client.aclose()


async def test_aggregate_exports_hide_counts_from_fewer_than_five_children(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    children = [await add_child(runtime, worker_id=None) for _ in range(5)]
    await seed(
        runtime,
        *[Given(c, "listened", "great") for c in children],
        *[Given(c, "listened", "good") for c in children[:4]],
    )
    rows = read_csv(await export(admin, kind="aggregates"))
    great, hidden = rows
    assert (great["value"], great["answers"], great["children"]) == ("great", "5", "5")
    # "good" (4 children) is not named; its counts are with the question's suppressed row.
    assert (hidden["status"], hidden["value"]) == ("suppressed", "")
    assert (hidden["answers"], hidden["children"], hidden["suppressed"]) == ("[c]", "[c]", "true")
    assert "text" not in rows[0]

    lines = read_jsonl((await export(admin, kind="aggregates", format="jsonl")).content)
    assert [line["value"] for line in lines] == ["great", None]
    assert (lines[1]["answers"], lines[1]["children"], lines[1]["suppressed"]) == (
        None,
        None,
        True,
    )
    words = read_csv(await export(admin, kind="aggregates", include_text=True))
    assert words == rows  # counts never hold words


async def test_an_xlsx_export_runs_in_the_background_and_downloads(
    runtime: Runtime, admin: httpx.AsyncClient, worker: httpx.AsyncClient, tmp_path: Any
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    child = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    await seed(
        runtime,
        *[Given(child, "listened", "ok") for _ in range(30)],
        Given(child, "listened_more", None, text="=cmd|' /C calc'!A0"),
    )
    started = await export(worker, child_id=child, format="xlsx")
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["status"], job["rows_total"], job["download"]) == ("queued", 31, None)
    job = await finished(worker, job)
    assert job["rows_done"] == job["rows_total"] == 31
    assert job["download"] == f"/exports/{job['id']}/file"

    download = await worker.get(job["download"])
    assert download.status_code == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(download.content), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 31 and header[-1] == "text"
    last = dict(zip(header, body[-1], strict=True))
    assert last["text"] == "=cmd|' /C calc'!A0"  # a text cell, never a formula
    assert last["score"] is None and body[0][header.index("score")] == 3
    sheet_cell = openpyxl.load_workbook(io.BytesIO(download.content)).active
    assert sheet_cell is not None and sheet_cell.cell(row=32, column=len(header)).data_type == "s"

    # Admins may fetch it too; every download is audited.
    assert (await admin.get(job["download"])).status_code == 200
    downloads = await audit(admin, action="export.download")
    assert len(downloads) == 2 and downloads[0]["young_person_id"] == child


async def test_only_whoever_made_an_export_or_an_admin_can_see_it(
    runtime: Runtime, admin: httpx.AsyncClient, tmp_path: Any
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    child = await add_child(runtime, worker_id=None)
    await seed(runtime, Given(child))
    job = await finished(admin, (await export(admin, format="jsonl", background=True)).json())
    assert read_jsonl((await admin.get(job["download"])).content)[0]["child_id"] == child
    _, kim = await other_worker(runtime)
    for path in (f"/exports/{job['id']}", job["download"]):
        response = await kim.get(path)
        assert response.status_code == 404 and response.json()["detail"] == "No such export"
    assert (await kim.get("/exports")).json() == []
    assert [j["id"] for j in (await admin.get("/exports")).json()] == [job["id"]]
    await kim.aclose()


async def test_a_big_export_goes_to_the_background(
    runtime: Runtime, admin: httpx.AsyncClient, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    monkeypatch.setattr(export_routes, "INLINE_MAX_ROWS", 3)
    child = await add_child(runtime, worker_id=None)
    await seed(runtime, *[Given(child) for _ in range(4)])
    assert (
        await export(admin, format="csv", child_id=child, conversation_id="nope")
    ).status_code == 200
    started = await export(admin, format="csv")
    assert started.status_code == 202
    job = await finished(admin, started.json())
    rows = read_csv(await admin.get(job["download"]))
    assert len(rows) == 4


async def test_a_job_lost_in_a_restart_is_run_again(
    runtime: Runtime, admin: httpx.AsyncClient, tmp_path: Any
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    child = await add_child(runtime, worker_id=None)
    await seed(runtime, Given(child), Given(child, "say", "ok"))
    me = (await admin.get("/auth/me")).json()
    async with runtime.sessionmaker() as session:
        lost = ExportJob(
            staff_id=me["id"],
            format="csv",
            reason=REASON,
            status="running",
            heartbeat_at=utcnow() - timedelta(minutes=10),
        )
        session.add(lost)
        await session.commit()
        job_id = lost.id
    not_ready = await admin.get(f"/exports/{job_id}/file")
    assert not_ready.status_code == 409 and "not ready" in not_ready.json()["detail"]
    await export_routes.export_jobs(runtime).tick()
    job = (await admin.get(f"/exports/{job_id}")).json()
    assert (job["status"], job["rows_done"]) == ("done", 2)
    assert len(read_csv(await admin.get(job["download"]))) == 2


async def test_export_requests_refuse_fields_they_do_not_know(admin: httpx.AsyncClient) -> None:
    for extra in ({"staff_id": 1}, {"status": "done"}, {"visible_to": 3}):
        response = await export(admin, **extra)
        assert response.status_code == 422, extra
    assert (await export(admin, format="pdf")).status_code == 422
    assert (await admin.get("/exports/123/file")).status_code == 404


async def test_a_background_csv_has_the_same_cells_as_a_streamed_one(
    runtime: Runtime, admin: httpx.AsyncClient, tmp_path: Any
) -> None:
    # On PostgreSQL a background CSV is written by COPY; it must say exactly the same.
    runtime.settings.export_dir = tmp_path / "exports"
    child = await add_child(runtime, worker_id=None)
    await seed(
        runtime,
        Given(child, "listened", "good", voice="AwAC-voice"),
        Given(child, "listened_more", None, text='-2 said "no",\nthen =SUM(A1)'),
        Given(child, "safe", "ok", conversation_id="hows_life"),
        Given(child, "unknown_question", "+1", status="rather_not_say"),
    )
    for words in (False, True):
        streamed = read_csv(await export(admin, include_text=words))
        job = await finished(
            admin, (await export(admin, include_text=words, background=True)).json()
        )
        assert job["rows_done"] == job["rows_total"] == 4
        assert read_csv(await admin.get(job["download"])) == streamed
    assert streamed[1]["text"] == '\'-2 said "no",\nthen =SUM(A1)'
    assert streamed[3]["value"] == "'+1" and streamed[3]["statement"] == ""
    assert streamed[0]["answered_at"] == "2026-03-02T10:00:00.000000+00:00"
    assert (streamed[0]["has_voice"], streamed[0]["confirmed"]) == ("true", "false")


async def test_an_export_that_cannot_be_written_says_so(
    runtime: Runtime, admin: httpx.AsyncClient, tmp_path: Any
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    me = (await admin.get("/auth/me")).json()
    async with runtime.sessionmaker() as session:
        broken = ExportJob(staff_id=me["id"], format="pdf", reason=REASON)
        session.add(broken)
        await session.commit()
        job_id = broken.id
    await export_routes.export_jobs(runtime).tick()
    job = (await admin.get(f"/exports/{job_id}")).json()
    assert job["status"] == "failed" and "could not be written" in job["error"]
    assert job["download"] is None
    assert list((tmp_path / "exports").iterdir()) == []
