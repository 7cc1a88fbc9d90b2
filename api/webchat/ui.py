"""The web chat's own words (its buttons and labels), translated like everything a child sees."""

from __future__ import annotations

from core.i18n import Translator, is_rtl
from core.render import N_

# The page asks for these by key (api/webchat/static/chat.js). Emoji always come with words.
WORDS = {
    "title": N_("Have your say"),
    "intro": N_("Tell us what you think. Tap a button or type."),
    "type_here": N_("Type here"),
    "send": N_("➡️ Send"),
    "menu": N_("☰ Menu"),
    "close": N_("✖️ Close"),
    "menu_feedback": N_("💬 Give feedback"),
    "menu_talk": N_("📞 Talk to someone"),
    "menu_settings": N_("⚙️ My settings"),
    "menu_language": N_("🌍 Language"),
    "menu_privacy": N_("🔒 Who reads this"),
    "menu_mydata": N_("📄 What you keep about me"),
    "menu_delete": N_("🗑️ Delete what I said"),
    "menu_stop": N_("⏸️ Stop messages"),
    "menu_help": N_("❓ Help"),
    "menu_signout": N_("🚪 Sign out on this phone"),
    "you_said": N_("You said:"),
    "bot_said": N_("We said:"),
    "sending": N_("Sending…"),
    "offline": N_(
        "Sorry, that did not send. Check your internet and try again. Your words are still here."
    ),
    "new_messages": N_("New messages"),
    "noscript": N_("This chat needs JavaScript. Please switch it on, or ask your worker for help."),
}

# Pages outside the chat: a link that cannot be used, a browser that is not signed in.
JOIN_TITLE = N_("Welcome")
JOIN_TEXT = N_("This is your private chat with your social care team. Tap Start to begin.")
JOIN_BUTTON = N_("▶️ Start")
LINK_USED = N_(
    "This link does not work any more. It may have been used already. "
    "Ask your worker for a new link."
)
NO_CHAT = N_("To use this chat, open the link your worker gave you.")
GONE = N_("This chat has ended. Ask your worker for a new link if you want to talk again.")
SIGNED_OUT = N_("You are signed out on this phone. To come back, ask your worker for a new link.")
TRY_AGAIN = N_("Sorry, something went wrong. Please try again.")
TOO_LONG = N_("That message is very long. Please send it in smaller parts.")


def words(tr: Translator) -> dict[str, str]:
    return {key: tr.gettext(text) for key, text in WORDS.items()}


def direction(locale: str) -> str:
    return "rtl" if is_rtl(locale) else "ltr"
