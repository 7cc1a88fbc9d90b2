"""A message sent to a web-chat child ("you said, we did") waits in their chat: it shows when
they come back to the page, and can be answered even in the middle of a conversation."""

from __future__ import annotations

import contextlib
import sqlite3

from playwright.sync_api import Page, expect

from tests.browser.chat_page import ChatPage
from tests.browser.conftest import LiveApp, Shots

BODY = "We now call you back within a day."


def _due_now(live_app: LiveApp) -> None:
    """The reply is due at the child's first allowed moment; the test cannot wait for it."""
    with contextlib.closing(sqlite3.connect(live_app.db_path, timeout=10)) as connection:
        connection.execute("UPDATE outbox_message SET due_at = '2000-01-01 00:00:00.000000'")
        connection.commit()


def test_a_reply_shows_when_they_come_back_and_can_be_answered_mid_conversation(
    live_app: LiveApp, page: Page, shot: Shots
) -> None:
    child = live_app.web_child()
    chat = ChatPage(page)
    chat.join(child.join_url)
    chat.onboard()
    chat.tap("How are we doing?")
    question = chat.choice_labels()
    assert "😀 Great" in question

    reply = {
        "status": "done",
        "texts": [{"locale": "en", "body": BODY}],
        "links": {"outcomes": ["listened"]},
        "child_ids": [child.id],
    }
    with live_app.admin() as admin:
        created = admin.post("/replies", json=reply)
        assert created.status_code == 201, created.text
        reply_id = created.json()["id"]
        _due_now(live_app)
        (waiting,) = admin.get(f"/replies/{reply_id}/recipients").json()
        assert waiting["delivery"] == "unread"

        # The child comes back to the tab.
        with page.expect_response(lambda r: r.url.endswith("/chat/api/waiting")):
            page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        chat.expect_bot_says(BODY)
        shot(page, "reply arrives mid conversation")
        labels = chat.choice_labels()
        assert "👍 Thanks" in labels and "😀 Great" in labels, labels

        chat.tap("👍 Thanks")
        (read,) = admin.get(f"/replies/{reply_id}/recipients").json()
        assert read["delivery"] == "sent" and read["reaction"] == "thanks"
    expect(page.locator("#log .choice", has_text="😀 Great").last).to_be_enabled()
    chat.tap("😀 Great")
    shot(page, "the conversation goes on")
    assert (
        live_app.count(
            "SELECT count(*) FROM answer WHERE young_person_id = ? AND value = 'great'", child.id
        )
        == 1
    )
