"""Accessibility: axe-core finds nothing serious, and the chat still works at 200% zoom."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.axe import describe, serious_violations
from tests.browser.chat_page import ChatPage
from tests.browser.conftest import ADMIN_EMAIL, PHONE, LiveApp, Shots
from tests.staff import PASSWORD


def assert_no_serious_violations(page: Page, where: str) -> None:
    found = serious_violations(page)
    assert not found, f"axe-core on the {where}:\n{describe(found)}"


def test_the_join_page_passes_axe(live_app: LiveApp, page: Page, shot: Shots) -> None:
    page.goto(live_app.web_child().join_url)
    expect(page.locator("#start")).to_be_visible()
    shot(page, "join page")
    assert_no_serious_violations(page, "join page")


def test_the_chat_page_passes_axe_in_english_and_arabic(
    live_app: LiveApp, page: Page, shot: Shots
) -> None:
    chat = ChatPage(page)
    chat.join(live_app.web_child().join_url)
    chat.tap("▶️ Next")  # a reply shown, and older buttons disabled
    chat.say("hello")  # one of the child's own bubbles too
    shot(page, "english")
    assert_no_serious_violations(page, "chat page in English")

    page.locator("#menu-button").tap()
    expect(page.locator("#menu")).to_be_visible()
    shot(page, "menu open")
    assert_no_serious_violations(page, "chat page with the menu open")
    page.locator("#menu-close").tap()

    chat.command("language")
    chat.tap("العربية")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    shot(page, "arabic")
    assert_no_serious_violations(page, "chat page in Arabic")


def test_the_preview_page_passes_axe(live_app: LiveApp, page: Page, shot: Shots) -> None:
    page.goto(f"{live_app.base_url}/preview")
    expect(page.locator("#signin")).to_be_visible()
    shot(page, "sign in")
    assert_no_serious_violations(page, "preview sign-in")
    page.locator("#signin-email").fill(ADMIN_EMAIL)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("#signin-submit").tap()
    expect(page.locator("#setup")).to_be_visible()
    page.locator("#preview-start").tap()
    expect(page.locator("#log .msg.bot").first).to_be_visible()
    shot(page, "previewing")
    assert_no_serious_violations(page, "preview with a conversation open")


def _inside(page: Page, element: Locator, width: float) -> None:
    """Visible, and not cut off at either side of a `width`-wide screen."""
    expect(element).to_be_visible()
    box = element.bounding_box()
    assert box is not None
    assert box["x"] >= -1 and box["x"] + box["width"] <= width + 1, (
        f"{element} is cut off: x={box['x']:.0f}, width={box['width']:.0f} on a {width}px screen"
    )


def _no_sideways_scroll(page: Page) -> None:
    sizes: dict[str, Any] = page.evaluate(
        """() => ({
            inner: window.innerWidth,
            html: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
            body: [document.body.scrollWidth, document.body.clientWidth],
        })"""
    )
    assert sizes["html"][0] <= sizes["html"][1] + 1, f"the page scrolls sideways: {sizes}"
    assert sizes["body"][0] <= sizes["body"][1] + 1, f"the page scrolls sideways: {sizes}"


def test_the_chat_works_at_200_percent_zoom(
    live_app: LiveApp, browser: Browser, shot: Shots
) -> None:
    """200% zoom on a 390px phone leaves 195 CSS pixels of width."""
    width = PHONE["viewport"]["width"] // 2
    zoomed = {
        **PHONE,
        "viewport": {"width": width, "height": PHONE["viewport"]["height"] // 2},
        "device_scale_factor": PHONE["device_scale_factor"] * 2,
    }
    context = browser.new_context(**zoomed)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        chat = ChatPage(page)
        chat.join(live_app.web_child().join_url)
        assert page.evaluate("() => window.innerWidth") == width, "laid out for the phone's width"
        shot(page, "first message")

        def check() -> None:
            _no_sideways_scroll(page)
            for element in (page.locator("#text"), page.locator("#send")):
                _inside(page, element, width)
            for button in chat.choices.all():
                button.scroll_into_view_if_needed()
                _inside(page, button, width)

        check()
        for _ in range(10):  # on to the language question: the longest list of buttons
            if "Which language" in chat.newest_bot_text():
                break
            chat.tap("▶️ Next")
        check()
        shot(page, "languages")
        page.locator("#menu-button").tap()
        expect(page.locator("#menu")).to_be_visible()
        for item in page.locator("#menu button").all():
            item.scroll_into_view_if_needed()
            _inside(page, item, width)
        shot(page, "menu")
    finally:
        context.close()


def test_the_scan_itself_finds_what_it_should(page: Page) -> None:
    """A guard against a scan that passes because it checked nothing."""
    page.set_content(
        '<html lang="en"><body><main><img src="x.png"><button></button></main></body></html>'
    )
    found = {violation["id"] for violation in serious_violations(page)}
    assert {"image-alt", "button-name"} <= found, found
