"""Imports run one way: api -> bot -> core. The core knows neither aiogram nor FastAPI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.config import ROOT

FORBIDDEN = {"core": {"aiogram", "fastapi", "starlette", "bot", "api"}, "bot": {"api", "fastapi"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_one_way(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & FORBIDDEN[package]
    }
    assert offenders == {}


# Where the core may commit: units of work that are not a child's turn or a request, each for a
# reason. Everything else in core/ works in the transaction its adapter (the Telegram update,
# the web-chat request, the admin request, a job of the clock) opened, and never commits, so a
# failure anywhere in a turn leaves nothing behind (ARCHITECTURE.md, "one transaction per
# update or request").
COMMITS_ALLOWED = {
    # The one commit inside a child's turn, on purpose: the alert goes out even when the rest
    # of the turn fails, and the turn's retry finds it by origin.
    ("core/safeguarding.py", "write_alert_first"): "alert first, on its own",
    # The alert clock: claim, then email / webhook with no transaction open, then record.
    ("core/safeguarding.py", "_claim"): "alert clock claims before network calls",
    ("core/safeguarding.py", "_record_round"): "alert clock records after network calls",
    # The outbox sender: a row is committed as claimed before the Bot API call and settled
    # after it, so a crash between the two never sends twice.
    ("core/delivery.py", "claim"): "outbox claim before the send",
    ("core/delivery.py", "prepare"): "outbox batch settled before the sends",
    ("core/delivery.py", "_record"): "outbox row settled after its send",
    ("core/delivery.py", "_release"): "outbox claims given back",
    ("core/delivery.py", "_unreachable"): "a blocked child settled after the send failed",
    ("core/delivery.py", "_may_send"): "the last look before a send settles a held row",
    # Background exports: claimed once, then progress and the result recorded as rows are
    # written to a file, over minutes.
    ("core/exports.py", "claim"): "export claimed by one process",
    ("core/exports.py", "_set"): "export progress while it runs",
    ("core/exports.py", "_finish"): "export done with the children it holds, or withdrawn",
    ("core/exports.py", "tick"): "exports left behind are requeued, old files expire",
    # "You said, we did": one transaction per reply, so one reply that fails never holds back
    # or undoes the others.
    ("core/replies.py", "queue_due_replies"): "one transaction per due reply",
    # The staff preview runs its own throwaway in-memory database: it is its own adapter.
    ("core/preview.py", "start"): "preview's throwaway database",
    ("core/preview.py", "turn"): "preview's throwaway database",
}


def _commits(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) for every `.commit(` call in a file."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "commit"
            ):
                found.append((function, child.lineno))
            visit(child, function)

    visit(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


def test_the_core_never_commits_a_turn() -> None:
    """A commit in the core outside the units of work above would commit half a turn."""
    offenders = [
        f"{name}:{line} in {function}()"
        for path in sorted((ROOT / "core").rglob("*.py"))
        if "migrations" not in path.parts
        for name in [str(path.relative_to(ROOT))]
        for function, line in _commits(path)
        if (name, function) not in COMMITS_ALLOWED
    ]
    assert offenders == [], "the adapter owns the transaction; the core must not commit"
    text = (ROOT / "core" / "chat.py").read_text(encoding="utf-8")
    assert ".commit(" not in text
