"""Swagger UI draws the API's operations from the service's own copy, with no request to
another origin and nothing its content security policy refuses (issue 19, item 10)."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import LiveApp, Shots


def test_the_docs_draw_every_operation_from_here(
    live_app: LiveApp, page: Page, shot: Shots
) -> None:
    complaints: list[str] = []
    elsewhere: list[str] = []
    page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    page.on(
        "response",
        lambda r: (
            None if r.url.startswith((live_app.base_url, "data:")) else elsewhere.append(r.url)
        ),
    )
    page.goto(f"{live_app.base_url}/docs")
    operations = page.request.get(f"{live_app.base_url}/openapi.json").json()["paths"]
    count = sum(len(methods) for methods in operations.values())
    page.locator(".opblock").nth(count - 1).wait_for()
    page.locator(".opblock").first.click()  # opening one draws more: still nothing refused
    page.locator(".opblock-body").first.wait_for()
    shot(page, "docs")
    assert page.locator(".opblock").count() == count
    assert complaints == [] and elsewhere == []


def test_redoc_draws_from_here_too(live_app: LiveApp, page: Page) -> None:
    elsewhere: list[str] = []
    page.on(
        "response",
        lambda r: (
            None
            if r.url.startswith((live_app.base_url, "data:", "blob:"))
            else elsewhere.append(r.url)
        ),
    )
    page.goto(f"{live_app.base_url}/redoc")
    page.locator("[data-section-id^='operation']").first.wait_for()
    assert elsewhere == []
