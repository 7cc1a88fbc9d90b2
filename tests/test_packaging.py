"""The installed package (as the Dockerfile installs it, not editable) carries everything the
service reads from its own folders: the web chat's scripts and styles, the migrations, and the
character classes of the names' patterns."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from core.config import ROOT


def _clean_copy(into: Path) -> Path:
    """The project's own files only, as a fresh clone has them (no build/ or egg-info left by
    an editable install, which would hide a file the package forgot)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    for name in listed:
        source = ROOT / name
        if source.is_file():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def test_the_wheel_carries_the_web_chat_assets_and_the_migrations(tmp_path: Path) -> None:
    tree = _clean_copy(tmp_path / "tree")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(tree)],
        check=True,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("sayso-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    static = ROOT / "api" / "webchat" / "static"
    wanted = {f"api/webchat/static/{p.name}" for p in static.iterdir() if p.is_file()}
    versions = ROOT / "core" / "migrations" / "versions"
    wanted |= {f"core/migrations/versions/{p.name}" for p in versions.glob("*.py")}
    wanted.add("core/name_chars.json")
    assert wanted and wanted <= names, sorted(wanted - names)
