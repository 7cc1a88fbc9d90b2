"""Callback data round-trips, stays under Telegram's 64 bytes, and refuses what is not ours."""

from __future__ import annotations

import pytest

from bot.callbacks import CODES, pack, unpack
from core.render import Action


@pytest.mark.parametrize("kind", sorted(CODES))
def test_every_action_round_trips(kind: str) -> None:
    action = Action(kind, "q" * 24, "v" * 24)
    data = pack(action, 2**31)
    assert len(data.encode()) <= 64
    assert unpack(data) == (2**31, action)


@pytest.mark.parametrize(
    "data", [None, "", "t:1:c", "t:x:c:q:v", "t:1:zz:q:v", "q:1:c:q:v", "t:1:c:q:v:w"]
)
def test_foreign_or_broken_data_is_refused(data: str | None) -> None:
    assert unpack(data) is None
