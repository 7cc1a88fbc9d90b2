"""Shared pieces of the admin API's request and response models."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from core import names
from core.name_chars import CLASSES
from core.staff import MAX_STAFF_NAME, staff_name

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
        410: "Gone for good, with the reason",
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


def _by(rule: Callable[[str], str]) -> BeforeValidator:
    """Checked and normalised by the rule in core, its reason the 422's message."""

    def check(value: object) -> object:
        if not isinstance(value, str):
            return value  # the type check says what is wrong
        try:
            return rule(value)
        except names.TextError as error:
            raise PydanticCustomError("text_refused", "{reason}", {"reason": str(error)}) from None

    return BeforeValidator(check)


# The rule runs first (it comes after the Field, so the schema keeps its pattern); the patterns
# say in the schema what the rules refuse (core/name_chars.py): no hidden characters; a name is
# not only spaces; an email has no spaces; a child's name has a letter and no digit or @.
_HIDDEN, _BLANK, _SPACED = CLASSES["hidden"], CLASSES["blank"], CLASSES["spaced"]
_NOT_IN_EMAIL = "@" + _HIDDEN + _SPACED + CLASSES["at"]
_NOT_IN_CHILD_NAME = "@" + _HIDDEN + CLASSES["digit"] + CLASSES["at"]

Email = Annotated[
    str,
    Field(
        max_length=254,
        pattern=f"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+$",
        examples=["sam@council.example"],
    ),
    _by(names.email),
]
StaffName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_STAFF_NAME,
        pattern=f"^[^{_HIDDEN}]*[^{_HIDDEN}{_BLANK}][^{_HIDDEN}]*$",
        examples=["Sam Patel"],
    ),
    _by(staff_name),
]
ChildName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=names.MAX_NAME,
        pattern=f"^[^{_NOT_IN_CHILD_NAME}]*[^\\W\\d_{_NOT_IN_CHILD_NAME}][^{_NOT_IN_CHILD_NAME}]*$",
        description="A first name or initials the worker chooses; never a full name, no "
        "digits (in any form) or @",
        examples=["S.K."],
    ),
    _by(names.child_name),
]


# pydantic also reads a number, or a string of one, as a Unix time ("until=0.5"): the API takes
# ISO 8601 only, as its document says, so a number sent by mistake is never a time in 1970.
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _iso_8601_only(value: object) -> object:
    number = isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value))
    if number:
        raise PydanticCustomError(
            "iso_8601",
            "Give the time in ISO 8601, such as 2026-01-01T09:00:00Z: a number is not taken "
            "as a time",
        )
    return value


IsoOnly = BeforeValidator(_iso_8601_only)
