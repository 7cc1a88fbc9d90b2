"""The browser infrastructure itself: the live app answers a real browser, and stops cleanly."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.conftest import LiveApp, Shots


def test_a_real_browser_reaches_the_live_app(live_app: LiveApp, page: Page, shot: Shots) -> None:
    response = page.goto(f"{live_app.base_url}/health")
    assert response is not None and response.ok
    assert '"status":"ok"' in page.content()
    shot(page, "health")
    # The docs draw in tests/browser/test_docs.py: here the schema is enough.
    schema = page.request.get(f"{live_app.base_url}/openapi.json")
    assert schema.ok and schema.json()["info"]["title"] == "sayso"
    with live_app.admin() as api:
        assert api.get("/children").status_code == 200  # the admin is signed in
