"""Names and emails (issue 19, item 5): hidden characters that disguise a name or forge a log
line are refused with the reason, lookalikes are normalised (NFKC), and a child's name has no
digit in any form: never a phone number."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from api.cli import main
from api.runtime import Runtime
from core.db import create_engine, create_sessionmaker
from core.models import Staff, TrustedContact
from core.name_chars import DATA, generate
from tests.child import Child
from tests.staff import PASSWORD

DISGUISED = {
    "Sam \u202egnp.exe": "U+202E RIGHT-TO-LEFT OVERRIDE",
    "Sam\x00\nINFO fake log line": "U+0000",
    "Sam\nINFO fake log line": "U+000A",
    "Sam\u2028INFO": "U+2028 LINE SEPARATOR",
}
PHONE_NUMBERS = ["Sam ⓪⑦⑦⓪⓪⑨⓪⓪①②③", "Sam ❶❷❸", "Sam ٠٧٧٠٠", "Sam ０７７００", "Sam ⁰⁷⁷"]


def _reason(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    return " ".join(error["msg"] for error in response.json()["detail"])


async def test_a_childs_name_with_hidden_characters_is_refused_with_why(
    admin: httpx.AsyncClient,
) -> None:
    for name, character in DISGUISED.items():
        reason = _reason(await admin.post("/children", json={"display_name": name}))
        assert "hidden character" in reason and character in reason, reason


async def test_a_childs_name_in_any_digits_is_refused(admin: httpx.AsyncClient) -> None:
    for name in PHONE_NUMBERS:
        reason = _reason(await admin.post("/children", json={"display_name": name}))
        assert "cannot have digits" in reason, name


async def test_a_childs_name_is_stored_in_one_normal_form(admin: httpx.AsyncClient) -> None:
    response = await admin.post(
        "/children", json={"display_name": " Ｓａｍ  K. ", "channel": "web"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["child"]["display_name"] == "Sam K."


async def test_staff_emails_and_names_with_hidden_characters_are_refused(
    admin: httpx.AsyncClient,
) -> None:
    staff = {"email": "admin\u200b@x.example", "name": "Kim", "password": PASSWORD}
    assert "U+200B ZERO WIDTH SPACE" in _reason(await admin.post("/staff", json=staff))
    staff = {"email": "kim@x.example", "name": "Kim\x00\nINFO fake", "password": PASSWORD}
    assert "hidden character" in _reason(await admin.post("/staff", json=staff))
    me = (await admin.get("/auth/me")).json()["id"]
    renamed = await admin.patch(f"/staff/{me}", json={"name": "Ada \u202eNIMDA"})
    assert "U+202E" in _reason(renamed)


async def test_a_lookalike_email_is_the_same_email(admin: httpx.AsyncClient) -> None:
    """Fullwidth letters are the same address (ada@council.example signed in above)."""
    staff = {"email": "ＡＤＡ@council.example", "name": "Ada Two", "password": PASSWORD}
    response = await admin.post("/staff", json=staff)
    assert response.status_code == 409
    assert response.json()["detail"] == "someone already has that email"


def test_the_command_line_refuses_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SAYSO_DATABASE_URL", url)
    monkeypatch.setenv("SAYSO_ADMIN_PASSWORD", PASSWORD)
    assert main(["create-admin", "--email", "admin\u200b@x.example", "--name", "Lead"]) == 2
    assert "U+200B ZERO WIDTH SPACE" in capsys.readouterr().err
    assert main(["create-admin", "--email", "Lead@X.example", "--name", "Lead\nINFO x"]) == 2
    assert main(["create-admin", "--email", "ＬＥＡＤ@x.example", "--name", "Lead"]) == 0
    assert "admin lead@x.example created" in capsys.readouterr().out

    async def emails() -> list[str]:
        engine = create_engine(url)
        async with create_sessionmaker(engine)() as session:
            found = list((await session.exec(select(Staff.email))).all())
        await engine.dispose()
        return found

    assert asyncio.run(emails()) == ["lead@x.example"]


async def _to_trusted_name(child: Child) -> None:
    await child.send("/start")
    await child.read_on()
    for _ in range(6):
        await child.tap("⏭️ Skip")
    await child.tap("An adult I trust first")


async def test_a_trusted_adults_name_in_circled_digits_is_asked_again(
    make_child: Callable[..., Child], runtime: Runtime
) -> None:
    child = make_child()
    await _to_trusted_name(child)
    for typed in ("Nan ⓪⑦⑦⓪⓪⑨⓪⓪①②③", "Nan \u202egnp.exe"):
        await child.send(typed)
        assert "first name" in child.said()
    await child.send("علی\u200cرضا")  # a Persian name keeps the joiner that shapes it
    assert "Who are they to you?" in child.said()
    async with runtime.sessionmaker() as session:
        names = (await session.exec(select(TrustedContact.name))).all()
    assert list(names) == ["علی\u200cرضا"]


def test_the_published_character_classes_match_this_python() -> None:
    """Regenerate with `python -m core.name_chars` when Python's Unicode version changes."""
    assert json.loads(DATA.read_text(encoding="utf-8")) == generate()
