"""What every admin route may ask for: the runtime and one database session per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from api.runtime import Runtime
from core.db import pending


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def db_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's one transaction, owned here: committed when the route returns, before the
    response goes (scope="function"), and rolled back if it raises, so a request that fails
    half-way leaves nothing. A route may commit earlier where something must follow the commit
    (a background export starts from its committed row); what it does after is committed here."""
    async with runtime.sessionmaker() as session:
        try:
            yield session
        except Exception:
            await session.rollback()
            raise
        if pending(session):
            await session.commit()


SessionDep = Annotated[AsyncSession, Depends(db_session, scope="function")]
