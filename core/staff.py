"""Staff accounts: argon2 password hashes, short-lived bearer tokens stored only as hashes."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from core import names
from core.crypto import token_digest
from core.models import Staff, StaffToken, utcnow
from core.passwords import WeakPassword, check_password

ROLES = ("admin", "worker")
MAX_STAFF_NAME = 80
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not a real password")


class StaffError(ValueError):
    """A request about staff that cannot be done, with a reason to show."""


class StaffPasswordError(StaffError):
    """The password is too easy to guess (core/passwords.py): the reason to show."""


def normal_email(email: str) -> str:
    """The form emails are stored and looked up in (names.email also refuses bad ones)."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def staff_name(name: str) -> str:
    """A staff member's name as typed: NFKC, no hidden characters, 1 to 80 characters."""
    name = names.normal_text(name, "name")
    if not name:
        raise names.TextError("The name is empty. Please type one.")
    if len(name) > MAX_STAFF_NAME:
        raise names.TextError(f"The name can have at most {MAX_STAFF_NAME} characters.")
    return name


async def create_staff(
    session: AsyncSession, *, email: str, name: str, role: str, password: str
) -> Staff:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    try:
        email, name = names.email(email), staff_name(name)
    except names.TextError as error:
        raise StaffError(str(error)) from None
    if await staff_by_email(session, email) is not None:
        raise StaffError("someone already has that email")
    staff = Staff(email=email, name=name, role=role, password_hash="")
    set_password(staff, password)
    session.add(staff)
    await session.flush()
    return staff


async def staff_by_email(session: AsyncSession, email: str) -> Staff | None:
    result = await session.exec(select(Staff).where(Staff.email == normal_email(email)))
    return result.first()


async def authenticate(session: AsyncSession, *, email: str, password: str) -> Staff | None:
    """The active account with this email and password, or None (never says which was wrong)."""
    staff = await staff_by_email(session, email)
    try:
        _hasher.verify(staff.password_hash if staff else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if staff is None or not staff.active:
        return None
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    return staff


def set_password(staff: Staff, password: str) -> None:
    """Refuses a password that would be easy to guess, with the reason."""
    try:
        check_password(password, email=staff.email, name=staff.name)
    except WeakPassword as error:
        raise StaffPasswordError(str(error)) from None
    staff.password_hash = _hasher.hash(password)


async def issue_token(session: AsyncSession, staff: Staff, *, minutes: int) -> str:
    token = secrets.token_urlsafe(32)
    assert staff.id is not None
    expires = utcnow() + timedelta(minutes=minutes)
    session.add(StaffToken(token_hash=token_digest(token), staff_id=staff.id, expires_at=expires))
    # Expired tokens are swept as new ones are made, so the table stays small.
    await session.exec(delete(StaffToken).where(StaffToken.expires_at < utcnow()))  # type: ignore[call-overload]
    return token


async def staff_for_token(session: AsyncSession, token: str) -> Staff | None:
    """Checked on every request: an expired token or a deactivated account is refused at once."""
    result = await session.exec(
        select(Staff)
        .join(StaffToken, StaffToken.staff_id == Staff.id)  # type: ignore[arg-type]
        .where(StaffToken.token_hash == token_digest(token), StaffToken.expires_at > utcnow())
    )
    staff = result.first()
    return staff if staff is not None and staff.active else None


async def revoke_tokens(session: AsyncSession, staff: Staff) -> None:
    await session.exec(delete(StaffToken).where(StaffToken.staff_id == staff.id))  # type: ignore[call-overload]


async def count_admins(session: AsyncSession) -> int:
    result = await session.exec(
        select(func.count()).select_from(Staff).where(Staff.role == "admin", Staff.active)
    )
    return int(result.one())
