"""Conversations as data: `content/*.yaml` validated into typed models, errors with line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from core.preferences import SETTINGS

Area = Literal["practice", "change", "quality_of_life"]
QuestionType = Literal["info", "scale", "yesno", "choice", "text", "voice"]
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=24)]

# Fixed answer sets. Scores make answers comparable over time: 5 is the best.
SCALE: tuple[tuple[str, int], ...] = (
    ("great", 5),
    ("good", 4),
    ("ok", 3),
    ("bad", 2),
    ("awful", 1),
)
YESNO: tuple[str, ...] = ("yes", "not_sure", "no")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(Strict):
    id: Ident
    text: str
    easy: str | None = None
    note: str | None = None
    action: Literal["request_callback"] | None = None


class Question(Strict):
    id: Ident
    type: QuestionType
    text: str
    easy: str | None = None
    label: str | None = None
    note: str | None = None
    area: Area | None = None
    statement: str | None = None
    options: list[Option] = Field(default_factory=list)
    options_from: Literal["languages"] | None = None
    sets: str | None = None
    group: Ident | None = None
    when: dict[Ident, list[str]] = Field(default_factory=dict)
    safety: bool = False

    @property
    def takes_text(self) -> bool:
        return self.type in ("text", "voice")

    def value_ids(self) -> list[str]:
        if self.type == "scale":
            return [value for value, _ in SCALE]
        if self.type == "yesno":
            return list(YESNO)
        return [option.id for option in self.options]

    def option(self, value: str) -> Option | None:
        return next((option for option in self.options if option.id == value), None)


class Words(Strict):
    text: str
    easy: str | None = None
    note: str | None = None


class Conversation(Strict):
    id: Ident
    version: int = Field(ge=1)
    kind: Literal["onboarding", "feedback"] = "feedback"
    title: str
    title_easy: str | None = None
    icon: str = ""
    menu: bool = True
    check_back: bool = True
    area: Area | None = None
    intro: Words | None = None
    outro: Words
    questions: list[Question] = Field(min_length=1)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def area_of(self, question: Question) -> Area | None:
        return question.area or self.area

    def groups(self) -> list[str]:
        return list(dict.fromkeys(q.group for q in self.questions if q.group))


class ContentError(Exception):
    """Invalid content: every problem with its file and line, ready to show to a person."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Library:
    """Every conversation, by id, in menu order."""

    conversations: dict[str, Conversation]

    def __getitem__(self, conversation_id: str) -> Conversation:
        return self.conversations[conversation_id]

    def get(self, conversation_id: str) -> Conversation | None:
        return self.conversations.get(conversation_id)

    def menu(self) -> list[Conversation]:
        return [c for c in self.conversations.values() if c.menu and c.kind == "feedback"]

    def with_languages(self, languages: list[tuple[str, str]]) -> Library:
        """Fill `options_from: languages` with the shipped languages, named in themselves."""
        options = [Option(id=code, text=name) for code, name in languages]

        def filled(conversation: Conversation) -> Conversation:
            questions = [
                q.model_copy(update={"options": options}) if q.options_from == "languages" else q
                for q in conversation.questions
            ]
            return conversation.model_copy(update={"questions": questions})

        return Library({cid: filled(c) for cid, c in self.conversations.items()})

    @property
    def onboarding(self) -> Conversation:
        return next(c for c in self.conversations.values() if c.kind == "onboarding")


# -- loading -----------------------------------------------------------------------------------

Lines = dict[tuple[Any, ...], int]


def to_python(node: yaml.Node, path: tuple[Any, ...], lines: Lines) -> Any:
    """Build plain data from a YAML node tree, remembering the line of every path."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            result[key_node.value] = to_python(value_node, (*path, key_node.value), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [to_python(child, (*path, i), lines) for i, child in enumerate(node.value)]
    return yaml.SafeLoader("").construct_object(node)


def line_of(loc: tuple[Any, ...], lines: Lines) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def where_in(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc) or "(top)"


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
Model = TypeVar("Model", bound=BaseModel)


def load_model(path: Path, model: type[Model]) -> tuple[Model, Lines]:
    """Parse one YAML file into `model`, remembering the line of every value; raise
    ContentError naming the file and line of each problem (the one loader for content)."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ContentError(
            [f"{path}:{line}: not valid YAML: {getattr(error, 'problem', error)}"]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError([f"{path}:1: cannot be read: {error}"]) from None
    if node is None:
        raise ContentError([f"{path}:1: the file is empty"])
    lines: Lines = {}
    data = to_python(node, (), lines)
    try:
        return model.model_validate(data), lines
    except ValidationError as error:
        raise ContentError(
            [
                f"{path}:{line_of(tuple(e['loc']), lines)}: {where_in(e['loc'])}: {e['msg']}"
                for e in error.errors()
            ]
        ) from None


def load_file(path: Path) -> Conversation:
    """Parse and validate one conversation file; raise ContentError naming file and line."""
    conversation, lines = load_model(path, Conversation)
    problems = [
        f"{path}:{line_of(loc, lines)}: {where_in(loc)}: {message}"
        for loc, message in _check(conversation)
    ]
    if problems:
        raise ContentError(problems)
    return conversation


def _check(conversation: Conversation) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Rules a schema cannot express: unique ids, branches that point backwards, valid settings."""
    seen: dict[str, int] = {}
    for index, question in enumerate(conversation.questions):
        loc: tuple[Any, ...] = ("questions", index)
        if question.id in seen:
            yield (*loc, "id"), f"question id '{question.id}' is used twice"
        for source, values in question.when.items():
            if source not in seen:
                yield (*loc, "when", source), f"'{source}' must be an earlier question"
                continue
            allowed = conversation.questions[seen[source]].value_ids()
            for value in values:
                if value not in allowed:
                    yield (*loc, "when", source), f"'{value}' is not an answer to '{source}'"
        seen[question.id] = index
        yield from _check_question(conversation, question, loc)


def _check_question(
    conversation: Conversation, question: Question, loc: tuple[Any, ...]
) -> Iterator[tuple[tuple[Any, ...], str]]:
    if question.type == "choice" and not question.options and not question.options_from:
        yield (*loc, "options"), "a choice question needs options or options_from"
    if question.type != "choice" and (question.options or question.options_from):
        yield (*loc, "options"), f"a {question.type} question cannot have options"
    ids = [option.id for option in question.options]
    if len(set(ids)) != len(ids):
        yield (*loc, "options"), "option ids must be unique"
    if question.sets is not None:
        setting = SETTINGS.get(question.sets)
        if setting is None:
            yield (*loc, "sets"), f"unknown setting '{question.sets}'; known: {', '.join(SETTINGS)}"
        elif setting.values is not None and question.type != "yesno":
            missing = [i for i in ids if i not in setting.values]
            if missing and not question.options_from:
                yield (*loc, "options"), f"{question.sets} cannot take {', '.join(missing)}"
    if conversation.kind == "feedback" and question.type not in ("info",) and question.sets:
        yield (*loc, "sets"), "feedback conversations do not change settings"
    if question.type == "info" and question.when:
        yield (*loc, "when"), "info messages cannot branch"
    if question.safety and question.type != "scale":
        # A Bad or Awful answer raises a safeguarding alert (core.safeguarding.low_answer).
        yield (*loc, "safety"), "only scale questions can be safety questions"


def load_library(directory: Path) -> Library:
    """Load every conversation; collect all problems from all files before refusing."""
    conversations: dict[str, Conversation] = {}
    problems: list[str] = []
    files = sorted(directory.glob("*.yaml"))
    for path in files:
        if path.name.startswith("_"):
            continue
        try:
            conversation = load_file(path)
        except ContentError as error:
            problems.extend(error.problems)
            continue
        if conversation.id in conversations:
            problems.append(f"{path}:1: conversation id '{conversation.id}' is used twice")
        conversations[conversation.id] = conversation
    if not problems and sum(c.kind == "onboarding" for c in conversations.values()) != 1:
        problems.append(f"{directory}: exactly one conversation must have kind: onboarding")
    if problems:
        raise ContentError(problems)
    return Library(dict(sorted(conversations.items(), key=lambda item: _order(files, item[1]))))


def _order(files: list[Path], conversation: Conversation) -> int:
    return next(
        (i for i, path in enumerate(files) if path.stem.endswith(conversation.id)), len(files)
    )
