"""Shared pieces of the admin API's request and response models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict

MAX_PAGE = 200


class Body(BaseModel):
    """A request body: a field we do not know is an error, never silently ignored, so nobody
    can set a role, a worker or a status by sending it."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    detail: str


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI error responses for a route."""
    words = {
        400: "The request cannot be done as asked",
        401: "Not signed in, or the token has expired",
        403: "Signed in, but not allowed to do this",
        404: "Not found (or not yours to see)",
        409: "It clashes with what is there",
        413: "The request body is over the size limit for this route",
        429: "Too many tries; wait and try again",
        503: "Something the service needs is not available or not set up",
    }
    return {code: {"model": Problem, "description": words[code]} for code in codes}


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size, at most {MAX_PAGE}")]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]

# Database ids are 32-bit on every backend we support; a bigger number is not an id at all.
MAX_ID = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
