"""The web chat's own scripts and styles, served by the app (no third-party assets), with a
version in their address so a phone never runs an old script against a new server."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"


def _version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC.glob("*")):
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


ASSET_VERSION = _version()


class Assets(StaticFiles):
    """Versioned addresses never change content, so phones may keep them a long time."""

    def file_response(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def static_files() -> StaticFiles:
    return Assets(directory=STATIC)
