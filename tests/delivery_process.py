"""The real `sayso worker`, as its own process, for the delivery tests and benchmark. The rows
they enqueue (kind "reply", payload {"n": ...}) render as "message <n>", so the stand-in Bot
API can tell every message apart and count repeats. Settings come from SAYSO_ variables."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.cli import main
from core import proactive
from core.render import Message


async def numbered(occasion: proactive.Occasion) -> list[Message]:
    return [Message(f"message {occasion.message.payload['n']}")]


if __name__ == "__main__":
    proactive.RENDERERS["reply"] = numbered
    sys.exit(main(["worker"]))
