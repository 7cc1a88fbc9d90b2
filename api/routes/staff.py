"""Staff management (admins only): accounts, roles, switching an account off."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.access import AdminDep
from api.deps import SessionDep
from api.schemas import Body, Email, Id, Limit, Offset, StaffName, problems
from core.audit import record
from core.models import Staff
from core.passwords import MAX_LENGTH, MIN_LENGTH
from core.staff import (
    StaffError,
    StaffPasswordError,
    count_admins,
    create_staff,
    revoke_tokens,
    set_password,
)

router = APIRouter(prefix="/staff", tags=["staff"])

Role = Literal["admin", "worker"]
PASSWORD_RULE = (
    f"{MIN_LENGTH} to {MAX_LENGTH} characters, not one character repeated, without the "
    "account's email or name, and not on the lists of common or breached passwords (a 422 "
    "says why). A few unrelated words together make a strong one."
)


class StaffOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime


class StaffIn(Body):
    email: Email
    name: StaffName
    role: Role = "worker"
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH, description=PASSWORD_RULE)


class StaffChange(Body):
    """Only the fields sent are changed; none of them may be null."""

    name: StaffName = Field(default=None)  # type: ignore[assignment]
    role: Role = Field(default=None)  # type: ignore[assignment]
    active: bool = Field(default=None)  # type: ignore[assignment]
    password: str = Field(  # type: ignore[assignment]
        default=None, min_length=MIN_LENGTH, max_length=MAX_LENGTH, description=PASSWORD_RULE
    )


def _weak(error: StaffPasswordError) -> RequestValidationError:
    """A 422 like any other invalid field, with the reason (and never the password back)."""
    problem = {"type": "weak_password", "loc": ("body", "password"), "msg": str(error)}
    return RequestValidationError([problem])


def _out(staff: Staff) -> StaffOut:
    return StaffOut.model_validate(staff, from_attributes=True)


@router.get("", responses=problems(401, 403))
async def list_staff(
    caller: AdminDep, session: SessionDep, limit: Limit = 50, offset: Offset = 0
) -> list[StaffOut]:
    result = await session.exec(select(Staff).order_by(col(Staff.id)).offset(offset).limit(limit))
    return [_out(s) for s in result.all()]


@router.post("", status_code=201, responses=problems(401, 403, 409))
async def add_staff(body: StaffIn, caller: AdminDep, session: SessionDep) -> StaffOut:
    try:
        staff = await create_staff(
            session, email=body.email, name=body.name, role=body.role, password=body.password
        )
    except StaffPasswordError as error:
        raise _weak(error) from None
    except StaffError as error:
        raise HTTPException(409, str(error)) from None
    record(session, staff_id=caller.id, action="staff.create", subject=f"staff:{staff.id}")
    await session.commit()
    return _out(staff)


@router.patch("/{staff_id}", responses=problems(401, 403, 404, 409))
async def change_staff(
    staff_id: Id, body: StaffChange, caller: AdminDep, session: SessionDep
) -> StaffOut:
    """Switching an account off (`active: false`) signs it out everywhere at once."""
    staff = await session.get(Staff, staff_id)
    if staff is None:
        raise HTTPException(404, "No such staff account")
    changes = body.model_dump(exclude_unset=True, exclude={"password"})
    losing_admin = staff.role == "admin" and (body.role == "worker" or body.active is False)
    if losing_admin and staff.active and await count_admins(session) <= 1:
        raise HTTPException(409, "This is the last active admin; make another admin first")
    for name, value in changes.items():
        setattr(staff, name, value)
    if body.password is not None:
        try:
            set_password(staff, body.password)
        except StaffPasswordError as error:
            raise _weak(error) from None
    if body.active is False or body.password is not None:
        await revoke_tokens(session, staff)
    record(
        session,
        staff_id=caller.id,
        action="staff.change",
        subject=f"staff:{staff_id}",
        detail={"changed": sorted(body.model_dump(exclude_unset=True))},
    )
    await session.commit()
    return _out(staff)


__all__ = ["StaffError", "StaffOut", "router"]
