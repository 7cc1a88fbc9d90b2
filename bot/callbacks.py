"""Button meanings packed into Telegram's 64-byte callback data, with the run they belong to."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData

from core.render import Action

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
}
KINDS = {code: kind for kind, code in CODES.items()}


class Tap(CallbackData, prefix="t"):
    run: int
    k: str
    q: str = ""
    v: str = ""


def pack(action: Action, run: int | None) -> str:
    return Tap(
        run=run or 0, k=CODES[action.kind], q=action.question_id or "", v=action.value or ""
    ).pack()


def unpack(data: str | None) -> tuple[int | None, Action] | None:
    """The run and action behind a tap, or None for data this version does not understand."""
    try:
        tap = Tap.unpack(data or "")
    except (ValueError, TypeError):
        return None
    kind = KINDS.get(tap.k)
    if kind is None:
        return None
    return tap.run or None, Action(kind, tap.q or None, tap.v or None)
