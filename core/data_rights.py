"""A child's data rights: everything held about them (subject access), and erasure.

Both walk the tables the models declare, so a table added later is covered without anyone
remembering to: a table is about a child when it has a `young_person_id` column, or a foreign
key into a table that is (an alert's steps, say). Safeguarding records stay under a hold:
alerts and their steps are kept when a child asks to delete, and the child is told.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from core.export_access import withdraw_holding
from core.models import Answer, Concern, Reply, YoungPerson, utcnow

log = logging.getLogger(__name__)

CHILD = "young_person"
CHILD_COLUMN = "young_person_id"
# Kept when a child (or an admin) erases: the record of a worry about a child's safety must
# outlive the child's wish to delete, as the privacy notice says.
SAFEGUARDING_HOLD = ("alert", "alert_step", "concern")
# What stays on the child's row while a hold keeps it: enough for staff to follow up.
KEPT_ON_HOLD = ("id", "worker_id", "display_name", "age_band", "created_at", "channel")


def child_tables() -> list[Table]:
    """Every table holding rows about a child, parents before children (foreign-key order)."""
    found = {CHILD}
    changed = True
    tables = SQLModel.metadata.sorted_tables
    while changed:
        changed = False
        for table in tables:
            if table.name in found:
                continue
            targets = {fk.column.table.name for fk in table.foreign_keys}
            if CHILD_COLUMN in table.c or targets & (found - {CHILD}):
                found.add(table.name)
                changed = True
    return [t for t in tables if t.name in found and t.name != CHILD]


def _link(table: Table, rows_of: dict[str, list[dict[str, Any]]], child_id: int) -> Any:
    """The condition that picks this child's rows in a table."""
    if CHILD_COLUMN in table.c:
        return table.c[CHILD_COLUMN] == child_id
    for fk in table.foreign_keys:
        parent = fk.column.table.name
        if parent in rows_of:
            ids = [row[fk.column.name] for row in rows_of[parent]]
            return fk.parent.in_(ids)
    raise LookupError(f"{table.name} has no link to a child")


async def rows_about(session: AsyncSession, child_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row about the child, by table, as the service reads it (words decrypted)."""
    child = await session.exec(
        select(YoungPerson.__table__).where(YoungPerson.__table__.c.id == child_id)
    )  # type: ignore[call-overload]
    rows_of: dict[str, list[dict[str, Any]]] = {CHILD: [dict(r._mapping) for r in child.all()]}
    for table in child_tables():
        result = await session.exec(select(table).where(_link(table, rows_of, child_id)))  # type: ignore[call-overload]
        rows_of[table.name] = [dict(row._mapping) for row in result.all()]
    return rows_of


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


async def subject_access(session: AsyncSession, child_id: int) -> dict[str, list[dict[str, Any]]]:
    """Everything about one child, ready for JSON, every table listed even when empty."""
    return {
        name: [{key: _plain(value) for key, value in row.items()} for row in rows]
        for name, rows in (await rows_about(session, child_id)).items()
    }


async def erase(session: AsyncSession, child_id: int) -> tuple[dict[str, int], dict[str, int]]:
    """Erase everything about a child but what a safeguarding hold keeps; (erased, kept)
    counts by table. In the caller's transaction."""
    # First, before the rows that say which exports hold the child go with the rest.
    withdrawn = await withdraw_holding(session, child_id)
    rows_of = await rows_about(session, child_id)
    held = {name: len(rows_of.get(name, [])) for name in SAFEGUARDING_HOLD if rows_of.get(name)}
    erased: dict[str, int] = {"export_file": withdrawn} if withdrawn else {}
    tables = child_tables()
    await _detach_held(session, tables, rows_of)
    for table in reversed(tables):
        if table.name in held or not rows_of.get(table.name):
            continue
        await session.exec(delete(table).where(_link(table, rows_of, child_id)))  # type: ignore[call-overload]
        erased[table.name] = len(rows_of[table.name])
    erased.update(await _leave_chosen_groups(session, child_id))
    person = YoungPerson.__table__
    if held:
        blank = {c.name: None for c in person.c if c.name not in KEPT_ON_HOLD and c.nullable}
        await session.exec(update(person).where(person.c.id == child_id).values(**blank))  # type: ignore[call-overload]
        held[CHILD] = 1
    else:
        await session.exec(delete(person).where(person.c.id == child_id))  # type: ignore[call-overload]
        erased[CHILD] = 1
    return erased, held


async def _detach_held(
    session: AsyncSession, tables: list[Table], rows_of: dict[str, list[dict[str, Any]]]
) -> None:
    """A held row pointing at a row about to go (an alert's answer) keeps its own copy of what
    matters; the pointer is cleared so the rest can be erased."""
    for table in tables:
        if table.name not in SAFEGUARDING_HOLD or not rows_of.get(table.name):
            continue
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target not in SAFEGUARDING_HOLD and target != CHILD and fk.parent.nullable:
                ids = [row["id"] for row in rows_of[table.name]]
                await session.exec(
                    update(table).where(table.c.id.in_(ids)).values({fk.parent.name: None})
                )  # type: ignore[call-overload]


async def _leave_chosen_groups(session: AsyncSession, child_id: int) -> dict[str, int]:
    """The child leaves every group a reply was chosen for: a reply still to go would otherwise
    look for them at its send time. (Their place in replies already queued, the outbox rows
    and recipients, goes with the tables above.)"""
    groups = await session.exec(select(Reply).where(Reply.audience == "group"))  # type: ignore[call-overload]
    left = 0
    for reply in groups.scalars().all():
        if child_id in (reply.child_ids or []):
            reply.child_ids = [other for other in reply.child_ids if other != child_id]
            left += 1
    return {"reply_group": left} if left else {}


async def erase_old_words(session: AsyncSession, *, months: int) -> int:
    """Retention: free text and voice notes older than `months` go; scores and choices stay."""
    cutoff = utcnow() - timedelta(days=round(months * 30.44))
    result = await session.exec(
        update(Answer)  # type: ignore[call-overload]
        .where(Answer.answered_at < cutoff)  # type: ignore[arg-type]
        .where((Answer.text.is_not(None)) | (Answer.voice_file_id.is_not(None)))  # type: ignore[union-attr]
        .values(text=None, voice_file_id=None)
    )
    # A concern's words go too once old: one marked real was copied into an alert, held.
    concerns = await session.exec(
        update(Concern)  # type: ignore[call-overload]
        .where(Concern.raised_at < cutoff)  # type: ignore[arg-type]
        .where(Concern.message.is_not(None))  # type: ignore[union-attr]
        .values(message=None)
    )
    return int(result.rowcount or 0) + int(concerns.rowcount or 0)
