"""Fault injection for turns: the Nth write statement of a turn fails, as a lost connection or a
full disk would; and what a child's turn left in the database, to compare two turns."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, event, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

WRITES = ("INSERT", "UPDATE", "DELETE")
# Columns that differ between two identical turns by two children: ids, times, the chat id.
DIFFERENT_BY_NATURE = {"telegram_chat_id", "origin"}


# What the failing write becomes: a statement the database itself refuses, so the failure is a
# real driver error (and on PostgreSQL, a transaction that can only be rolled back).
FAILING = "SELECT * FROM injected_fault_no_such_table"
InjectedFault = DBAPIError


class WriteCounter:
    """Counts the write statements sent to the database; the `fail_at`th (from 0) fails."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self.fail_at: int | None = None

    def __call__(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any
    ) -> tuple[str, Any]:
        if not statement.lstrip().upper().startswith(WRITES):
            return statement, parameters
        index = len(self.writes)
        self.writes.append(statement.split("(")[0].split(" WHERE")[0][:60])
        if index == self.fail_at:
            self.fail_at = None  # once: the retry runs clean
            return FAILING, () if isinstance(parameters, tuple | list) else {}
        return statement, parameters


@contextmanager
def counting_writes(engine: AsyncEngine, fail_at: int | None = None) -> Iterator[WriteCounter]:
    counter = WriteCounter()
    counter.fail_at = fail_at
    event.listen(engine.sync_engine, "before_cursor_execute", counter, retval=True)
    try:
        yield counter
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counter)


def _comparable(table: Table, row: Any) -> dict[str, Any]:
    kept = {}
    for column in table.columns:
        if column.primary_key or column.foreign_keys or column.name in DIFFERENT_BY_NATURE:
            continue
        value = row._mapping[column]
        if isinstance(value, datetime | date):
            continue
        if column.name.endswith("_id") and isinstance(value, int):  # a row id, without a key
            continue
        kept[column.name] = value
    return kept


async def child_rows(engine: AsyncEngine, young_person_id: int) -> dict[str, list[Any]]:
    """Every row about one child, in every table that refers to them (answers, runs, outbox,
    alerts, call-backs, audit...), without ids and times, in a stable order."""
    found: dict[str, list[Any]] = {}
    async with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            column = table.columns.get("young_person_id")
            if table.name == "young_person":
                column = table.columns["id"]
            if column is None:
                continue
            rows = (await connection.execute(select(table).where(column == young_person_id))).all()
            found[table.name] = sorted(
                (_comparable(table, row) for row in rows), key=lambda r: repr(sorted(r.items()))
            )
    return found
