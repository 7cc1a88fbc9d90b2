"""A child's web chat, driven the way a child would: taps, keys and typed words.

Only the DOM hooks the contract names: `#log`, `.msg.bot`, `.msg.you`, `.choice`, `#text`,
`#send`, `#menu-button`, `#menu`, `#status` (and the join page's one Start button).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Locator, Page, Response, expect

BOT = "#log .msg.bot"
YOU = "#log .msg.you"
# Only the newest message's buttons stay active; older ones are disabled.
ACTIVE = '#log .choice:not([disabled]):not([aria-disabled="true"])'
MENU_PROMPT = "What would you like to tell us about?"
NEXT, SKIP = "▶️ Next", "⏭️ Skip"
CONFIRM = "✅ Yes, that's right"
REVIEW_PROMPT = "Did I get this right?"
ARABIC = re.compile(r"[\u0600-\u06FF]")


def is_chat_api(path: str) -> Callable[[Response], bool]:
    return lambda response: response.request.method == "POST" and response.url.endswith(path)


class ChatPage:
    def __init__(self, page: Page, *, api: str = "/chat/api/") -> None:
        self.page, self.api = page, api

    # -- reading ---------------------------------------------------------------------------

    @property
    def bot(self) -> Locator:
        return self.page.locator(BOT)

    @property
    def you(self) -> Locator:
        return self.page.locator(YOU)

    @property
    def choices(self) -> Locator:
        return self.page.locator(ACTIVE)

    def choice_labels(self) -> list[str]:
        return [label.strip() for label in self.choices.all_inner_texts()]

    def newest_bot_text(self) -> str:
        return self.bot.last.inner_text()

    def bot_texts(self) -> list[str]:
        return self.bot.all_inner_texts()

    def expect_bot_says(self, words: str) -> Locator:
        """A bot bubble with these words is on screen (the newest such one)."""
        bubble = self.bot.filter(has_text=words).last
        expect(bubble).to_be_visible()
        return bubble

    # -- joining ---------------------------------------------------------------------------

    def join(self, join_url: str) -> None:
        """Open the worker's link and press Start (a form POST) to land on /chat."""
        self.page.goto(join_url)
        expect(self.page.locator("#start")).to_be_visible()
        self.press_start()

    def press_start(self) -> None:
        self.page.locator("#start").click()
        self.page.wait_for_url(re.compile(r"/chat$"))
        expect(self.bot.first).to_be_visible()  # /chat/api/open answered and was shown

    # -- acting ----------------------------------------------------------------------------

    def _turn(self, do: Callable[[], None], endpoint: str) -> None:
        """Do something that posts a turn, and wait until its messages are on screen."""
        before = self.bot.count()
        with self.page.expect_response(is_chat_api(self.api + endpoint)) as answered:
            do()
        response = answered.value
        assert response.ok, f"POST {response.url}: {response.status} {response.text()}"
        self.page.wait_for_function(
            "([selector, n]) => document.querySelectorAll(selector).length > n", arg=[BOT, before]
        )

    def _choice(self, label: str) -> Locator:
        matching = self.choices.filter(has_text=label)
        assert matching.count() > 0, (
            f"no active button {label!r}; active buttons: {self.choice_labels()}; "
            f"newest message: {self.newest_bot_text()!r}"
        )
        return matching.first

    def tap(self, label: str) -> None:
        """Tap the active button whose label contains `label`."""
        button = self._choice(label)
        self._turn(lambda: button.tap(), "tap")

    def tap_first(self) -> str:
        """Tap the first active button (the first answer to a question); returns its label."""
        label = self.choice_labels()[0]
        first = self.choices.first
        self._turn(lambda: first.tap(), "tap")
        return label

    def say(self, words: str) -> None:
        """Type words into the box and tap Send."""
        self.page.locator("#text").fill(words)
        self._turn(lambda: self.page.locator("#send").tap(), "say")

    def command(self, name: str) -> None:
        """Open the menu and tap one of its items (its `data-command`)."""
        self.page.locator("#menu-button").tap()
        expect(self.page.locator("#menu")).to_be_visible()
        item = self.page.locator(f'#menu [data-command="{name}"]')
        self._turn(lambda: item.tap(), "command")

    def onboard(self) -> None:
        """Next or Skip through onboarding until the menu of conversations shows."""
        for _ in range(40):
            if MENU_PROMPT in self.newest_bot_text():
                return
            labels = self.choice_labels()
            if any(NEXT in label for label in labels):
                self.tap(NEXT)
            elif any(SKIP in label for label in labels):
                self.tap(SKIP)
            else:
                raise AssertionError(f"onboarding is stuck: no Next or Skip among {labels}")
        raise AssertionError("onboarding did not reach the menu in 40 taps")

    def answer_with_first_choice(self, limit: int = 40) -> list[str]:
        """Tap each question's first answer until "Did I get this right?"; the labels tapped."""
        tapped: list[str] = []
        for _ in range(limit):
            if REVIEW_PROMPT in self.newest_bot_text():
                return tapped
            tapped.append(self.tap_first())
        raise AssertionError(f"no review after {limit} answers: {tapped}")

    # -- keyboard only ---------------------------------------------------------------------

    def focused(self) -> dict[str, str | bool]:
        return self.page.evaluate(
            """() => {
                const el = document.activeElement;
                return {
                    id: el ? el.id : "",
                    text: el ? (el.innerText || el.value || "").trim() : "",
                    command: el ? (el.dataset.command || "") : "",
                    choice: !!el && el.matches('#log .choice:not([disabled])'),
                };
            }"""
        )

    def key_to(self, want: Callable[[dict[str, str | bool]], bool], key: str = "Tab") -> None:
        """Press Tab (or Shift+Tab) until the focused element is the one wanted."""
        seen: list[str] = []
        for _ in range(80):
            now = self.focused()
            if want(now):
                return
            seen.append(str(now["id"] or now["text"])[:30])
            self.page.keyboard.press(key)
        raise AssertionError(f"{key} never reached the element; focus went through {seen}")

    def key_to_choice(self, label: str, key: str = "Tab") -> None:
        self.key_to(lambda f: bool(f["choice"]) and label in str(f["text"]), key)

    def key_press_turn(self, key: str, endpoint: str) -> None:
        """Press a key (Enter, Space) on what has focus; it posts a turn."""
        self._turn(lambda: self.page.keyboard.press(key), endpoint)

    def key_type_and_send(self, words: str) -> None:
        """Tab to the text box, type the words, Tab to Send and press Enter."""
        self.key_to(lambda f: f["id"] == "text")
        self.page.keyboard.type(words)
        self.key_to(lambda f: f["id"] == "send")
        self.key_press_turn("Enter", "say")
