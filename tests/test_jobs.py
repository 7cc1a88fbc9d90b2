"""The clock really runs every periodic job: APScheduler awaits them, whatever their shape."""

from __future__ import annotations

import asyncio

from api.jobs import Job, periodic_jobs, run_job, start_scheduler
from api.runtime import Runtime


async def test_the_scheduler_awaits_a_job_given_as_a_lambda() -> None:
    done = asyncio.Event()

    async def work() -> None:
        done.set()

    scheduler = start_scheduler([Job("probe", 0.05, lambda: work())])
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        scheduler.shutdown(wait=False)


async def test_every_periodic_job_runs_once_without_error(runtime: Runtime) -> None:
    jobs = periodic_jobs(runtime)
    names = {job.name for job in jobs}
    assert {"outbox", "prune-update-ids", "retention", "queue-replies", "check-ins"} <= names
    for job in jobs:
        await run_job(job)
