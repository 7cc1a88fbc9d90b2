"""The FastAPI application: health, the Telegram webhook and the admin API."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

from api import webhook
from api.access import PUBLIC
from api.routes import audit, auth, children, staff
from api.runtime import Runtime


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
    for module in (auth, staff, children, audit):
        app.include_router(module.router)
    return app
