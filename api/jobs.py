"""The periodic jobs: what the clock runs in `sayso serve` (and in `sayso worker` when scaled
out). Each feature adds its own job here; APScheduler only keeps time, in memory, per process:
the work itself is claimed in the database, so two processes never do it twice."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlmodel.ext.asyncio.session import AsyncSession

from api.routes.exports import export_jobs
from api.runtime import Runtime
from bot.outbox_sender import create_delivery
from core.callbacks_queue import flag_overdue
from core.checkins import advance as advance_check_ins
from core.data_rights import erase_old_words
from core.housekeeping import prune_processed_updates
from core.replies import queue_due_replies
from core.safeguarding import notify_due


@dataclass(frozen=True)
class Job:
    name: str
    seconds: float
    run: Callable[[], Awaitable[object]]


T = TypeVar("T")


def unit_of_work(
    runtime: Runtime, work: Callable[[AsyncSession], Awaitable[T]]
) -> Callable[[], Awaitable[T]]:
    """A job that is one transaction: the job owns it and commits it; the core function it runs
    works on the session it is given. (Jobs that settle work item by item around network
    calls, like the outbox and the alert clock, keep their own units of work in the core.)"""

    async def run() -> T:
        async with runtime.sessionmaker() as session:
            result = await work(session)
            await session.commit()
            return result

    return run


def outbox_jobs(runtime: Runtime) -> list[Job]:
    """Every second: send what is due in the outbox (only with a bot to send through)."""
    if runtime.bot is None:
        return []
    delivery = create_delivery(
        services=runtime.services, sessionmaker=runtime.sessionmaker, bot=runtime.bot
    )
    return [Job("outbox", 1, delivery.tick)]


def periodic_jobs(runtime: Runtime) -> list[Job]:
    return [
        *outbox_jobs(runtime),
        Job("prune-update-ids", 3600, unit_of_work(runtime, prune_processed_updates)),
        Job(
            "retention",
            6 * 3600,
            unit_of_work(
                runtime,
                lambda session: erase_old_words(session, months=runtime.settings.free_text_months),
            ),
        ),
        Job(
            "queue-replies",
            30,
            lambda: queue_due_replies(
                runtime.sessionmaker,
                library=runtime.services.library,
                timezone=runtime.services.settings.timezone,
            ),
        ),
        Job(
            "check-ins",
            60,
            unit_of_work(
                runtime,
                lambda session: advance_check_ins(session, timezone=runtime.settings.timezone),
            ),
        ),
        Job("overdue-callbacks", 300, unit_of_work(runtime, flag_overdue)),
        # Exports start at once when asked; this finds any a restart left behind.
        Job("exports", 30, export_jobs(runtime).tick),
        # Safeguarding alerts: first notice and escalation, by email and webhook, never Telegram.
        Job(
            "alerts",
            runtime.settings.alert_check_seconds,
            lambda: notify_due(runtime.sessionmaker, runtime.settings),
        ),
    ]


async def run_job(job: Job) -> None:
    """APScheduler awaits only coroutine functions; a job's `run` may be a lambda that returns
    a coroutine, which it would call in a thread and never await."""
    await job.run()


def start_scheduler(jobs: list[Job]) -> AsyncIOScheduler:
    """Each job at its interval; one run at a time per job, a missed run is simply skipped."""
    # Every run of a one-second job at INFO would drown the log.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job in jobs:
        scheduler.add_job(
            run_job,
            "interval",
            args=[job],
            seconds=job.seconds,
            id=job.name,
            max_instances=1,
            coalesce=True,
        )
    scheduler.start()
    return scheduler
