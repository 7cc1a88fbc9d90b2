"""An export file lives no longer than the right to read it: access is checked again at each
download, erasure withdraws every file holding the child, and files expire."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import select

from api.routes import exports as export_routes
from api.runtime import Runtime
from core.models import ExportJob, utcnow
from tests.staff import add_child, add_staff, api_client, sign_in
from tests.test_answers_api import Given, other_worker, seed
from tests.test_exports import export, finished, read_jsonl


async def _background(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    started = await export(client, **{"format": "jsonl", "background": True, **body})
    assert started.status_code == 202, started.text
    return await finished(client, started.json())


def _files(runtime: Runtime) -> list[Path]:
    folder = runtime.settings.export_dir
    return sorted(folder.iterdir()) if folder.exists() else []


async def test_a_workers_export_is_theirs_only_while_the_child_is(
    runtime: Runtime, worker: httpx.AsyncClient, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    kim, kims_client = await other_worker(runtime)
    child = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    await seed(runtime, Given(child, "listened_more", None, text="only for my worker"))
    job = await _background(worker, child_id=child)
    assert (await worker.get(job["download"])).status_code == 200

    moved = await admin.put(f"/children/{child}/worker", json={"worker_id": kim})
    assert moved.status_code == 200, moved.text
    refused = await worker.get(job["download"])
    assert refused.status_code == 403
    assert "no longer" in refused.json()["detail"]
    # and the worker's own list and status offer no link to it any more, and say why
    listed = next(j for j in (await worker.get("/exports")).json() if j["id"] == job["id"])
    status = (await worker.get(f"/exports/{job['id']}")).json()
    for shown in (listed, status):
        assert shown["download"] is None and "no longer" in shown["refused"], shown
    assert (await admin.get(f"/exports/{job['id']}")).json()["download"] == job["download"]
    assert (await kims_client.get(job["download"])).status_code == 404  # not theirs either
    assert (await admin.get(job["download"])).status_code == 200
    await kims_client.aclose()


async def test_a_bulk_export_is_for_admins_only_while_they_are_admins(
    runtime: Runtime, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    await seed(runtime, Given(await add_child(runtime, worker_id=None)))
    ben = await add_staff(runtime, "ben@council.example", role="admin")
    async with api_client(runtime, await sign_in(runtime, "ben@council.example")) as bens:
        job = await _background(bens)
        assert (await bens.get(job["download"])).status_code == 200
        demoted = await admin.patch(f"/staff/{ben}", json={"role": "worker"})
        assert demoted.status_code == 200, demoted.text
        refused = await bens.get(job["download"])
        assert refused.status_code == 403
        assert "admin" in refused.json()["detail"]


async def test_erasure_withdraws_every_export_that_holds_the_child(
    runtime: Runtime, admin: httpx.AsyncClient, worker: httpx.AsyncClient, tmp_path: Path
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    leaving = await add_child(runtime, worker_id=worker.staff_id)  # type: ignore[attr-defined]
    staying = await add_child(runtime, worker_id=None)
    await seed(
        runtime,
        Given(leaving, "listened_more", None, text="please forget me"),
        Given(staying, "safe", "good", conversation_id="hows_life"),
    )
    bulk = await _background(admin, include_text=True)
    assert "please forget me" in (await admin.get(bulk["download"])).text
    # On PostgreSQL a CSV without words is written by COPY: its children are recorded too.
    copied = await _background(admin, format="csv")
    own = await _background(worker, child_id=leaving)
    without = await _background(admin, conversation_id="hows_life")
    me = (await admin.get("/auth/me")).json()
    async with runtime.sessionmaker() as session:  # one not started yet when the child leaves
        waiting = ExportJob(staff_id=me["id"], format="jsonl", reason="Board report, March")
        session.add(waiting)
        await session.commit()
    files = _files(runtime)
    assert len(files) == 4

    erased = await admin.post(f"/children/{leaving}/erase", json={"reason": "Asked to be erased"})
    assert erased.status_code == 200, erased.text
    for job, client in ((bulk, admin), (copied, admin), (own, worker), (own, admin)):
        gone = await client.get(job["download"])
        assert gone.status_code == 410, gone.text
        assert "erased" in gone.json()["detail"]
    assert _files(runtime) == [f for f in files if f.name.startswith(f"export-{without['id']}-")]
    kept = read_jsonl((await admin.get(without["download"])).content)
    assert [row["child_id"] for row in kept] == [staying]

    await export_routes.export_jobs(runtime).tick()  # the waiting one never runs
    status = (await admin.get(f"/exports/{waiting.id}")).json()
    assert (status["status"], status["download"]) == ("withdrawn", None)
    assert len(_files(runtime)) == 1


async def test_an_export_expires_after_a_day_and_its_file_is_deleted(
    runtime: Runtime, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    await seed(runtime, Given(await add_child(runtime, worker_id=None)))
    job = await _background(admin)
    assert job["expires_at"] is not None
    async with runtime.sessionmaker() as session:
        stored = (await session.exec(select(ExportJob))).one()
        stored.finished_at = utcnow() - timedelta(hours=24, minutes=1)
        await session.commit()
    late = await admin.get(job["download"])  # refused at once, before the clock deletes it
    assert late.status_code == 410 and "expired" in late.json()["detail"]
    assert len(_files(runtime)) == 1
    await export_routes.export_jobs(runtime).tick()
    assert _files(runtime) == []
    assert (await admin.get(f"/exports/{job['id']}")).json()["status"] == "expired"
    assert (await admin.get(job["download"])).status_code == 410


async def test_how_long_exports_last_is_a_setting(
    runtime: Runtime, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    runtime.settings.export_dir = tmp_path / "exports"
    runtime.settings.export_hours = 2
    await seed(runtime, Given(await add_child(runtime, worker_id=None)))
    job = await _background(admin)
    async with runtime.sessionmaker() as session:
        stored = (await session.exec(select(ExportJob))).one()
        stored.finished_at = utcnow() - timedelta(hours=2, minutes=1)
        await session.commit()
    assert (await admin.get(job["download"])).status_code == 410


async def test_the_download_documents_every_refusal(admin: httpx.AsyncClient) -> None:
    schema = (await admin.get("/openapi.json")).json()
    responses = schema["paths"]["/exports/{export_id}/file"]["get"]["responses"]
    assert {"403", "404", "409", "410"} <= set(responses)


async def test_files_made_before_children_were_recorded_are_deleted(
    runtime: Runtime, admin: httpx.AsyncClient, tmp_path: Path
) -> None:
    # Migration 0012 marks them expired: nobody knows which children they hold.
    old = tmp_path / "export-1-old.csv"
    old.write_text("answer_id,child_id\n1,1\n")
    me = (await admin.get("/auth/me")).json()
    async with runtime.sessionmaker() as session:
        job = ExportJob(
            staff_id=me["id"], format="csv", reason="Before", status="expired", path=str(old)
        )
        session.add(job)
        await session.commit()
    assert (await admin.get(f"/exports/{job.id}/file")).status_code == 410
    await export_routes.export_jobs(runtime).tick()
    assert not old.exists()
