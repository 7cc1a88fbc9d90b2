"""A child's own words are encrypted at rest, and never written to the logs."""

from __future__ import annotations

import logging
import re
import uuid

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from api.runtime import Runtime
from core import crypto
from core.models import Answer, TrustedContact
from tests.child import Child


async def _raw_dump(runtime: Runtime) -> str:
    """Every value in every table, as the database holds it: what a stolen dump would show."""
    async with runtime.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        values = []
        for table in tables:
            rows = (await connection.execute(text(f'SELECT * FROM "{table}"'))).all()
            values += [str(value) for row in rows for value in row]
    return "\n".join(values)


async def _tell_more(child: Child, words: list[str]) -> None:
    await child.send("/feedback")
    await child.tap("How are we doing?")
    await child.tap("😢 Awful")
    for part in words:
        await child.send(part)


async def test_free_text_and_names_are_unreadable_in_a_dump_but_read_back_whole(
    onboarded: Child, runtime: Runtime
) -> None:
    first, second = f"zebra-{uuid.uuid4().hex}", f"quokka-{uuid.uuid4().hex}"
    await _tell_more(onboarded, [first, second])
    await onboarded.send("/settings")
    await onboarded.tap("✏️ Who we contact first")
    await onboarded.tap("An adult I trust first")
    await onboarded.send("Zanzibarina")
    dump = await _raw_dump(runtime)
    for secret in (first, second, "Zanzibarina"):
        assert secret not in dump
    async with runtime.sessionmaker() as session:
        answer = (await session.exec(select(Answer).where(Answer.text.is_not(None)))).one()  # type: ignore[union-attr]
        contact = (await session.exec(select(TrustedContact))).one()
    assert answer.text == f"{first}\n{second}"
    assert contact.name == "Zanzibarina"


async def test_voice_note_references_are_sealed_too(onboarded: Child, runtime: Runtime) -> None:
    await onboarded.send("/feedback")
    await onboarded.tap("Getting ready for my meeting")
    await onboarded.tap("My review")
    await onboarded.tap("🙁 Bad")
    for _ in range(3):
        await onboarded.tap("⏭️ Skip")
    await onboarded.tap("Someone speaks for me")
    file_id = f"AwACAgQAAx-{uuid.uuid4().hex}"
    await onboarded.message({"voice": {"file_id": file_id, "file_unique_id": "u", "duration": 3}})
    assert file_id not in await _raw_dump(runtime)


async def test_a_wrong_key_reads_as_unreadable_not_as_a_crash(
    onboarded: Child, runtime: Runtime
) -> None:
    await _tell_more(onboarded, ["something only I know"])
    crypto.configure([crypto.Fernet.generate_key().decode()])
    try:
        async with runtime.sessionmaker() as session:
            answer = (await session.exec(select(Answer).where(Answer.text.is_not(None)))).one()  # type: ignore[union-attr]
        assert answer.text == crypto.UNREADABLE
    finally:
        crypto.configure_from(runtime.settings)


async def test_no_childs_words_chat_id_or_link_token_reach_the_logs(
    make_child: object, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    child: Child = make_child()  # type: ignore[operator]
    token = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    phrase = f"pineapple-{uuid.uuid4().hex}"
    await child.send(f"/start {token}")
    await child.send(phrase)
    await child.send(phrase * 200)
    await child.message(
        {
            "photo": [{"file_id": "P", "file_unique_id": "p", "width": 1, "height": 1}],
            "caption": phrase,
        }
    )
    logged = "\n".join(
        record.getMessage() + str(record.args) + str(record.exc_text) for record in caplog.records
    )
    assert caplog.records, "expected some logging to search"
    for secret in (phrase, token):
        assert secret not in logged
    # As a number of its own: a timing such as "4.129455001" must not count as chat id 5001.
    assert re.search(rf"(?<!\d){child.chat_id}(?!\d)", logged) is None


async def test_a_database_error_never_carries_the_values_into_the_log(runtime: Runtime) -> None:
    """An error is logged with its statement (to find the fault); its parameters would be a
    child's words or a name."""
    words = f"pineapple-{uuid.uuid4().hex}"
    with pytest.raises(DBAPIError) as raised:
        async with runtime.engine.begin() as connection:
            await connection.execute(
                text("INSERT INTO no_such_table_for_this_test (words) VALUES (:words)"),
                {"words": words},
            )
    assert "no_such_table_for_this_test" in str(raised.value)
    assert words not in str(raised.value)
