"""Who may read an export's file, and for how long. Decided at every download against who the
caller is now and which children are theirs now, never by who made the file: a permission
expires with the permission. Erasure withdraws every file that holds the child; every file
expires (SAYSO_EXPORT_HOURS) and the clock deletes it (core.exports.Jobs.tick)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from core.models import ExportChild, ExportJob, YoungPerson

UNFINISHED = ("queued", "running")
WITHDRAWN = (
    "A child in this export has had their data erased, so the export was withdrawn and its "
    "file deleted. Make a new export if you still need one."
)
NOT_ADMIN = "Only an admin can download an export of more than one child, and you are not one now"
NOT_YOURS = "This export holds a child who is no longer allocated to you"
CHUNK = 1000


def expires_at(job: ExportJob, hours: float) -> datetime | None:
    """When a finished file stops being downloadable and is deleted."""
    if job.finished_at is None or job.status not in ("done", "expired"):
        return None
    return job.finished_at + timedelta(hours=hours)


def status_now(job: ExportJob, *, hours: float, now: datetime) -> str:
    """The job's status as a reader should see it: a file past its time has expired even
    before the clock gets round to deleting it."""
    ends = expires_at(job, hours)
    return "expired" if job.status == "done" and ends is not None and ends <= now else job.status


def gone(job: ExportJob, *, hours: float, now: datetime) -> str | None:
    """Why the file can never be downloaded again, or None."""
    status = status_now(job, hours=hours, now=now)
    if status == "withdrawn":
        return job.error or WITHDRAWN
    if status == "expired":
        return (
            f"This export expired {hours:g} hours after it was made and its file was deleted; "
            "make a new export"
        )
    return None


async def children_held(session: AsyncSession, job_id: int) -> set[int]:
    query = select(ExportChild.young_person_id).where(ExportChild.export_job_id == job_id)
    return set((await session.exec(query)).all())


async def refusal(
    session: AsyncSession, job: ExportJob, *, staff_id: int, is_admin: bool
) -> str | None:
    """Why this caller may not read this file now, or None. Admins read any child; a worker
    only a one-child export whose every child is allocated to them today."""
    if is_admin:
        return None
    child_id = (job.filters or {}).get("child_id")
    if child_id is None:
        return NOT_ADMIN
    assert job.id is not None
    held = sorted(await children_held(session, job.id) | {int(child_id)})
    mine = 0
    for start in range(0, len(held), CHUNK):
        query = select(func.count()).where(
            col(YoungPerson.id).in_(held[start : start + CHUNK]),
            YoungPerson.worker_id == staff_id,
        )
        mine += int((await session.exec(query)).one())
    return None if mine == len(held) else NOT_YOURS


async def record_held(session: AsyncSession, job_id: int, child_ids: Iterable[int]) -> None:
    """In the caller's transaction: the one that marks the file done."""
    rows = [{"export_job_id": job_id, "young_person_id": c} for c in sorted(set(child_ids))]
    for start in range(0, len(rows), CHUNK):
        await session.exec(insert(ExportChild), params=rows[start : start + CHUNK])  # type: ignore[call-overload]


def _may_hold(job: ExportJob, child_id: int) -> bool:
    """An export not yet written could hold this child unless it is about another one."""
    wanted = (job.filters or {}).get("child_id")
    return job.kind == "answers" and wanted in (None, child_id)


async def withdraw_holding(session: AsyncSession, child_id: int) -> int:
    """Erasure's part, in its transaction, before the child's rows go: every export that holds
    the child, or may come to, is withdrawn and its file deleted. How many."""
    unfinished = await session.exec(select(ExportJob).where(col(ExportJob.status).in_(UNFINISHED)))
    # A job still being written is stopped short of `done` (Jobs.run marks only a running job
    # done), so it never records this child, who is about to go.
    stop = [job.id for job in unfinished.all() if _may_hold(job, child_id)]
    if stop:
        await session.exec(
            update(ExportJob)  # type: ignore[call-overload]
            .where(col(ExportJob.id).in_(stop), col(ExportJob.status).in_(UNFINISHED))
            .values(status="withdrawn", error=WITHDRAWN)
        )
    # Read after the update: a job that finished meanwhile has recorded its children by now.
    holding = select(ExportChild.export_job_id).where(ExportChild.young_person_id == child_id)
    done = await session.exec(
        select(ExportJob).where(
            col(ExportJob.status).in_(("done", "expired")),
            col(ExportJob.id).in_(holding)
            | (col(ExportJob.filters)["child_id"].as_integer() == child_id),
        )
    )
    files = done.all()
    for job in files:
        if job.path:
            await asyncio.to_thread(Path(job.path).unlink, missing_ok=True)
        job.status, job.path, job.error = "withdrawn", None, WITHDRAWN
        session.add(job)
    await session.flush()
    return len(stop) + len(files)
