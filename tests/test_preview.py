"""The staff preview: any conversation, language and reading mode, as a child would see it,
with nothing stored as feedback, and content mistakes shown with file and line."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from api.app import create_app
from api.cli import _lifespan
from api.runtime import Runtime, build_runtime
from core.config import Settings
from core.models import Alert, Answer, ConversationRun, YoungPerson
from tests.staff import api_client


async def _turn(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code == 200, response.text
    turn: dict[str, Any] = response.json()
    return turn


def _said(turn: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in turn["messages"])


async def _tap(client: httpx.AsyncClient, turn: dict[str, Any], label: str) -> dict[str, Any]:
    for message in reversed(turn["messages"]):
        for row in message["buttons"]:
            for button in row:
                if label in button["label"]:
                    body = {
                        "preview_id": turn["preview_id"],
                        "run": message["run"],
                        "action": button["action"],
                    }
                    return await _turn(client, "/preview/api/tap", body)
    raise AssertionError(f"no button {label!r} in {_said(turn)!r}")


async def _stored(runtime: Runtime) -> int:
    async with runtime.sessionmaker() as session:
        counts = [
            (await session.exec(select(func.count()).select_from(model))).one()
            for model in (Answer, ConversationRun, YoungPerson, Alert)
        ]
    return sum(counts)


async def test_staff_preview_a_conversation_in_welsh_easy_read_and_nothing_is_stored(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    options = (await admin.get("/preview/api/options")).json()
    assert options["errors"] == []
    assert {"id": "hows_life", "title": "How's life?"} in options["conversations"]
    assert {"code": "ar", "name": "العربية", "dir": "rtl"} in options["languages"]
    before = await _stored(runtime)

    english = await _turn(
        admin, "/preview/api/start", {"conversation_id": "hows_life", "locale": "en"}
    )
    welsh = await _turn(
        admin,
        "/preview/api/start",
        {"conversation_id": "hows_life", "locale": "cy", "reading_mode": "easy"},
    )
    assert welsh["locale"] == "cy" and welsh["dir"] == "ltr"
    assert _said(welsh) and _said(welsh) != _said(english)
    labels = [b["label"] for m in welsh["messages"] for row in m["buttons"] for b in row]
    assert labels and all(label not in ("😀 Great", "⏭️ Skip") for label in labels)
    first = welsh["messages"][-1]["buttons"][0][0]["label"]
    second = await _tap(admin, welsh, first)
    assert _said(second) and second["preview_id"] == welsh["preview_id"]
    assert await _stored(runtime) == before  # nothing stored as feedback, no child made


async def test_a_disclosure_in_the_preview_shows_the_childs_help_and_tells_staff_what_would_happen(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    start = await _turn(admin, "/preview/api/start", {"conversation_id": "talk", "locale": "en"})
    body = {"preview_id": start["preview_id"], "text": "I want to kill myself"}
    turn = await _turn(admin, "/preview/api/say", body)
    assert "999" in _said(turn)
    assert any("safeguarding alert" in note for note in turn["notes"])
    assert await _stored(runtime) == 0


async def test_the_preview_needs_a_staff_sign_in_or_the_console_key(runtime: Runtime) -> None:
    async with api_client(runtime) as anyone:
        assert (await anyone.get("/preview")).status_code == 200  # the page holds nothing
        assert (await anyone.get("/preview/api/options")).status_code == 401
        start = {"conversation_id": "hows_life", "locale": "en"}
        assert (await anyone.post("/preview/api/start", json=start)).status_code == 401
    async with api_client(runtime, "not-the-key") as guesser:
        assert (await guesser.get("/preview/api/options")).status_code == 401
    async with api_client(runtime, runtime.preview_key) as operator:
        assert (await operator.get("/preview/api/options")).status_code == 200


async def test_content_mistakes_show_in_the_preview_with_file_and_line(
    settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(settings.content_dir, content)
    runtime = await build_runtime(settings.model_copy(update={"content_dir": content}))
    try:
        broken = content / "40_hows_life.yaml"
        broken.write_text(broken.read_text() + "\nquestions: [{id: Bad Id, type: colour}]\n")
        async with api_client(runtime, runtime.preview_key) as operator:
            options = (await operator.get("/preview/api/options")).json()
            assert options["errors"]
            assert any(broken.name in error for error in options["errors"])
            start = {"conversation_id": "hows_life", "locale": "en"}
            refused = await operator.post("/preview/api/start", json=start)
            assert refused.status_code == 409 and broken.name in refused.json()["detail"]
    finally:
        await runtime.close()


async def test_the_service_prints_a_preview_link_that_works_at_once(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A newcomer runs `make run` with no token and no staff account: the log gives them a
    link straight into the preview."""
    runtime = await build_runtime(settings.model_copy(update={"telegram_token": None}))
    app = create_app(runtime)
    caplog.set_level(logging.INFO, logger="sayso")
    async with _lifespan(runtime, bot=False, jobs=False)(app):
        found = re.search(r"(http://\S+)/preview#key=(\S+)", caplog.text)
        assert found is not None, caplog.text
        assert found[1] == settings.public_address
        async with api_client(runtime, found[2]) as newcomer:
            options = await newcomer.get("/preview/api/options")
            assert options.status_code == 200
            start = {"conversation_id": "how_are_we_doing", "locale": "en"}
            assert (await newcomer.post("/preview/api/start", json=start)).status_code == 200
