"""The API's docs (/docs, Swagger UI; /redoc, ReDoc) from the service itself: their scripts and
styles come from a packaged copy (fastapi-offline), so a staff browser calls no third party and
a council network that blocks CDNs still shows them. Served under a content security policy
that, like the web chat's, allows nothing from elsewhere."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.access import PUBLIC
from api.webchat.assets import Assets

STATIC = Path(fastapi_offline.__file__).resolve().parent / "static"
# The package's version in the address: the files under it never change, so browsers keep them.
ASSETS = f"/docs/assets/{version('fastapi-offline')}"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _csp(page: str, *, inline_styles: bool) -> str:
    """Scripts from here, and the page's own inline one by its hash; nothing from elsewhere.
    Swagger UI keeps to style-src 'self' as the web chat does; ReDoc sets styles inline as it
    draws (styles cannot run code). Its footer's logo from redoc.ly stays blocked."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(page)
    )
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    return (
        f"default-src 'self'; script-src 'self'{hashes}; style-src {styles}; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'self'; object-src 'none'"
    )


def _serve(html: HTMLResponse, *, inline_styles: bool) -> Callable[[], HTMLResponse]:
    """An endpoint for a page made once (it is the same for everyone), with its policy."""
    page = bytes(html.body).decode()
    headers = {
        "Content-Security-Policy": _csp(page, inline_styles=inline_styles),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }

    def endpoint() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    return endpoint


def add_docs(app: FastAPI) -> None:
    """Build the app with docs_url=None and redoc_url=None, then call this."""
    openapi = app.openapi_url or "/openapi.json"
    swagger = _serve(
        get_swagger_ui_html(
            openapi_url=openapi,
            title=f"{app.title}: API docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # No badge from the public validator (swagger.io): it would send it our schema.
            swagger_ui_parameters={"validatorUrl": None},
        ),
        inline_styles=False,
    )
    redoc = _serve(
        get_redoc_html(
            openapi_url=openapi,
            title=f"{app.title}: API docs",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        ),
        inline_styles=True,
    )
    app.mount(ASSETS, Assets(directory=STATIC), name="docs-assets")
    app.add_api_route("/docs", swagger, include_in_schema=False, dependencies=[PUBLIC])
    app.add_api_route("/redoc", redoc, include_in_schema=False, dependencies=[PUBLIC])
