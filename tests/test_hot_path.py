"""The per-update path stays lean without changing what a child sees or what is stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from api.runtime import Runtime
from core.engine import RunState
from core.models import ConversationRun, YoungPerson
from tests.child import Child


async def _runs(runtime: Runtime, child: Child) -> list[ConversationRun]:
    async with runtime.sessionmaker() as session:
        person = (
            await session.exec(
                select(YoungPerson).where(YoungPerson.telegram_chat_id == child.chat_id)
            )
        ).one()
        found = await session.exec(
            select(ConversationRun)
            .where(ConversationRun.young_person_id == person.id)
            .order_by(col(ConversationRun.id))
        )
        return list(found.all())


async def test_no_update_waits_for_a_worker_thread(
    onboarded: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiogram would run each `F.` filter in a thread; here every filter runs on the loop."""
    import aiogram.dispatcher.event.handler as handler

    async def no_thread(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("a filter or handler ran in a worker thread")

    monkeypatch.setattr(handler.asyncio, "to_thread", no_thread)
    await onboarded.send("/feedback")
    assert "What would you like to tell us about?" in onboarded.said()
    await onboarded.tap("How are we doing?")
    await onboarded.read_on()
    assert "Question 1 of" in onboarded.said()
    await onboarded.send("They listen to me.")
    assert "I saved" in onboarded.said()


async def test_each_turn_stores_where_the_child_is(onboarded: Child, runtime: Runtime) -> None:
    """The run's state is written on every tap, so a restart resumes at the open question."""
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    await onboarded.read_on()
    first = onboarded.last_text()
    await onboarded.tap("🙂 Good")
    second = onboarded.last_text()
    assert second != first and "Question 2 of" in second
    run = (await _runs(runtime, onboarded))[-1]
    state = RunState.model_validate(run.state)
    assert run.status == "active" and state.given[state.history[-1]].value == "good"
    await onboarded.send("/start")
    assert "carry on where you left off" in onboarded.said()
    assert onboarded.last_text() == second
    await onboarded.tap("⏹️ Stop")
    run = (await _runs(runtime, onboarded))[-1]
    assert run.status == "stopped" and run.finished_at is not None
    assert RunState.model_validate(run.state).phase == "done"
