"""Turns engine steps into words and buttons for any channel, in the child's language."""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from core.content import SCALE, Conversation, Option, Question, Words
from core.engine import Ask, Finished, Given, Noted, PickEdit, Review, Say, Stale, Step
from core.i18n import Translator

SUMMARY_TEXT_LIMIT = 300


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, inside the child's locale."""
    return message


SCALE_LABELS = {
    "great": N_("😀 Great"),
    "good": N_("🙂 Good"),
    "ok": N_("😐 OK"),
    "bad": N_("🙁 Bad"),
    "awful": N_("😢 Awful"),
}
YESNO_LABELS = {"yes": N_("👍 Yes"), "not_sure": N_("🤔 Not sure"), "no": N_("👎 No")}
assert list(SCALE_LABELS) == [value for value, _ in SCALE]


@dataclass(frozen=True)
class Action:
    """A button's meaning, independent of how a channel encodes it."""

    kind: str
    question_id: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Button:
    label: str
    action: Action
    chosen: bool = False


@dataclass(frozen=True)
class Message:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    # The conversation run the buttons belong to, so an old keyboard can be recognised.
    run: int | None = None


@dataclass(frozen=True)
class View:
    """Everything rendering needs to know about the child and the moment."""

    tr: Translator
    easy: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    # The child's own words in this run, by question id, for the summary.
    texts: dict[str, str] = field(default_factory=dict)

    def words(self, text: str, easy: str | None = None) -> str:
        source = easy if self.easy and easy else text
        return fill(self.tr.gettext(source), self.extra)


def fill(template: str, values: dict[str, Any]) -> str:
    """str.format that never crashes a conversation over a bad placeholder."""
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def render(steps: list[Step], view: View) -> list[Message]:
    messages: list[Message] = []
    for step in steps:
        messages.extend(_render_step(step, view))
    return messages


def _render_step(step: Step, view: View) -> list[Message]:
    tr = view.tr
    match step:
        case Say(words=words):
            return [Message(say(words, view))]
        case Ask():
            return [ask(step, view)]
        case Noted(question=question, expects_tap=True):
            text = tr.gettext("Thank you. I saved your words. Please tap an answer too, or skip.")
            return [
                Message(text, _answer_buttons(question, None, view) + _controls(question, view))
            ]
        case Noted(question=question):
            text = tr.gettext("Thank you. I saved that. You can type more, or tap Next.")
            buttons = [[Button(tr.gettext("▶️ Next"), Action("next", question.id))]]
            return [Message(text, buttons + _controls(question, view))]
        case Review(items=items):
            return review(items, view)
        case PickEdit(items=items):
            return [pick_edit(items, view)]
        case Stale():
            return [
                Message(tr.gettext("That button is from an earlier message. Here is where we are."))
            ]
        case Finished():
            return [finished(step, view)]
    raise TypeError(f"cannot render {step!r}")


def say(words: Words, view: View) -> str:
    return view.words(words.text, words.easy)


def ask(step: Ask, view: View) -> Message:
    question, tr = step.question, view.tr
    text = view.words(question.text, question.easy)
    if step.number is not None and step.total > 1:
        progress = fill(
            tr.gettext("Question {number} of {total}"), {"number": step.number, "total": step.total}
        )
        text = f"{progress}\n\n{text}"
    if question.type == "info":
        return Message(
            text,
            [
                [Button(tr.gettext("▶️ Next"), Action("next", question.id))],
                _stop_row(question, view),
            ],
        )
    return Message(text, _answer_buttons(question, step.given, view) + _controls(question, view))


def option_labels(question: Question, view: View) -> list[tuple[str, str]]:
    """(value, label) for every tap answer to a question, in the child's language."""
    tr = view.tr
    if question.type == "scale":
        return [(value, tr.gettext(label)) for value, label in SCALE_LABELS.items()]
    if question.type == "yesno":
        return [(value, tr.gettext(label)) for value, label in YESNO_LABELS.items()]
    return [(option.id, _option_text(option, view)) for option in question.options]


def _option_text(option: Option, view: View) -> str:
    return view.words(option.text, option.easy)


def _answer_buttons(question: Question, given: Given | None, view: View) -> list[list[Button]]:
    chosen = given.value if given and given.status == "answered" else None
    return [
        [
            Button(
                ("✅ " if value == chosen else "") + label,
                Action("choose", question.id, value),
                value == chosen,
            )
        ]
        for value, label in option_labels(question, view)
    ]


def _controls(question: Question, view: View) -> list[list[Button]]:
    tr = view.tr
    return [
        [
            Button(tr.gettext("⏭️ Skip"), Action("skip", question.id)),
            Button(tr.gettext("🤐 I'd rather not say"), Action("rather_not", question.id)),
        ],
        _stop_row(question, view),
    ]


def _stop_row(question: Question, view: View) -> list[Button]:
    tr = view.tr
    return [
        Button(tr.gettext("◀️ Back"), Action("back", question.id)),
        Button(tr.gettext("⏹️ Stop"), Action("stop", question.id)),
    ]


def answer_text(question: Question, given: Given, view: View, text: str | None) -> str:
    """How an answer reads back to the child in the summary."""
    tr = view.tr
    if given.status == "skipped":
        return tr.gettext("⏭️ Skipped")
    if given.status == "rather_not_say":
        return tr.gettext("🤐 You'd rather not say")
    parts = []
    labels = dict(option_labels(question, view))
    if given.value in labels:
        parts.append(labels[given.value])
    if text:
        short = (
            text if len(text) <= SUMMARY_TEXT_LIMIT else text[:SUMMARY_TEXT_LIMIT].rstrip() + "…"
        )
        parts.append(f"“{short}”")
    elif given.has_text:
        parts.append(tr.gettext("🎤 Voice note"))
    return " ".join(parts) or tr.gettext("⏭️ Skipped")


def label(question: Question, view: View) -> str:
    return view.words(question.label or question.text)


def review(items: list[tuple[Question, Given]], view: View) -> list[Message]:
    tr, texts = view.tr, view.texts
    count = sum(1 for _, given in items if given.status == "answered")
    head = fill(
        tr.ngettext(
            "You answered {count} question. Here is what you told me:",
            "You answered {count} questions. Here is what you told me:",
            count,
        ),
        {"count": count},
    )
    lines = [head, ""] + [
        f"• {label(q, view)}: {answer_text(q, given, view, texts.get(q.id))}" for q, given in items
    ]
    buttons = [
        [Button(tr.gettext("✅ Yes, that's right"), Action("confirm"))],
        [Button(tr.gettext("✏️ Change something"), Action("change"))],
        [Button(tr.gettext("⏹️ Stop"), Action("stop"))],
    ]
    return [Message("\n".join(lines)), Message(tr.gettext("Did I get this right?"), buttons)]


def pick_edit(items: list[tuple[Question, Given]], view: View) -> Message:
    tr = view.tr
    buttons = [[Button("✏️ " + label(q, view), Action("edit", q.id))] for q, _ in items]
    buttons.append([Button(tr.gettext("◀️ Back"), Action("back"))])
    return Message(tr.gettext("Which answer do you want to change?"), buttons)


def finished(step: Finished, view: View) -> Message:
    if step.stopped:
        return Message(view.tr.gettext("OK, we stopped there. I saved what you told me."))
    return Message(say(step.conversation.outro, view))


def title(conversation: Conversation, view: View) -> str:
    text = view.words(conversation.title, conversation.title_easy)
    return f"{conversation.icon} {text}".strip()


# -- reading typed words as taps ---------------------------------------------------------------

_PUNCTUATION = str.maketrans("", "", string.punctuation + "“”‘’!?¿¡.,،؟")


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().translate(_PUNCTUATION)
    return re.sub(r"\s+", " ", text.replace("\ufe0f", "")).strip()


def _parts(label_text: str) -> set[str]:
    """A label and its pieces: '😀 Great' can be typed as '😀', 'great' or '😀 great'."""
    whole = _norm(label_text)
    pieces = {whole}
    if " " in whole:
        head, tail = whole.split(" ", 1)
        if not any(ch.isalnum() for ch in head):
            pieces.update({head, tail})
    return {p for p in pieces if p}


def match_option(question: Question, typed: str, view: View) -> str | None:
    """The answer a child meant by typing instead of tapping, if it is unmistakable."""
    wanted = _norm(typed)
    if not wanted:
        return None
    hits = [value for value, text in option_labels(question, view) if wanted in _parts(text)]
    return hits[0] if len(hits) == 1 else None
