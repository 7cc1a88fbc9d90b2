"""A child in the web chat on a phone: what they see and what is kept, end to end."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from core.config import ROOT
from core.i18n import BabelTranslator
from tests.browser.chat_page import ARABIC, CONFIRM, MENU_PROMPT, REVIEW_PROMPT, ChatPage
from tests.browser.conftest import LiveApp, Shots

HOWS_LIFE_THANKS = "Thank you. Your worker will read your answers."


def words(locale: str, message: str) -> str:
    """What the app's own catalogue says for `message` in `locale`."""
    return BabelTranslator(ROOT / "locales", locale).gettext(message)


def confirmed_answers(live_app: LiveApp, child_id: int) -> int:
    return live_app.count(
        "SELECT count(*) FROM answer WHERE young_person_id = ? AND confirmed", child_id
    )


def test_a_child_finishes_a_conversation_by_tapping(
    live_app: LiveApp, page: Page, shot: Shots
) -> None:
    child = live_app.web_child()
    chat = ChatPage(page)
    page.goto(child.join_url)
    expect(page.locator("#start")).to_be_visible()
    shot(page, "join page")

    chat.press_start()
    shot(page, "first message")
    chat.onboard()
    shot(page, "menu of conversations")

    chat.tap("How's life?")
    chat.expect_bot_says("How safe and secure do you feel?")
    shot(page, "first question")
    tapped = chat.answer_with_first_choice()
    assert len(tapped) == 9, tapped  # How's life? asks nine questions with buttons
    chat.expect_bot_says(REVIEW_PROMPT)
    # Only the newest buttons can be pressed: the review's three.
    assert chat.choice_labels() == [CONFIRM, "✏️ Change something", "⏹️ Stop"]
    assert page.locator("#log .choice").count() > 3, "the earlier buttons should stay, disabled"
    shot(page, "did I get this right")

    chat.tap(CONFIRM)
    chat.expect_bot_says(HOWS_LIFE_THANKS)
    shot(page, "thank you")

    assert confirmed_answers(live_app, child.id) == 9
    with live_app.admin() as admin:
        response = admin.get("/answers", params={"child_id": child.id})
    assert response.status_code == 200, response.text
    assert len(response.json()) == 9, response.json()


def test_a_child_finishes_a_conversation_with_the_keyboard_alone(
    live_app: LiveApp, page: Page, shot: Shots
) -> None:
    child = live_app.web_child()
    chat = ChatPage(page)
    page.goto(child.join_url)
    chat.key_to(lambda f: f["id"] == "start")
    page.keyboard.press("Enter")
    page.wait_for_url("**/chat")
    expect(chat.bot.first).to_be_visible()
    shot(page, "chat opened with enter")

    # The menu: Tab to its button, Enter opens it, Tab to "Give feedback", Enter.
    chat.key_to(lambda f: f["id"] == "menu-button")
    page.keyboard.press("Enter")
    expect(page.locator("#menu")).to_be_visible()
    shot(page, "menu open")
    chat.key_to(lambda f: f["command"] == "feedback")
    chat.key_press_turn("Enter", "command")
    chat.expect_bot_says(MENU_PROMPT)
    expect(page.locator("#menu")).to_be_hidden()

    chat.key_to_choice("Did we do what we said?")
    chat.key_press_turn("Space", "tap")
    chat.expect_bot_says("How well have we kept you up to date?")
    shot(page, "first question")

    chat.key_type_and_send("good")  # typed words that match a button
    expect(chat.you.last).to_contain_text("good")
    chat.expect_bot_says("How much of a difference has our help made?")
    shot(page, "typed an answer")

    # From the text box, Shift+Tab walks back up into the newest buttons.
    chat.key_to(lambda f: f["id"] == "text")
    chat.key_to_choice("Great", key="Shift+Tab")
    chat.key_press_turn("Space", "tap")
    chat.expect_bot_says("How well have we done what we said we would do?")

    chat.key_type_and_send("ok")
    chat.expect_bot_says(REVIEW_PROMPT)
    shot(page, "did I get this right")
    chat.key_to(lambda f: f["id"] == "text")
    chat.key_to_choice(CONFIRM, key="Shift+Tab")
    chat.key_press_turn("Enter", "tap")
    chat.expect_bot_says(HOWS_LIFE_THANKS)
    shot(page, "thank you")

    assert confirmed_answers(live_app, child.id) == 3
    stored = live_app.sql(
        "SELECT question_id, value FROM answer WHERE young_person_id = ? ORDER BY id", child.id
    )
    assert stored == [
        ("kept_informed", "good"),  # typed
        ("made_difference", "great"),  # Shift+Tab, Space
        ("did_what_we_said", "ok"),  # typed
    ]


def test_a_child_switches_to_arabic_and_the_page_turns_right_to_left(
    live_app: LiveApp, page: Page, shot: Shots
) -> None:
    child = live_app.web_child()
    chat = ChatPage(page)
    chat.join(child.join_url)
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "ltr")
    shot(page, "english")

    chat.command("language")
    chat.expect_bot_says("Which language do you want?")
    shot(page, "which language")
    chat.tap("العربية")

    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    chat.expect_bot_says(words("ar", "OK. I will talk to you in English now."))
    # The onboarding question it was on comes back, in Arabic.
    assert ARABIC.search(chat.newest_bot_text()), chat.newest_bot_text()
    assert "Next" not in " ".join(chat.choice_labels())
    assert any(ARABIC.search(label) for label in chat.choice_labels()), chat.choice_labels()
    # The page's own controls are re-labelled from the server's words.
    expect(page.locator("#send")).to_have_text(words("ar", "➡️ Send"))
    expect(page.locator("#menu-button")).to_have_text(words("ar", "☰ Menu"))
    expect(page.locator("#text")).to_have_attribute("placeholder", words("ar", "Type here"))
    shot(page, "arabic right to left")


def test_a_disclosure_gets_the_fixed_help_and_raises_an_alert(
    live_app: LiveApp, page: Page, shot: Shots
) -> None:
    child = live_app.web_child(age_band="13-15")
    chat = ChatPage(page)
    chat.join(child.join_url)
    shot(page, "chat opened")

    chat.say("my step dad hits me")
    expect(chat.you.last).to_contain_text("my step dad hits me")
    chat.expect_bot_says("999")
    chat.expect_bot_says("0800 1111")  # Childline, for the 13-15 age band
    expect(page.locator("#text")).to_have_value("")
    shot(page, "safeguarding reply")

    with live_app.admin() as admin:
        response = admin.get("/alerts", params={"child_id": child.id})
    assert response.status_code == 200, response.text
    assert len(response.json()) == 1, response.json()
