"""Who may call each route. Every route declares it with one of these dependencies; a test
fails for a route that declares none.

    caller: AdminDep      admins only
    caller: StaffDep      admins and workers (workers see only the children allocated to them)
    dependencies=[PUBLIC] anyone (sign-in, health); the Telegram webhook checks its own secret
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import SessionDep
from core.models import Staff, YoungPerson
from core.staff import staff_for_token

_bearer = HTTPBearer(auto_error=False, description="A token from POST /auth/token")


@dataclass(frozen=True)
class Caller:
    staff: Staff

    @property
    def id(self) -> int:
        assert self.staff.id is not None
        return self.staff.id

    @property
    def is_admin(self) -> bool:
        return self.staff.role == "admin"


class Access:
    """Base of every access declaration; the route test looks for an instance of it."""


class Public(Access):
    async def __call__(self) -> None:
        return None


def _bearer_token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "Sign in first: send 'Authorization: Bearer <token>'")
    return credentials.credentials


async def _signed_in(session: AsyncSession, token: str) -> Staff:
    staff = await staff_for_token(session, token)
    if staff is None:
        raise HTTPException(401, "This token is not valid: it has expired or the account is off")
    return staff


class Roles(Access):
    def __init__(self, *roles: str) -> None:
        self.roles = roles

    async def __call__(
        self,
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Caller:
        staff = await _signed_in(session, _bearer_token(credentials))
        if staff.role not in self.roles:
            raise HTTPException(403, "Only an admin can do this")
        return Caller(staff)


class ChildCookie(Access):
    """The web chat: the child's own browser, known by its cookie. The route checks it, so it
    can answer a browser it does not know kindly, in the child's language."""

    async def __call__(self) -> None:
        return None


class PreviewUser(Access):
    """The staff preview: any signed-in staff member, or the key `sayso serve` prints to its
    own console (so whoever started the service can try the conversations at once)."""

    async def __call__(
        self,
        request: Request,
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        token = _bearer_token(credentials)
        key: str = request.app.state.runtime.preview_key
        if not hmac.compare_digest(token.encode(), key.encode()):
            await _signed_in(session, token)


PUBLIC = Depends(Public())
CHILD_COOKIE = Depends(ChildCookie())
PREVIEW = Depends(PreviewUser())
AdminDep = Annotated[Caller, Depends(Roles("admin"))]
StaffDep = Annotated[Caller, Depends(Roles("admin", "worker"))]

NOT_FOUND = "No such child"


async def visible_child(session: AsyncSession, caller: Caller, child_id: int) -> YoungPerson:
    """The child, if this caller may see them. Anyone else's child answers exactly as a child
    who does not exist, so a worker cannot learn who is on the books."""
    query = select(YoungPerson).where(YoungPerson.id == child_id)
    if not caller.is_admin:
        query = query.where(YoungPerson.worker_id == caller.id)
    child = (await session.exec(query)).first()
    if child is None:
        raise HTTPException(404, NOT_FOUND)
    return child
