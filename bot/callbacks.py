"""Button meanings packed into Telegram's 64-byte callback data, with the run they belong to.

Format: t:<run>:<kind code>:<question id>:<value>. Content ids are [a-z0-9_], so ':' never
appears inside a part. Plain string formatting: a keyboard has up to a dozen buttons per reply.
"""

from __future__ import annotations

from core.render import Action

PREFIX = "t"
MAX_BYTES = 64
# Short codes keep the longest possible button (24-character ids) under 64 bytes.
CODES = {
    "choose": "c",
    "skip": "s",
    "rather_not": "r",
    "next": "n",
    "back": "b",
    "stop": "x",
    "confirm": "y",
    "change": "h",
    "edit": "e",
    "menu": "m",
    "setting": "g",
    "language": "l",
    "untrust": "u",
    "settings_done": "d",
    "respond": "p",
    "forget": "f",
    "carry_on": "o",
}
KINDS = {code: kind for kind, code in CODES.items()}


def pack(action: Action, run: int | None) -> str:
    data = (
        f"{PREFIX}:{run or 0}:{CODES[action.kind]}:{action.question_id or ''}:{action.value or ''}"
    )
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def unpack(data: str | None) -> tuple[int | None, Action] | None:
    """The run and action behind a tap, or None for data this version does not understand."""
    parts = (data or "").split(":")
    if len(parts) != 5 or parts[0] != PREFIX or not parts[1].isdigit() or parts[2] not in KINDS:
        return None
    run, code, question, value = int(parts[1]), parts[2], parts[3], parts[4]
    return run or None, Action(KINDS[code], question or None, value or None)
