"""An id is never handed out twice, in any table, on SQLite and PostgreSQL alike; and the
migration that makes SQLite keep to it keeps every row and every link."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Integer, Table, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from api.runtime import Runtime
from core.db import create_engine, migrate
from tests.test_data_rights import _seed


def _numbered() -> list[Table]:
    """Tables whose rows get their id from the database (not a Telegram update id, nor the
    child's id that preferences hang on)."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if (
            len(keys) == 1
            and isinstance(keys[0].type, Integer)
            and keys[0].autoincrement is not False
            and not keys[0].foreign_keys
        ):
            found.append(table)
    return found


async def test_a_deleted_rows_id_is_never_given_to_the_next_row(runtime: Runtime) -> None:
    tables = _numbered()
    assert {"young_person", "staff", "answer", "outbox_message", "export_job"} <= {
        t.name for t in tables
    }
    reused = []
    for table in tables:
        async with runtime.engine.connect() as connection:
            # Each table on its own, and nothing kept: a row (and what it needs), deleted, and
            # another row after it.
            transaction = await connection.begin()
            ids: dict[str, int] = {}
            first = await _seed(connection, table, ids)
            await connection.execute(table.delete().where(table.c.id == first))
            del ids[table.name]
            if await _seed(connection, table, ids) <= first:
                reused.append(table.name)
            await transaction.rollback()
    assert reused == []


@pytest.mark.parametrize("erased_last", [True, False])
async def test_the_migration_keeps_every_row_and_link_and_starts_after_every_id_seen(
    tmp_path: Path, erased_last: bool
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await migrate(engine, "0011")
        async with engine.begin() as connection:
            for child in (1, 2, 3):
                await connection.execute(
                    text(
                        "INSERT INTO young_person (id, reading_mode, onboarded, paused, channel,"
                        " created_at) VALUES (:id, 'standard', 1, 0, 'telegram', '2026-01-01')"
                    ),
                    {"id": child},
                )
                await connection.execute(
                    text(
                        "INSERT INTO conversation_run (id, young_person_id, conversation_id,"
                        " content_version, locale, status, state, started_at, updated_at)"
                        " VALUES (:id, :id, 'hows_life', 1, 'en', 'done', '{}', '2026-01-01',"
                        " '2026-01-01')"
                    ),
                    {"id": child},
                )
            await connection.execute(
                text(
                    "INSERT INTO staff (id, email, name, role, password_hash, active, created_at)"
                    " VALUES (1, 'a@x.example', 'A', 'admin', 'x', 1, '2026-01-01')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO export_job (staff_id, kind, format, filters, include_text,"
                    " reason, status, rows_done, created_at) VALUES (1, 'answers', 'csv', '{}',"
                    " 1, 'Board', 'done', 3, '2026-01-01')"
                )
            )
            if erased_last:  # the newest child was erased before the upgrade
                await connection.execute(text("DELETE FROM conversation_run WHERE id = 3"))
                await connection.execute(text("DELETE FROM young_person WHERE id = 3"))
                await connection.execute(
                    text(
                        "INSERT INTO audit_entry (at, action, detail) VALUES"
                        " ('2026-01-02', 'child.erase', '{\"child\": 3}')"
                    )
                )
        await migrate(engine)
        async with engine.begin() as connection:
            runs = await connection.execute(text("SELECT young_person_id FROM conversation_run"))
            assert sorted(r[0] for r in runs) == ([1, 2] if erased_last else [1, 2, 3])
            new = await connection.execute(
                text(
                    "INSERT INTO young_person (reading_mode, onboarded, paused, channel,"
                    " created_at) VALUES ('standard', 0, 0, 'telegram', '2026-02-01') RETURNING id"
                )
            )
            assert new.scalar_one() == 4
            # An older export never said which children it holds: it expires (and its file goes).
            status = await connection.execute(text("SELECT status FROM export_job"))
            assert status.scalar_one() == "expired"
        with pytest.raises(IntegrityError):  # the links are still checked after the copy
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM young_person WHERE id = 1"))
    finally:
        await engine.dispose()
