"""How the service answers what it cannot do: JSON with a reason, never a stack trace, and
only statuses its OpenAPI document lists."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Mount

log = logging.getLogger(__name__)
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOT_JSON = "The body is not JSON: it is not UTF-8 text"


class ErrorJSON(JSONResponse):
    """ASCII JSON: an error may echo what was sent, and a lone surrogate ("\\ud800" in the
    request's JSON) cannot be written as UTF-8, so it would fail as a 500."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False).encode("ascii")


def without_input(errors: Sequence[Any]) -> list[Any]:
    """Validation errors without the value that was sent: where and why is the reason, and the
    value may be a password or a child's words, which an answer must not carry back (a proxy
    or a browser's tools may keep it)."""
    return [
        {k: v for k, v in e.items() if k != "input"} if isinstance(e, dict) else e for e in errors
    ]


def invalid_body(errors: Sequence[Any]) -> ErrorJSON:
    return ErrorJSON({"detail": jsonable_encoder(without_input(errors))}, status_code=422)


def _takes(route: BaseRoute, path: str, method: str) -> bool:
    if isinstance(route, Mount):  # static files: they read, never write
        return method == "GET" and route.matches({"type": "http", "path": path})[0] is Match.FULL
    scope = {"type": "http", "path": path, "root_path": "", "method": method}
    return route.matches(scope)[0] is Match.FULL


def _allowed(request: Request) -> list[str]:
    """Every method some route takes at this address (Starlette names only the first route's)."""
    routes, path = request.app.router.routes, request.scope["path"]
    found = {m for m in METHODS if any(_takes(route, path, m) for route in routes)}
    return sorted(found | ({"HEAD"} if "GET" in found else set()))


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 400 and isinstance(error.__cause__, ValueError):
        # FastAPI could not read the body as text (not UTF-8): invalid like any other body.
        problem = {"type": "json_invalid", "loc": ["body"], "msg": NOT_JSON, "input": None}
        return invalid_body([problem])
    if error.status_code == 405:
        allowed = _allowed(request)
        detail = f"Method Not Allowed: this address takes {', '.join(allowed)}"
        return ErrorJSON({"detail": detail}, status_code=405, headers={"Allow": ", ".join(allowed)})
    return await http_exception_handler(request, error)


async def unexpected(request: Request, error: Exception) -> JSONResponse:
    """A bug must still answer in JSON, and never with a stack trace."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {
            "detail": "Something went wrong on our side. Try again; if it keeps happening, tell "
            "your administrator."
        },
        status_code=500,
    )


__all__ = ["ErrorJSON", "RequestValidationError", "http_error", "invalid_body", "unexpected"]
