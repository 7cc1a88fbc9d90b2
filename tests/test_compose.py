"""docker-compose.yml is valid, offline, with PostgreSQL, Redis and the app."""

from __future__ import annotations

import subprocess
from pathlib import Path

import compose
import yaml

from core.config import ROOT

BINARY = Path(compose.__file__).resolve().parent / "docker-compose"


def test_compose_file_is_valid() -> None:
    # The bundled binary, not the wrapper script: the wrapper always exits 0.
    result = subprocess.run(
        [str(BINARY), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_compose_runs_postgres_redis_the_api_the_bot_and_the_worker() -> None:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"postgres", "redis", "app", "bot", "worker"} <= set(services)
    commands = {name: services[name]["command"][-1] for name in ("app", "bot", "worker")}
    assert commands == {"app": "api", "bot": "bot", "worker": "worker"}
    for name in commands:
        env = services[name]["environment"]
        assert env["SAYSO_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["SAYSO_REDIS_URL"].startswith("redis://")


def test_compose_check_would_catch_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text("services:\n  app:\n    image: x\n    depends_on: [missing]\n")
    result = subprocess.run(
        [str(BINARY), "-f", str(broken), "config", "-q"], capture_output=True, timeout=60
    )
    assert result.returncode != 0
