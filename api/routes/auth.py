"""Signing in: an email and password for a short-lived bearer token. Attempts are rate-limited."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, HTTPException, Request
from limits import parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from pydantic import BaseModel, Field

from api.access import PUBLIC, StaffDep
from api.deps import RuntimeDep, SessionDep
from api.routes.staff import StaffOut
from api.schemas import Body, problems
from core.models import utcnow
from core.staff import authenticate, issue_token, normal_email

router = APIRouter(prefix="/auth", tags=["sign in"])


class Credentials(Body):
    email: str = Field(max_length=254, examples=["sam.worker@council.example"])
    password: str = Field(max_length=200, examples=["a long pass phrase"])


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


def login_limiter(runtime: RuntimeDep) -> MovingWindowRateLimiter:
    """Shared across processes through Redis when it is configured."""
    limiter: MovingWindowRateLimiter | None = getattr(runtime, "login_limiter", None)
    if limiter is None:
        url = runtime.settings.redis_url
        # redis-py, which the project installs (limits would pick coredis otherwise).
        storage = (
            storage_from_string(f"async+{url}", implementation="redispy")
            if url
            else storage_from_string("async+memory://")
        )
        limiter = MovingWindowRateLimiter(storage)  # type: ignore[arg-type]
        runtime.login_limiter = limiter  # type: ignore[attr-defined]
    return limiter


@router.post("/token", dependencies=[PUBLIC], responses=problems(401, 429))
async def sign_in(
    credentials: Credentials, request: Request, runtime: RuntimeDep, session: SessionDep
) -> Token:
    """Swap an email and password for a bearer token that lasts `SAYSO_TOKEN_MINUTES`."""
    settings = runtime.settings
    per_email = parse(f"{settings.login_attempts_per_minute}/minute")
    per_address = parse(f"{settings.login_attempts_per_minute * 4}/minute")
    address = request.client.host if request.client else "unknown"
    limiter = login_limiter(runtime)
    allowed = await limiter.hit(per_email, "login", normal_email(credentials.email))
    allowed = await limiter.hit(per_address, "login-from", address) and allowed
    if not allowed:
        raise HTTPException(
            429, "Too many sign-in tries. Wait a minute and try again.", {"Retry-After": "60"}
        )
    staff = await authenticate(session, email=credentials.email, password=credentials.password)
    if staff is None:
        raise HTTPException(401, "That email and password do not match an active account")
    token = await issue_token(session, staff, minutes=settings.token_minutes)
    await session.commit()
    return Token(
        access_token=token, expires_at=utcnow() + timedelta(minutes=settings.token_minutes)
    )


@router.get("/me", responses=problems(401))
async def who_am_i(caller: StaffDep) -> StaffOut:
    """The signed-in account."""
    return StaffOut.model_validate(caller.staff, from_attributes=True)
