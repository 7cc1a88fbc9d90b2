"""Staff preview a conversation in another language and easy read; nothing is kept."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from core.config import ROOT
from core.i18n import BabelTranslator
from tests.browser.chat_page import ChatPage, is_chat_api
from tests.browser.conftest import ADMIN_EMAIL, LiveApp, Shots
from tests.staff import PASSWORD

BANNER = "Preview — nothing you type here is saved or read by anyone."


def welsh(message: str) -> str:
    return BabelTranslator(ROOT / "locales", "cy").gettext(message)


def test_staff_preview_in_welsh_easy_read_keeps_nothing(
    live_app: LiveApp, page: Page, shot: Shots
) -> None:
    page.goto(f"{live_app.base_url}/preview")
    expect(page.get_by_text(BANNER)).to_be_visible()
    expect(page.locator("#signin")).to_be_visible()
    shot(page, "sign in")

    page.locator("#signin-email").fill(ADMIN_EMAIL)
    page.locator("#signin-password").fill(PASSWORD)
    page.locator("#signin-submit").tap()
    expect(page.locator("#setup")).to_be_visible()
    expect(page.locator("#signin")).to_be_hidden()
    page.locator("#preview-conversation").select_option("hows_life")
    expect(page.locator('#preview-language option[value="cy"]')).to_contain_text("Cymraeg")
    page.locator("#preview-language").select_option("cy")
    page.locator("#preview-reading").select_option("easy")
    shot(page, "chosen")

    with page.expect_response(is_chat_api("/preview/api/start")) as started:
        page.locator("#preview-start").tap()
    assert started.value.ok, started.value.text()
    chat = ChatPage(page, api="/preview/api/")
    expect(page.locator("#chat-area")).to_have_attribute("lang", "cy")
    expect(page.locator("#chat-area")).to_have_attribute("dir", "ltr")
    # Easy read, in Welsh: the intro and the first question.
    chat.expect_bot_says(welsh("How is your life right now? Tell us."))
    chat.expect_bot_says(welsh("How safe do you feel?"))
    assert chat.choice_labels()[0] == welsh("😀 Great"), chat.choice_labels()
    expect(page.get_by_text(BANNER)).to_be_visible()
    shot(page, "first question in welsh")

    chat.tap_first()
    chat.expect_bot_says(welsh("How do you feel about where you live?"))
    chat.tap_first()
    chat.expect_bot_says(welsh("How are things with people who matter to you?"))
    shot(page, "third question in welsh")

    for table in ("answer", "conversation_run", "young_person", "alert"):
        assert live_app.count(f"SELECT count(*) FROM {table}") == 0, f"preview wrote to {table}"
