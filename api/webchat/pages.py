"""HTML shells for the child's web chat, its notice pages and the staff preview.

Pure functions returning strings: no template library, and every inserted value goes through
`html.escape`. The pages carry no inline script that runs and no inline style, because they are
served under a Content-Security-Policy of `script-src 'self'; style-src 'self'`. The words come
from the server (`ui`), already translated; the scripts re-label the page when the language
changes, so every translated element carries `data-ui="<key>"`.
"""

from __future__ import annotations

import json
from html import escape

from api.webchat import ui

# Menu item -> command name (the contract's nine; "start" is not offered in the menu).
MENU = ("feedback", "talk", "settings", "language", "privacy", "mydata", "delete", "stop", "help")

# The English source words: the staff preview's own controls (staff read English), and a
# safety net so no control is ever unlabelled. Children get `ui`, translated by the server.
FALLBACK = dict(ui.WORDS)

PREVIEW_BANNER = "Preview — nothing you type here is saved or read by anyone."


def _e(value: str) -> str:
    return escape(value, quote=True)


def _dir(direction: str) -> str:
    # Anything unexpected becomes "auto" rather than reaching the attribute as is.
    return direction if direction in ("ltr", "rtl") else "auto"


def _ui_json(ui: dict[str, str]) -> str:
    """JSON for a `<script type="application/json">` block.

    Script content is raw text, so html.escape would corrupt it; instead every "<", ">" and "&"
    becomes a JSON escape, so neither "</script>" nor "<!--" can end or confuse the block.
    """
    text = json.dumps(ui, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _head(*, title: str, stylesheet: str, scripts: tuple[str, ...] = ()) -> str:
    tags = "".join(f'<script src="{_e(src)}" defer></script>\n' for src in scripts)
    return (
        '<meta charset="utf-8">\n'
        # Zoom is never disabled: many children read at 200% or more.
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{_e(title)}</title>\n"
        # An empty icon: saves cheap phones a request for /favicon.ico.
        '<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{_e(stylesheet)}">\n'
        f"{tags}"
    )


def _composer(words: dict[str, str]) -> str:
    """The text box and Send button, shared by the child's page and the preview."""
    return (
        '<form id="say" class="say" novalidate>\n'
        f'<label for="text" class="sr-only" data-ui="type_here">{_e(words["type_here"])}</label>\n'
        f'<textarea id="text" name="text" rows="2" autocomplete="off" '
        f'enterkeyhint="send" placeholder="{_e(words["type_here"])}" '
        'data-ui-placeholder="type_here"></textarea>\n'
        f'<button type="submit" id="send" class="primary" data-ui="send">{_e(words["send"])}</button>\n'
        "</form>\n"
    )


def chat_page(*, locale: str, direction: str, ui: dict[str, str], asset_version: str) -> str:
    """The child's chat: a log of messages, a text box and a menu; chat.js does the talking."""
    words = {**FALLBACK, **ui}
    v = asset_version  # escaped once, by _head
    items = "".join(
        f'<li><button type="button" class="menu-item" data-command="{name}" '
        f'data-ui="menu_{name}">{_e(words["menu_" + name])}</button></li>\n'
        for name in MENU
    )
    # Not a command: it ends this browser's chat (a shared or borrowed phone).
    items += (
        '<li><button type="button" class="menu-item" data-signout="1" '
        f'data-ui="menu_signout">{_e(words["menu_signout"])}</button></li>\n'
    )
    return (
        "<!doctype html>\n"
        f'<html lang="{_e(locale)}" dir="{_dir(direction)}">\n<head>\n'
        + _head(
            title=words["title"],
            stylesheet=f"/static/chat.css?v={v}",
            scripts=(f"/static/chat.js?v={v}",),
        )
        + f'<script type="application/json" id="ui">{_ui_json(words)}</script>\n'
        '</head>\n<body class="chat-page" data-page="chat">\n'
        '<header class="top">\n<div class="heading">\n'
        f'<h1 id="title" data-ui="title">{_e(words["title"])}</h1>\n'
        f'<p class="intro" data-ui="intro">{_e(words["intro"])}</p>\n</div>\n'
        '<button type="button" id="menu-button" class="menu-button" aria-expanded="false" '
        f'aria-controls="menu" data-ui="menu">{_e(words["menu"])}</button>\n'
        # A disclosure rather than <dialog>: it works on old phone browsers, stays in the page's
        # flow at any zoom, and needs no focus trap.
        '<div id="menu" class="menu" hidden>\n'
        f'<ul class="menu-list" aria-labelledby="menu-button">\n{items}</ul>\n'
        f'<button type="button" id="menu-close" class="menu-close" data-ui="close">'
        f"{_e(words['close'])}</button>\n"
        "</div>\n</header>\n"
        '<main class="chat">\n'
        '<div id="log" class="log" role="log" aria-live="polite" aria-labelledby="title"></div>\n'
        f'<noscript><p class="notice-box">{_e(words["noscript"])}</p></noscript>\n'
        # Inside <main> so every part of the page sits in a landmark.
        '<div class="dock">\n'
        '<div id="status" class="status" role="status"></div>\n'
        + _composer(words)
        + "</div>\n</main>\n</body>\n</html>\n"
    )


def notice_page(
    *,
    locale: str,
    direction: str,
    title: str,
    text: str,
    asset_version: str,
    action: tuple[str, str] | None = None,
    noscript: str | None = None,
) -> str:
    """A short, kind page: a link that cannot be used, no chat yet, or the join page's Start.

    `action` is (button label, URL to POST to): the join page. Its form posts the link's token,
    which join.js copies from the address's #fragment: a fragment never reaches a server, so
    the token is in no access log (ours or a proxy's), and a link preview that fetches the page
    uses nothing up. `noscript`: what to say when scripts are off.
    """
    form = ""
    if action is not None:
        label, url = action
        form = (
            f'<form method="post" action="{_e(url)}" class="notice-form">\n'
            '<input type="hidden" name="token" id="token" value="">\n'
            f'<button type="submit" id="start" class="primary big">{_e(label)}</button>\n'
            "</form>\n"
        )
        if noscript:
            form += f'<noscript><p class="notice-box">{_e(noscript)}</p></noscript>\n'
    scripts = (f"/static/join.js?v={asset_version}",) if action is not None else ()
    return (
        "<!doctype html>\n"
        f'<html lang="{_e(locale)}" dir="{_dir(direction)}">\n<head>\n'
        + _head(title=title, stylesheet=f"/static/chat.css?v={asset_version}", scripts=scripts)
        + '</head>\n<body class="notice-page">\n<main class="notice">\n'
        f"<h1>{_e(title)}</h1>\n"
        f'<p class="notice-text">{_e(text)}</p>\n'
        f"{form}</main>\n</body>\n</html>\n"
    )


def _select(name: str, label: str) -> str:
    return (
        '<div class="field">\n'
        f'<label for="preview-{name}">{_e(label)}</label>\n'
        f'<select id="preview-{name}" name="{name}"></select>\n'
        "</div>\n"
    )


def preview_page(*, asset_version: str) -> str:
    """The staff preview (English). The chat area takes the previewed language's lang/dir."""
    v = asset_version  # escaped once, by _head
    words = {**FALLBACK, "intro": ""}
    return (
        '<!doctype html>\n<html lang="en" dir="ltr">\n<head>\n'
        + _head(
            title="Preview — sayso",
            stylesheet=f"/static/chat.css?v={v}",
            scripts=(f"/static/chat.js?v={v}", f"/static/preview.js?v={v}"),
        )
        + '</head>\n<body class="preview-page" data-page="preview">\n'
        '<header class="top">\n'
        f'<p class="banner" role="note">{_e(PREVIEW_BANNER)}</p>\n'
        '<div class="heading">\n'
        "<h1>Content preview</h1>\n"
        '<p class="intro">Try any conversation, in any language, as a child would see it.</p>\n'
        "</div>\n"
        '<button type="button" id="preview-signout" hidden>Sign out</button>\n'
        "</header>\n"
        '<main class="preview">\n'
        '<noscript><p class="notice-box">The preview needs JavaScript.</p></noscript>\n'
        '<form id="signin" class="panel" hidden>\n'
        "<h2>Sign in</h2>\n"
        "<p>Use your staff email and password, or open the preview link that "
        "<code>sayso serve</code> printed.</p>\n"
        '<div class="field">\n<label for="signin-email">Email</label>\n'
        '<input id="signin-email" name="email" type="email" autocomplete="username" required>\n'
        "</div>\n"
        '<div class="field">\n<label for="signin-password">Password</label>\n'
        '<input id="signin-password" name="password" type="password" '
        'autocomplete="current-password" required>\n</div>\n'
        '<p id="signin-error" class="error-text" role="alert"></p>\n'
        '<button type="submit" id="signin-submit" class="primary">Sign in</button>\n'
        "</form>\n"
        # Always in the page, so screen readers announce errors when they are filled in.
        '<div id="preview-errors" class="errors" role="alert"></div>\n'
        '<form id="setup" class="panel" hidden>\n'
        "<h2>Choose what to try</h2>\n"
        + _select("conversation", "Conversation")
        + _select("language", "Language")
        + _select("reading", "Reading mode")
        + '<div class="actions">\n'
        '<button type="submit" id="preview-start" class="primary">Start</button>\n'
        '<button type="button" id="preview-recheck">Check the content again</button>\n'
        "</div>\n</form>\n"
        '<section id="preview-chat" class="preview-chat" aria-labelledby="chat-title" hidden>\n'
        '<h2 id="chat-title">What the child sees</h2>\n'
        # lang/dir of this area follow the previewed language; the rest of the page stays English.
        '<div id="chat-area" class="chat-area" lang="en" dir="ltr">\n'
        '<div id="log" class="log" role="log" aria-live="polite" aria-labelledby="chat-title">'
        "</div>\n"
        '<div class="dock">\n<div id="status" class="status" role="status"></div>\n'
        + _composer(words)
        + "</div>\n</div>\n</section>\n"
        '<section id="preview-notes" class="notes" aria-labelledby="notes-title">\n'
        '<h2 id="notes-title">Staff notes</h2>\n'
        '<p class="notes-empty">Notes about what would happen in the real chat show here.</p>\n'
        '<ul id="notes-list" aria-live="polite"></ul>\n'
        "</section>\n</main>\n</body>\n</html>\n"
    )
