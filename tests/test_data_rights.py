"""Children's data rights: /mydata and /delete in the chat; subject access and erasure for
admins, proved complete over the database's own list of tables."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import JSON, Integer, Table, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

from api.runtime import Runtime
from core.crypto import Sealed
from core.models import Alert, utcnow
from tests.child import Child
from tests.stored import stored

# Tables that hold nothing about any one child. A new table must either be reachable from a
# child (and then the seeder below fills it) or be added here on purpose.
NOT_ABOUT_A_CHILD = {
    "alembic_version",
    "staff",
    "staff_token",
    "processed_update",
    "reply",
    "reply_text",
    "export_job",
}
_numbers = itertools.count(10_000)


def _value(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, Sealed):
        return "seeded words"
    if isinstance(kind, JSON):
        return {}
    python = getattr(kind, "impl", kind).python_type
    if python is bool:
        return False
    if python is int:
        return next(_numbers)
    if python is float:
        return 0.5
    if python is str:
        return "x"
    if python is datetime:
        return utcnow()
    raise AssertionError(f"the seeder does not know {column.table.name}.{column.name}: {kind}")


async def _seed(connection: AsyncConnection, table: Table, ids: dict[str, int]) -> int:
    """One row in `table`, its foreign keys pointing at rows already seeded (or seeded now)."""
    if table.name in ids:
        return ids[table.name]
    row: dict[str, Any] = {}
    for column in table.c:
        fks = list(column.foreign_keys)
        if fks:
            parent = fks[0].column.table
            if not column.nullable or parent.name == "young_person":
                row[column.name] = await _seed(connection, parent, ids)
            else:  # optional links (which may go round in circles) use what is there
                row[column.name] = ids.get(parent.name)
        elif (
            column.primary_key and isinstance(column.type, Integer) and len(table.primary_key) == 1
        ):
            continue
        elif (
            column.name == "young_person_id"
            or isinstance(column.type, Sealed)
            or (not column.nullable and column.default is None and column.server_default is None)
        ):
            row[column.name] = _value(column)
    result = await connection.execute(table.insert().values(**row))
    pk = result.inserted_primary_key
    ids[table.name] = int(pk[0]) if pk and isinstance(pk[0], int) else 0
    return ids[table.name]


async def _seed_everywhere(runtime: Runtime) -> int:
    """A child with a row in every table that can be about a child."""
    ids: dict[str, int] = {}
    async with runtime.engine.begin() as connection:
        child_id = await _seed(connection, SQLModel.metadata.tables["young_person"], ids)
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in NOT_ABOUT_A_CHILD:
                await _seed(connection, table, ids)
        # The audit log links children by id, without a foreign key.
        await connection.execute(
            SQLModel.metadata.tables["audit_entry"]
            .insert()
            .values(at=utcnow(), action="answers.read", young_person_id=child_id, detail={})
        )
    return child_id


async def _database_tables(runtime: Runtime) -> list[str]:
    async with runtime.engine.connect() as connection:
        return await connection.run_sync(lambda sync: inspect(sync).get_table_names())


async def _rows_for(runtime: Runtime, table: str, child_id: int) -> int:
    """This child's rows in a table, counted straight from the database."""
    async with runtime.engine.connect() as connection:
        columns = {
            c["name"] for c in await connection.run_sync(lambda s: inspect(s).get_columns(table))
        }
        if "young_person_id" in columns:
            query = f'SELECT count(*) FROM "{table}" WHERE young_person_id = :id'
        elif table == "young_person":
            query = 'SELECT count(*) FROM "young_person" WHERE id = :id'
        else:
            query = f'SELECT count(*) FROM "{table}"'
        return int((await connection.execute(text(query), {"id": child_id})).scalar_one())


async def test_subject_access_covers_every_table_in_the_database(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child_id = await _seed_everywhere(runtime)
    response = await admin.get(f"/children/{child_id}/subject-access")
    assert response.status_code == 200, response.text
    tables = response.json()["tables"]
    missing = [
        name
        for name in await _database_tables(runtime)
        if name not in NOT_ABOUT_A_CHILD and not tables.get(name)
    ]
    assert missing == []
    assert tables["answer"][0]["text"] == "seeded words"  # decrypted for the child to read
    assert any(e["action"] == "answers.read" for e in tables["audit_entry"])


async def test_erasure_leaves_nothing_but_the_safeguarding_hold(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child_id = await _seed_everywhere(runtime)
    response = await admin.post(
        f"/children/{child_id}/erase", json={"reason": "Asked by the young person"}
    )
    assert response.status_code == 200, response.text
    kept = response.json()["kept"]
    assert set(kept) == {"alert", "alert_step", "concern", "young_person"}
    for name in await _database_tables(runtime):
        if name in NOT_ABOUT_A_CHILD or name in kept:
            continue
        assert await _rows_for(runtime, name, child_id) == 0, name
    async with runtime.sessionmaker() as session:
        person = (
            await session.exec(text("SELECT telegram_chat_id, locale FROM young_person"))
        ).one()  # type: ignore[call-overload]
        alert = (await session.exec(select(Alert))).scalars().one()  # type: ignore[call-overload]
    assert tuple(person) == (None, None)
    assert alert.message == "seeded words"
    audit = (await admin.get("/audit", params={"action": "child.erase"})).json()
    assert any(e.get("reason") == "Asked by the young person" for e in audit)


async def test_a_child_without_a_hold_is_erased_completely(
    runtime: Runtime, admin: httpx.AsyncClient, onboarded: Child
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    await onboarded.tap("😀")
    child_id = (await stored(runtime, onboarded)).person.id
    response = await admin.post(f"/children/{child_id}/erase", json={"reason": "Left the service"})
    assert response.json()["kept"] == {}
    for name in await _database_tables(runtime):
        if name not in NOT_ABOUT_A_CHILD:
            assert await _rows_for(runtime, name, child_id or 0) == 0, name


async def test_workers_cannot_use_the_data_rights_routes(
    runtime: Runtime, worker: httpx.AsyncClient
) -> None:
    assert (await worker.get("/children/1/subject-access")).status_code == 403
    assert (await worker.post("/children/1/erase", json={"reason": "no no"})).status_code == 403


async def test_mydata_shows_the_child_what_is_kept_in_plain_words(onboarded: Child) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    await onboarded.tap("😢 Awful")
    await onboarded.send("nobody listens to me at all")
    await onboarded.send("/mydata")
    said = onboarded.said()
    assert "This is what we keep about you" in said
    assert "nobody listens to me at all" in said and "😢 Awful" in said
    assert "Your settings" in said
    assert "🗑️ Delete my data" in onboarded.buttons()


async def test_delete_asks_first_and_no_keeps_everything(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/delete")
    assert "cannot be undone" in onboarded.said()
    await onboarded.tap("↩️ No, keep them")
    assert "kept everything" in onboarded.said()
    assert (await stored(runtime, onboarded)).person.onboarded


async def test_delete_erases_and_says_what_was_kept_and_why(
    onboarded: Child, runtime: Runtime
) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    await onboarded.tap("😀")
    person = (await stored(runtime, onboarded)).person
    async with runtime.sessionmaker() as session:
        session.add(
            Alert(
                young_person_id=person.id or 0,
                categories=["self_harm"],
                source="typed",
                message="x",
            )
        )
        await session.commit()
    await onboarded.send("/delete")
    await onboarded.tap("🗑️ Yes, delete them")
    said = onboarded.said()
    assert "I deleted your answers and your settings" in said
    assert "safety record" in said and "keep you safe" in said
    async with runtime.engine.connect() as connection:
        left = (await connection.execute(text("SELECT count(*) FROM answer"))).scalar_one()
        chats = (await connection.execute(text("SELECT telegram_chat_id FROM young_person"))).all()
    assert left == 0 and [tuple(c) for c in chats] == [(None,)]
    # Writing again starts afresh, as a new child.
    await onboarded.send("/start")
    assert "Hello" in onboarded.said() or "Hi" in onboarded.said()


@pytest.mark.parametrize("months", [12])
async def test_old_free_text_is_erased_and_scores_stay(
    onboarded: Child, runtime: Runtime, months: int
) -> None:
    from core.data_rights import erase_old_words

    await onboarded.send("/feedback")
    await onboarded.tap("How are we doing?")
    await onboarded.tap("😢 Awful")
    await onboarded.send("old words")
    async with runtime.engine.begin() as connection:
        await connection.execute(
            text("UPDATE answer SET answered_at = :old"),
            {"old": datetime(2020, 1, 1, tzinfo=utcnow().tzinfo)},
        )
    async with runtime.sessionmaker() as session:
        assert await erase_old_words(session, months=months) == 1
        await session.commit()
    answers = (await stored(runtime, onboarded)).answers
    assert all(a.text is None for a in answers.values())
    assert any(a.score == 1 for a in answers.values())


async def test_privacy_says_how_long_words_are_kept_and_how_to_see_or_delete_them(
    onboarded: Child,
) -> None:
    await onboarded.send("/privacy")
    said = onboarded.said()
    assert "after 12 months" in said
    assert "/mydata" in said and "/delete" in said
    assert "keep you safe" in said
