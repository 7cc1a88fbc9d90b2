"""Telegram's webhook: the secret is checked in constant time before the body is read."""

from __future__ import annotations

import hmac
import logging

from aiogram.types import Update
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.access import PUBLIC
from api.runtime import Runtime

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/telegram/webhook"


def build(runtime: Runtime) -> APIRouter:
    router = APIRouter()
    secret = runtime.settings.webhook_secret
    expected = secret.get_secret_value().encode() if secret else b""

    # Open to anyone at the HTTP level: the secret is checked inside, in constant time.
    @router.post(WEBHOOK_PATH, include_in_schema=False, dependencies=[PUBLIC])
    async def telegram_webhook(request: Request) -> JSONResponse:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not expected or runtime.bot is None or not hmac.compare_digest(given, expected):
            return JSONResponse({"detail": "Forbidden: wrong or missing secret token"}, 403)
        try:
            update = Update.model_validate(await request.json(), context={"bot": runtime.bot})
        except (ValueError, ValidationError):
            return JSONResponse({"detail": "The body is not a Telegram update"}, 400)
        try:
            await runtime.dispatcher.feed_update(runtime.bot, update)
        except Exception:
            # Not processed and not marked as processed: a 500 makes Telegram send it again.
            log.exception("update %s failed", update.update_id)
            return JSONResponse({"detail": "Could not process the update; it will be retried"}, 500)
        return JSONResponse({"ok": True})

    return router
