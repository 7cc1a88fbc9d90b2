"""The FastAPI application: health, the Telegram webhook and the admin API."""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import errors, webhook
from api.access import PUBLIC
from api.body_limit import BodyLimit
from api.docs import add_docs
from api.routes import (
    alerts,
    answers,
    audit,
    auth,
    callbacks,
    checkins,
    children,
    concerns,
    data_rights,
    enrolment,
    exports,
    notices,
    outbox,
    replies,
    staff,
)
from api.runtime import Runtime
from api.schemas import problems
from api.webchat import preview as web_preview
from api.webchat import routes as web_chat
from api.webchat.assets import static_files


async def _too_large(request: Request, limit: int) -> Response:
    """A body over its size limit: the reason in JSON; the web chat's kind words for a child."""
    reason = f"The request body is too large: at most {limit // 1024} KB here"
    if request.url.path.startswith(("/chat/", "/preview/")):
        return web_chat.too_large(request, reason)
    return JSONResponse({"detail": reason}, status_code=413)


class Screening(BaseModel):
    """How children's words are screened now. `model` other than "ready" means the lexicon
    screens alone and more messages get the gentle check: someone should look."""

    lexicon: Literal["ready"]
    model: Literal["loading", "ready", "failed", "off"]
    reason: str | None = Field(description="Why the model is not ready, in plain words")
    exemplars: int


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(
        description="degraded: the service runs, but screening has only its lexicon"
    )
    telegram: bool
    conversations: int
    languages: list[str]
    screening: Screening


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="sayso",
        summary="Children and young people have their say about children's social care.",
        version="0.1.0",
        docs_url=None,  # served from the service's own copy (api/docs.py), not a CDN
        redoc_url=None,
        # Any route may meet a body over its size limit (api/body_limit.py).
        responses=problems(413),
    )
    app.state.runtime = runtime
    app.add_exception_handler(Exception, errors.unexpected)
    app.add_exception_handler(StarletteHTTPException, errors.http_error)
    app.add_exception_handler(RequestValidationError, web_chat.invalid)  # type: ignore[arg-type]
    app.add_middleware(BodyLimit, refuse=_too_large)

    @app.get("/health", tags=["service"], dependencies=[PUBLIC])
    async def health() -> Health:
        """Whether the service is up, and what it runs with."""
        screener = runtime.services.screener
        assert screener is not None  # built with every runtime
        state = screener.state
        return Health(
            status="ok" if state.status in ("ready", "loading") else "degraded",
            telegram=runtime.bot is not None,
            conversations=len(runtime.services.library.conversations),
            languages=runtime.services.locales,
            screening=Screening(
                lexicon="ready",
                model=state.status,
                reason=state.reason,
                exemplars=screener.exemplar_count,
            ),
        )

    app.include_router(concerns.labels_router)
    app.include_router(webhook.build(runtime))
    app.include_router(web_chat.router)
    app.include_router(web_preview.router)
    app.mount("/static", static_files(), name="static")
    add_docs(app)
    for module in (
        auth,
        staff,
        children,
        alerts,
        concerns,
        enrolment,
        data_rights,
        replies,
        checkins,
        callbacks,
        notices,
        answers,
        exports,
        outbox,
        audit,
    ):
        app.include_router(module.router)
    return app
