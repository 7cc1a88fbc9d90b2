"""Content is validated at start-up; mistakes are named with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.cli import main
from core.config import ROOT
from core.content import ContentError, load_file, load_library

GOOD = ROOT / "content"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "99_broken.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_content_is_valid_and_complete() -> None:
    library = load_library(GOOD)
    sizes = {
        cid: [q for q in c.questions if q.statement] for cid, c in library.conversations.items()
    }
    assert len(sizes["how_are_we_doing"]) == 10
    assert len(sizes["whats_changed"]) == 8
    assert len(sizes["hows_life"]) == 9
    assert len(sizes["did_we_do_what_we_said"]) == 3
    assert library.onboarding.id == "onboarding"
    assert {"getting_ready", "talk"} <= set(library.conversations)


def test_unknown_field_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "id: x\nversion: 1\ntitle: X\noutro: {text: Bye}\nquestions:\n"
        "  - id: q1\n    type: scale\n    text: Hi?\n    colour: red\n",
    )
    with pytest.raises(ContentError) as error:
        load_file(path)
    assert f"{path}:9: questions.0.colour" in str(error.value)


def test_branch_to_a_later_question_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "id: x\nversion: 1\ntitle: X\noutro: {text: Bye}\nquestions:\n"
        "  - id: q1\n    type: text\n    text: Why?\n    when: {q2: [bad]}\n"
        "  - id: q2\n    type: scale\n    text: How?\n",
    )
    with pytest.raises(ContentError) as error:
        load_file(path)
    assert f"{path}:9:" in str(error.value) and "earlier question" in str(error.value)


def test_broken_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "id: x\nversion: 1\ntitle: [unclosed\n")
    with pytest.raises(ContentError) as error:
        load_file(path)
    assert str(path) in str(error.value) and "not valid YAML" in str(error.value)


def test_service_refuses_to_start_on_invalid_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for source in GOOD.glob("*.yaml"):
        (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    _write(tmp_path, "id: broken\nversion: 0\ntitle: X\noutro: {text: Bye}\nquestions: []\n")
    monkeypatch.setenv("SAYSO_CONTENT_DIR", str(tmp_path))
    monkeypatch.setenv("SAYSO_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "content has mistakes" in err and "99_broken.yaml:2: version" in err
    assert not (tmp_path / "db.sqlite").exists()
