"""Staff passwords (issue 19, item 6): ones on the common and breached lists, one character
repeated, or the account's own email or name are refused with a kind reason, by the API and
by `sayso create-admin` alike."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.cli import main
from tests.staff import PASSWORD

KIM = {"email": "kim.jones@council.example", "name": "Kimberly Jones", "role": "worker"}
WEAK = {
    "a" * 12: "One character repeated",
    " " * 12: "One character repeated",
    "password1234": "This is a very common password.",
    "P@ssw0rd12345": "easy to guess",
    "kim.jones@council.example": "keep your email and name out",
    "kimberly-loves-tea-2026": "keep your email and name out",
}


def _reason(response: httpx.Response, password: str) -> str:
    assert response.status_code == 422, response.text
    assert password not in response.text  # never sent back
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "password"]
    return str(problem["msg"])


async def test_weak_staff_passwords_are_refused_with_why(admin: httpx.AsyncClient) -> None:
    for password, why in WEAK.items():
        reason = _reason(await admin.post("/staff", json={**KIM, "password": password}), password)
        assert why in reason and "A few unrelated words" in reason, reason
    created = await admin.post("/staff", json={**KIM, "password": PASSWORD})
    assert created.status_code == 201, created.text


async def test_a_weak_new_password_is_refused_and_the_old_one_kept(
    admin: httpx.AsyncClient,
) -> None:
    kim = (await admin.post("/staff", json={**KIM, "password": PASSWORD})).json()
    changed = await admin.patch(f"/staff/{kim['id']}", json={"password": "password1234"})
    assert "easy to guess" in _reason(changed, "password1234")
    renamed = await admin.patch(
        f"/staff/{kim['id']}", json={"name": "Tea Lover", "password": "tea lover at home"}
    )
    assert "keep your email and name out" in _reason(renamed, "tea lover at home")
    signed_in = await admin.post("/auth/token", json={"email": KIM["email"], "password": PASSWORD})
    assert signed_in.status_code == 200
    assert (await admin.get("/staff")).json()[-1]["name"] == "Kimberly Jones"


def test_the_command_line_refuses_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SAYSO_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    for password, why in WEAK.items():
        monkeypatch.setenv("SAYSO_ADMIN_PASSWORD", password)
        args = ["create-admin", "--email", KIM["email"], "--name", KIM["name"]]
        assert main(args) == 2
        assert why in capsys.readouterr().err


async def test_a_refused_body_never_carries_the_password_back(admin: httpx.AsyncClient) -> None:
    """Any 422, the schema's own checks included: where and why, never the value sent."""
    response = await admin.post("/staff", json={**KIM, "password": "tiny-pw-9"})
    assert response.status_code == 422, response.text
    assert "tiny-pw-9" not in response.text
    assert response.json()["detail"][0]["loc"] == ["body", "password"]
