"""`sayso check`: is everything in place to run? Content, the safeguarding lexicon, the
exemplars and the screening model, each said plainly. Exit 0 when all is well, 1 when the
service would run but screen with its lexicon alone, 2 when it would not start."""

from __future__ import annotations

from api.runtime import screener_for
from core.config import Settings
from core.content import load_library
from core.screening import load_lexicon


def check(settings: Settings) -> int:
    library = load_library(settings.content_dir)  # ContentError: the caller prints it
    print(f"content is valid: {len(library.conversations)} conversations")
    lexicon = load_lexicon(settings.safeguarding_dir)
    print(f"safeguarding lexicon is valid: {len(lexicon.categories)} categories")
    screener = screener_for(settings)
    print(f"safeguarding exemplars are valid: {screener.exemplar_count} messages")
    print("loading the screening model (the first time also works out the exemplars' vectors)")
    if screener.wait():
        seconds = screener.model.state.load_seconds
        print(f"screening model is ready (loaded in {seconds} s): both layers screen messages")
        return 0
    state = screener.state
    print(
        f"SCREENING MODEL NOT AVAILABLE ({state.status}): {state.reason}.\n"
        "sayso would still run and screen every message with its lexicon, and would ask "
        "children gently about any message of a few words, but it would catch less. "
        "Fix this before children use it (see README: Safeguarding screening)."
    )
    return 1
