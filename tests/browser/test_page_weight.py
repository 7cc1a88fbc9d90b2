"""The chat page is light on a child's phone data, and asks nobody else for anything."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Request, expect

from tests.browser.chat_page import ChatPage
from tests.browser.conftest import PHONE, LiveApp, Shots

FIRST_LOAD_LIMIT = 100 * 1024
ASSETS = ("document", "stylesheet", "script", "font", "image", "manifest", "other")


def test_the_first_load_of_the_chat_is_under_100_kb_from_its_own_origin(
    live_app: LiveApp, page: Page, browser: Browser, shot: Shots
) -> None:
    ChatPage(page).join(live_app.web_child().join_url)  # the cookie, in the first context
    # A second phone with the same cookie and an empty cache: a true first load of /chat.
    context = browser.new_context(**PHONE, storage_state=page.context.storage_state())
    try:
        fresh = context.new_page()
        requested: list[Request] = []
        finished: list[Request] = []
        fresh.on("request", lambda request: requested.append(request))
        fresh.on("requestfinished", lambda request: finished.append(request))
        fresh.goto(f"{live_app.base_url}/chat")
        expect(fresh.locator("#log .msg.bot").first).to_be_visible()
        fresh.wait_for_load_state("networkidle")
        shot(fresh, "first load")

        sizes: dict[str, int] = {}
        for request in finished:
            if request.resource_type in ASSETS:
                size = request.sizes()
                sizes[request.url] = size["responseBodySize"] + size["responseHeadersSize"]
        total = sum(sizes.values())
        listing = "\n".join(f"  {n:>7} B  {url}" for url, n in sizes.items())
        assert any(urlsplit(url).path == "/chat" for url in sizes), listing
        assert any(urlsplit(url).path.endswith(".css") for url in sizes), listing
        assert any(urlsplit(url).path.endswith(".js") for url in sizes), listing
        print(f"first load of /chat: {total} bytes\n{listing}")
        assert total < FIRST_LOAD_LIMIT, f"first load is {total} bytes:\n{listing}"

        origin = urlsplit(live_app.base_url)
        elsewhere = [
            request.url
            for request in requested
            if urlsplit(request.url).scheme not in ("data", "blob")
            and urlsplit(request.url)[:2] != origin[:2]
        ]
        assert not elsewhere, f"requests to other origins: {elsewhere}"
    finally:
        context.close()
