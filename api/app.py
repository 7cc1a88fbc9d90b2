"""The FastAPI application: health, the Telegram webhook and the admin API."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api import webhook
from api.access import PUBLIC
from api.routes import (
    alerts,
    answers,
    audit,
    auth,
    callbacks,
    checkins,
    children,
    data_rights,
    enrolment,
    exports,
    notices,
    outbox,
    replies,
    staff,
)
from api.runtime import Runtime
from api.webchat import preview as web_preview
from api.webchat import routes as web_chat
from api.webchat.assets import static_files

log = logging.getLogger(__name__)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    """A bug must still answer in JSON, and never with a stack trace."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {
            "detail": "Something went wrong on our side. Try again; if it keeps happening, tell "
            "your administrator."
        },
        status_code=500,
    )


class Health(BaseModel):
    status: str
    telegram: bool
    conversations: int
    languages: list[str]


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="sayso",
        summary="Children and young people have their say about children's social care.",
        version="0.1.0",
    )
    app.state.runtime = runtime
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(RequestValidationError, web_chat.invalid)  # type: ignore[arg-type]

    @app.get("/health", tags=["service"], dependencies=[PUBLIC])
    async def health() -> Health:
        """Whether the service is up, and what it runs with."""
        return Health(
            status="ok",
            telegram=runtime.bot is not None,
            conversations=len(runtime.services.library.conversations),
            languages=runtime.services.locales,
        )

    app.include_router(webhook.build(runtime))
    app.include_router(web_chat.router)
    app.include_router(web_preview.router)
    app.mount("/static", static_files(), name="static")
    for module in (
        auth,
        staff,
        children,
        alerts,
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
