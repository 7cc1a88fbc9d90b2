"""The API keeps to its OpenAPI document at the edges (issue 19, item 8): a body that is not
JSON is invalid like any other (422, never an undocumented 400 or a 500), a method an address
does not take names every one it does, and times are ISO 8601 only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from api.app import create_app
from api.runtime import Runtime
from tests.staff import add_child

NOT_TEXT = [b"\xff{", b'{"email": "\xc3\x28"}', b"\x80\x81\x82"]
SURROGATE = b'{"email": "\\ud800", "password": "x"}'


async def test_a_body_that_is_not_json_text_is_422_with_why(admin: httpx.AsyncClient) -> None:
    for path in ("/auth/token", "/children", "/staff"):
        for body in NOT_TEXT:
            response = await admin.post(
                path, content=body, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 422, (path, body, response.text)
            assert response.json()["detail"][0]["type"] == "json_invalid"


async def test_a_lone_surrogate_is_refused_not_a_server_error(admin: httpx.AsyncClient) -> None:
    response = await admin.post(
        "/auth/token", content=SURROGATE, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]


async def test_a_method_not_taken_names_every_method_the_address_takes(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    schema = create_app(runtime).openapi()
    for path, operations in schema["paths"].items():
        address = re.sub(r"\{[^}]+\}", "1", path)
        response = await admin.options(address)
        assert response.status_code == 405, path
        allowed = set(response.headers["allow"].split(", ")) - {"HEAD"}
        assert allowed == {method.upper() for method in operations}, path


_NUMBERS = ["0.5", "1700000000", "1e9", "-1"]


async def test_times_in_a_query_are_iso_8601_only(admin: httpx.AsyncClient) -> None:
    for name in ("since", "until"):
        for number in _NUMBERS:
            response = await admin.get("/answers", params={name: number})
            assert response.status_code == 422, (name, number)
            assert "ISO 8601" in response.json()["detail"][0]["msg"]
        fine = await admin.get("/answers", params={name: "2026-01-01T00:00:00Z"})
        assert fine.status_code == 200


async def test_times_in_a_body_are_iso_8601_only(
    runtime: Runtime, admin: httpx.AsyncClient
) -> None:
    child = await add_child(runtime, worker_id=None, display_name="AB")
    soon = datetime.now(UTC) + timedelta(days=3)
    bodies = {
        "/check-ins": {"child_id": child, "conversation_id": "hows_life", "when": soon.timestamp()},
        "/replies": {
            "status": "done",
            "texts": [{"locale": "en", "body": "We listened."}],
            "links": {"outcomes": ["listened"]},
            "send_at": soon.timestamp(),
        },
        "/exports": {"reason": "A check", "format": "csv", "until": 0.5},
    }
    for path, body in bodies.items():
        response = await admin.post(path, json=body)
        assert response.status_code == 422, (path, response.text)
        assert "ISO 8601" in response.text
