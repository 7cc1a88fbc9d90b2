"""`sayso api` as its own process on a free port, with its own SQLite database: for what only a
real server shows (its memory, the address a client connects from)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import TEST_KEY


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ApiProcess:
    def __init__(self, folder: Path, **settings: str) -> None:
        self.folder, self.port = folder, free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAYSO_")}
        env.update(
            SAYSO_DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'sayso.db'}",
            SAYSO_HOST="127.0.0.1",
            SAYSO_PORT=str(self.port),
            SAYSO_ENCRYPTION_KEY=TEST_KEY,
            SAYSO_BOT_USERNAME="sayso_test_bot",
            SAYSO_CACHE_DIR=str(folder / "cache"),
            SAYSO_EXPORT_DIR=str(folder / "exports"),
            # The model would load beside the measurement and blur it; the lexicon is enough.
            SAYSO_SCREENING_MODEL="false",
            **{f"SAYSO_{name.upper()}": value for name, value in settings.items()},
        )
        self.log = (folder / "api.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "api"],
            env=env,
            cwd=folder,  # no .env file of the developer's is read
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.folder / "api.log").read_text())
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("sayso api did not start in time")

    def peak_memory(self) -> int:
        """The most resident memory the process has had (VmHWM), in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
