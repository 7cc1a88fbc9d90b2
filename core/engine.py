"""Runs a conversation: (state, event) -> (new state, steps to show, answers to store).

Pure and channel-agnostic: no database, no Telegram, no translation. The state is plain data
so it can be stored with the run and resumed after a restart or days later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

from pydantic import BaseModel

from core.content import Conversation, Question, Words

Status = Literal["answered", "skipped", "rather_not_say"]


class Given(BaseModel):
    """What the engine remembers about an answer; free text itself is never kept in state."""

    status: Status
    value: str | None = None
    has_text: bool = False


class RunState(BaseModel):
    phase: Literal["asking", "review", "pick_edit", "done"] = "asking"
    current: str | None = None
    history: list[str] = []
    given: dict[str, Given] = {}
    editing: bool = False
    group: str | None = None
    context: dict[str, int] = {}


EventKind = Literal[
    "choose",
    "text",
    "voice",
    "skip",
    "rather_not",
    "next",
    "back",
    "stop",
    "confirm",
    "change",
    "edit",
]


# Events a button can carry; "text" and "voice" come from what the child sends.
TAP_EVENTS = frozenset(get_args(EventKind)) - {"text", "voice"}


@dataclass(frozen=True)
class Event:
    kind: EventKind
    question_id: str | None = None
    value: str | None = None
    text: str | None = None


# -- steps: what the channel should show, in order ------------------------------------------


@dataclass(frozen=True)
class Say:
    words: Words


@dataclass(frozen=True)
class Ask:
    question: Question
    given: Given | None
    number: int | None
    total: int


@dataclass(frozen=True)
class Noted:
    """Typed words were kept; the question stays open for more or for a tap."""

    question: Question
    expects_tap: bool


@dataclass(frozen=True)
class Review:
    items: list[tuple[Question, Given]]


@dataclass(frozen=True)
class PickEdit:
    items: list[tuple[Question, Given]]


@dataclass(frozen=True)
class Stale:
    """A tap on an old keyboard or for a question that is not open any more."""


@dataclass(frozen=True)
class Finished:
    conversation: Conversation
    stopped: bool
    confirmed: bool


Step = Say | Ask | Noted | Review | PickEdit | Stale | Finished


@dataclass(frozen=True)
class Record:
    """An answer to store. Typed words are added to what the child already wrote, never lost."""

    question: Question
    given: Given
    text: str | None = None
    voice_file_id: str | None = None


@dataclass
class Outcome:
    state: RunState
    steps: list[Step] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)


# -- the engine ------------------------------------------------------------------------------


def start(conversation: Conversation, *, group: str | None = None) -> Outcome:
    state = RunState(group=group)
    steps: list[Step] = []
    if conversation.intro and group is None:
        steps.append(Say(conversation.intro))
    first = _next_question(conversation, state, after=None)
    if first is None:
        state.phase = "done"
        return Outcome(state, [*steps, Finished(conversation, stopped=False, confirmed=False)])
    state.current = first.id
    steps.append(_ask(conversation, state, first))
    return Outcome(state, steps)


def current_steps(conversation: Conversation, state: RunState) -> list[Step]:
    """What to show a child who comes back: the open question or the review, as it was."""
    if state.phase == "asking" and state.current:
        question = conversation.question(state.current)
        if question is not None:
            return [_ask(conversation, state, question)]
    if state.phase == "review":
        return [Review(_items(conversation, state))]
    if state.phase == "pick_edit":
        return [PickEdit(_items(conversation, state))]
    return []


def apply(conversation: Conversation, state: RunState, event: Event) -> Outcome:
    # A copy, so the caller's state is never changed: through plain data it takes about a third
    # of the time `model_copy(deep=True)` does (copy.deepcopy, in Python).
    state = RunState.model_validate(state.model_dump())
    if state.phase == "done":
        return Outcome(state, [Stale()])
    if event.kind == "stop":
        state.phase = "done"
        return Outcome(state, [Finished(conversation, stopped=True, confirmed=False)])
    if state.phase in ("review", "pick_edit"):
        return _in_review(conversation, state, event)
    question = conversation.question(state.current or "")
    if question is None or (event.question_id is not None and event.question_id != question.id):
        return Outcome(state, [Stale(), *current_steps(conversation, state)])
    return _answering(conversation, state, question, event)


def _answering(
    conversation: Conversation, state: RunState, question: Question, event: Event
) -> Outcome:
    if event.kind == "back":
        return _back(conversation, state)
    if event.kind in ("skip", "rather_not"):
        status: Status = "skipped" if event.kind == "skip" else "rather_not_say"
        if question.type == "info":
            return _advance(conversation, state, question)
        return _answer(conversation, state, question, Given(status=status))
    if event.kind == "next" and (question.type == "info" or _has_words(state, question)):
        return _advance(conversation, state, question)
    if event.kind == "choose" and event.value in question.value_ids():
        given = Given(status="answered", value=event.value, has_text=_has_words(state, question))
        return _answer(conversation, state, question, given)
    if (event.kind == "text" and event.text) or event.kind == "voice":
        return _words(conversation, state, question, event)
    return Outcome(state, [Stale(), _ask(conversation, state, question)])


def _words(
    conversation: Conversation, state: RunState, question: Question, event: Event
) -> Outcome:
    """Typed words or a voice note. Kept whole; on a tap question they are kept as a comment."""
    previous = state.given.get(question.id)
    given = Given(
        status="answered",
        value=previous.value if previous and previous.status == "answered" else None,
        has_text=True,
    )
    state.given[question.id] = given
    record = Record(
        question,
        given,
        text=event.text,  # typed words, or the caption of a voice note
        voice_file_id=event.value if event.kind == "voice" else None,
    )
    if question.sets and question.takes_text:
        # A setting such as a trusted adult's name is one short answer: move on.
        outcome = _advance(conversation, state, question)
        outcome.records.insert(0, record)
        return outcome
    expects_tap = not question.takes_text
    return Outcome(state, [Noted(question, expects_tap=expects_tap)], [record])


def _answer(
    conversation: Conversation, state: RunState, question: Question, given: Given
) -> Outcome:
    state.given[question.id] = given
    outcome = _advance(conversation, state, question)
    outcome.records.insert(0, Record(question, given))
    return outcome


def _advance(conversation: Conversation, state: RunState, question: Question) -> Outcome:
    if state.editing:
        state.editing = False
        return _to_review(conversation, state)
    following = _next_question(conversation, state, after=question)
    state.history.append(question.id)
    if following is None:
        return _to_review(conversation, state)
    state.current = following.id
    return Outcome(state, [_ask(conversation, state, following)])


def _to_review(conversation: Conversation, state: RunState) -> Outcome:
    state.current = None
    items = _items(conversation, state)
    if conversation.check_back and items:
        state.phase = "review"
        return Outcome(state, [Review(items)])
    state.phase = "done"
    return Outcome(state, [Finished(conversation, stopped=False, confirmed=False)])


def _back(conversation: Conversation, state: RunState) -> Outcome:
    if state.editing:
        state.editing = False
        return _to_review(conversation, state)
    if state.history:
        state.current = state.history.pop()
    question = conversation.question(state.current or "")
    assert question is not None
    return Outcome(state, [_ask(conversation, state, question)])


def _in_review(conversation: Conversation, state: RunState, event: Event) -> Outcome:
    items = _items(conversation, state)
    if event.kind == "confirm":
        state.phase = "done"
        return Outcome(state, [Finished(conversation, stopped=False, confirmed=True)])
    if event.kind == "change":
        state.phase = "pick_edit"
        return Outcome(state, [PickEdit(items)])
    if event.kind == "back" and state.phase == "pick_edit":
        state.phase = "review"
        return Outcome(state, [Review(items)])
    if event.kind == "back" and state.history:
        state.phase = "asking"
        state.current = state.history.pop()
        return Outcome(state, current_steps(conversation, state))
    target = conversation.question(event.question_id or "")
    if event.kind == "edit" and target is not None and target.id in state.given:
        state.phase, state.current, state.editing = "asking", target.id, True
        return Outcome(state, [_ask(conversation, state, target)])
    return Outcome(state, [Stale(), *current_steps(conversation, state)])


# -- helpers ---------------------------------------------------------------------------------


def _has_words(state: RunState, question: Question) -> bool:
    given = state.given.get(question.id)
    return bool(given and given.has_text)


def _applies(question: Question, state: RunState) -> bool:
    if state.group is not None and question.group != state.group:
        return False
    for source, values in question.when.items():
        given = state.given.get(source)
        if given is None or given.value not in values:
            return False
    return True


def _next_question(
    conversation: Conversation, state: RunState, *, after: Question | None
) -> Question | None:
    questions = conversation.questions
    # By id: comparing the questions themselves compares every field of two pydantic models.
    start_at = 0 if after is None else _position(questions, after) + 1
    return next((q for q in questions[start_at:] if _applies(q, state)), None)


def _position(questions: list[Question], question: Question) -> int:
    """Where a question is in a list, by id (unique in a conversation); -1 if it is not."""
    return next((i for i, q in enumerate(questions) if q.id == question.id), -1)


def _numbered(conversation: Conversation, state: RunState) -> list[Question]:
    """Main questions get numbers; info messages and follow-ups do not."""
    return [
        q
        for q in conversation.questions
        if q.type != "info" and not q.when and (state.group is None or q.group == state.group)
    ]


def _ask(conversation: Conversation, state: RunState, question: Question) -> Ask:
    numbered = _numbered(conversation, state)
    at = _position(numbered, question)
    number = at + 1 if at >= 0 else None
    return Ask(question, state.given.get(question.id), number, len(numbered))


def _items(conversation: Conversation, state: RunState) -> list[tuple[Question, Given]]:
    return [
        (q, state.given[q.id])
        for q in conversation.questions
        if q.id in state.given and q.type != "info" and _applies(q, state)
    ]
