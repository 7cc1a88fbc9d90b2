"""Only the chat id is kept from Telegram: never a username, a name or a phone number."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import inspect, text

from api.runtime import Runtime
from tests.child import Child


async def test_no_name_username_or_phone_is_stored(
    make_child: Callable[..., Child], runtime: Runtime
) -> None:
    child = make_child()
    user = {
        "id": child.chat_id,
        "is_bot": False,
        "first_name": "Zephyrine",
        "last_name": "Quillfeather",
        "username": "zq_secret_handle",
        "language_code": "en",
    }
    body = {
        "message": {
            "message_id": 1,
            "date": 1700000000,
            "text": "/start",
            "chat": {
                "id": child.chat_id,
                "type": "private",
                "first_name": "Zephyrine",
                "username": "zq_secret_handle",
            },
            "from": user,
        }
    }
    await child.feed(body)
    await child.message({"contact": {"phone_number": "+447700900999", "first_name": "Zephyrine"}})
    async with runtime.engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        dump = ""
        for table in tables:
            rows = (await connection.execute(text(f'SELECT * FROM "{table}"'))).all()
            dump += repr(rows)
    for secret in ("Zephyrine", "Quillfeather", "zq_secret_handle", "7700900999"):
        assert secret not in dump
    assert str(child.chat_id) in dump
