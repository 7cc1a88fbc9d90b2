"""Screening every message a child sends for disclosures of harm, offline and fast.

The lexicon (`content/safeguarding/*.yaml`) is phrases per category and language. Phrases and
messages are normalised the same way (core.screening_normalise), then phrases are matched as
token sequences: in order, with up to `gap` other words between them, a word ending in `*`
matching any word it starts, and words of six letters or more allowed one slip (ten or more:
two; a one-word pattern only from eight). Every message is screened against every language.
Negation does not unflag: "I don't want to live" flags. Any error inside screening flags the
message ("screening_error").

Cost is linear in the message: each distinct word is looked up once (exact, deletion
neighbours, stems), and a rule is tried only when its rarest needed word is present.
"""

from __future__ import annotations

import functools
import logging
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from core.content import ContentError, Lines, line_of, load_model, where_in
from core.screening_normalise import tokens

log = logging.getLogger(__name__)

LANGUAGES = ("en", "cy", "ar", "fa", "pl", "uk")
Language = Literal["en", "cy", "ar", "fa", "pl", "uk", "any"]
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
ERROR = "screening_error"
MIN_STEM = 3  # "a*" would match half of every message
FUZZY_ONE, FUZZY_TWO = 6, 12  # word lengths from which one, then two, slips are forgiven
FUZZY_SOLO = 8  # a one-word pattern forgives a slip only from this length
FUZZY_MAX = 24  # no real word is longer; a long run of letters is matched exactly only


@dataclass(frozen=True)
class Screening:
    flagged: bool
    categories: tuple[str, ...]
    about_someone_else: bool
    matched: tuple[str, ...]


CLEAR = Screening(flagged=False, categories=(), about_someone_else=False, matched=())
FAILED = Screening(flagged=True, categories=(ERROR,), about_someone_else=False, matched=())


# -- the lexicon, as a safeguarding lead writes it ------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Strict):
    id: Ident
    patterns: dict[Language, list[Annotated[str, StringConstraints(min_length=1)]]] = Field(
        min_length=1
    )
    examples: list[str] = Field(min_length=1)
    gap: int = Field(default=2, ge=0, le=5)
    note: str | None = None


class Category(_Strict):
    category: Ident
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    modifier: bool = False
    entries: list[Entry] = Field(min_length=1)


@dataclass(frozen=True)
class Lexicon:
    """Every category in file order; `modifier` categories (someone else) never flag alone."""

    categories: tuple[Category, ...]

    def entries(self) -> Iterator[tuple[Category, Entry]]:
        for category in self.categories:
            for entry in category.entries:
                yield category, entry


def load_lexicon(directory: Path) -> Lexicon:
    """Load and check every `*.yaml` in `directory`; raise ContentError naming file and line."""
    problems: list[str] = []
    loaded: list[tuple[Path, Lines, Category]] = []
    files = sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))
    if not files:
        raise ContentError([f"{directory}: no safeguarding lexicon (*.yaml) found"])
    for path in files:
        try:
            loaded.append((path, *_load_file(path)))
        except ContentError as error:
            problems.extend(error.problems)
    seen: dict[str, str] = {}
    for path, lines, category in loaded:
        for loc, message in _check_phrases(category):
            problems.append(f"{path}:{line_of(loc, lines)}: {where_in(loc)}: {message}")
        for index, entry in enumerate(category.entries):
            loc = ("entries", index, "id")
            if entry.id in seen or entry.id in {c.category for _, _, c in loaded}:
                where = seen.get(entry.id, "a category")
                problems.append(
                    f"{path}:{line_of(loc, lines)}: {where_in(loc)}: "
                    f"id '{entry.id}' is already used ({where})"
                )
            seen.setdefault(entry.id, f"{path.name}")
    names = [c.category for _, _, c in loaded]
    for path, _lines, category in loaded:
        if names.count(category.category) > 1:
            problems.append(f"{path}:1: category '{category.category}' is in more than one file")
        if category.category == ERROR:
            problems.append(f"{path}:1: '{ERROR}' is kept for messages that could not be checked")
    if problems:
        raise ContentError(problems)
    lexicon = Lexicon(tuple(category for _, _, category in loaded))
    problems = _check_examples(lexicon, loaded)
    if problems:
        raise ContentError(problems)
    return lexicon


def load_screener(directory: Path) -> Screener:
    """The checked lexicon in `directory`, compiled; built once per process while its files
    are unchanged (start-up takes about a second; tests build many runtimes)."""
    files = tuple(
        (path.name, path.stat().st_mtime_ns, path.stat().st_size)
        for path in sorted(directory.glob("*.yaml"))
    )
    return _compiled(directory.resolve(), files)


@functools.lru_cache(maxsize=4)
def _compiled(directory: Path, files: tuple[tuple[str, int, int], ...]) -> Screener:
    return Screener(load_lexicon(directory))


def _load_file(path: Path) -> tuple[Lines, Category]:
    category, lines = load_model(path, Category)
    return lines, category


def _check_phrases(category: Category) -> Iterator[tuple[tuple[Any, ...], str]]:
    for index, entry in enumerate(category.entries):
        for language, phrases in entry.patterns.items():
            for number, phrase in enumerate(phrases):
                loc = ("entries", index, "patterns", language, number)
                try:
                    _compile(phrase)
                except ValueError as error:
                    yield loc, str(error)


def _check_examples(lexicon: Lexicon, loaded: list[tuple[Path, Lines, Category]]) -> list[str]:
    """Each example must be caught by its own entry: the lexicon documents itself."""
    screener = Screener(lexicon)
    problems = []
    for path, lines, category in loaded:
        for index, entry in enumerate(category.entries):
            for number, example in enumerate(entry.examples):
                if entry.id not in screener.matching(example):
                    loc = ("entries", index, "examples", number)
                    problems.append(
                        f"{path}:{line_of(loc, lines)}: {where_in(loc)}: the example "
                        f"'{example}' is not caught by the patterns of '{entry.id}'"
                    )
    return problems


# -- compiling phrases into token sequences -------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """One word of a phrase: the whole word, or (stem) any word that starts with it."""

    text: str
    stem: bool = False


def _alternative(text: str) -> tuple[Atom, ...]:
    """One alternative (`hits`, `punch*`, `my step dad`) as the atoms it normalises to."""
    atoms: list[Atom] = []
    for word in text.split():
        stem = word.endswith("*")
        words = tokens(word.rstrip("*"))
        if not words:
            raise ValueError(f"'{word}' has no letters left once normalised")
        if stem and len(words[-1]) < MIN_STEM:
            raise ValueError(
                f"'{word}' is too short to match the start of words "
                f"(at least {MIN_STEM} letters before *)"
            )
        atoms += [Atom(w) for w in words[:-1]] + [Atom(words[-1], stem)]
    if not atoms:
        raise ValueError("an alternative is empty (two | together, or | at an end)")
    return tuple(atoms)


def _slots(phrase: str) -> list[list[str]]:
    """Split at spaces and `|` outside brackets: `a|(b c) d` -> [["a", "b c"], ["d"]]."""
    slots: list[list[str]] = [[""]]
    depth = 0
    for char in phrase:
        if char == "(":
            if depth:
                raise ValueError(f"'{phrase}': brackets cannot be nested")
            depth = 1
        elif char == ")":
            if not depth:
                raise ValueError(f"'{phrase}' has an unmatched ')'")
            depth = 0
        elif char == "|" and not depth:
            slots[-1].append("")
        elif char.isspace() and not depth:
            if slots[-1] != [""]:
                slots.append([""])
        else:
            slots[-1][-1] += char
    if depth:
        raise ValueError(f"'{phrase}' has an unmatched '('")
    if slots[-1] == [""]:
        slots.pop()
    return slots


Alternative = tuple[Atom, ...]
Slot = tuple[Alternative, ...]  # an empty alternative means the slot may be left out


@functools.lru_cache(maxsize=8192)
def _compile(phrase: str) -> tuple[Slot, ...]:
    """A phrase as slots of alternatives. `a|b` picks one word; `(my step dad|he)` picks one
    group of words; `a|(b c)` mixes both; `(a|b)?` may be absent."""
    slots = []
    for slot in _slots(phrase):
        options: list[str] = []
        for option in slot:
            options.extend(option.split("|"))
        optional = options[-1].endswith("?")
        options[-1] = options[-1].removesuffix("?")
        alternatives = tuple(dict.fromkeys(_alternative(option) for option in options))
        slots.append(alternatives + ((),) * optional)
    if all(() in slot for slot in slots):
        raise ValueError(f"'{phrase}' needs at least one word that must be there")
    return tuple(slots)


@dataclass(frozen=True)
class _Rule:
    entry: str
    category: str
    modifier: bool
    slots: tuple[Slot, ...]
    gap: int

    @property
    def solo(self) -> bool:
        """One word alone ("suicide"): a slip must not turn "raging" into "raping"."""
        return len(self.slots) == 1 and all(len(alternative) == 1 for alternative in self.slots[0])

    def atoms(self) -> set[Atom]:
        return {atom for slot in self.slots for alternative in slot for atom in alternative}

    def possible(self, present: dict[Atom, list[int]]) -> bool:
        """Every slot that must be there has an alternative whose words are all present."""
        return all(
            any(all(atom in present for atom in alternative) for alternative in slot)
            for slot in self.slots
        )

    def found_in(self, positions: dict[Atom, list[int]]) -> bool:
        """Whether the words come in order, at most `gap` other words between neighbours."""
        atoms_of = [[alternative for alternative in slot] for slot in self.slots]
        gap = self.gap

        def after(slot: int, atom: int, alternative: Alternative, last: int | None) -> bool:
            if atom == len(alternative):
                return next_slot(slot + 1, last)
            places = positions.get(alternative[atom], ())
            start = 0 if last is None else bisect_right(places, last)
            for place in places[start:]:
                if last is not None and place > last + gap + 1:
                    return False
                if after(slot, atom + 1, alternative, place):
                    return True
            return False

        def next_slot(slot: int, last: int | None) -> bool:
            if slot == len(atoms_of):
                return True
            return any(after(slot, 0, alternative, last) for alternative in atoms_of[slot])

        return next_slot(0, None)


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _slips(length: int) -> int:
    return 2 if length >= FUZZY_TWO else 1 if length >= FUZZY_ONE else 0


@dataclass
class _Index:
    words: dict[str, list[Atom]] = field(default_factory=lambda: defaultdict(list))
    stems: dict[str, list[Atom]] = field(default_factory=lambda: defaultdict(list))
    near_words: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    long_stems: dict[int, list[str]] = field(default_factory=dict)  # by length: one slip
    stem_lengths: list[int] = field(default_factory=list)  # ascending

    def add(self, atom: Atom) -> None:
        target = self.stems if atom.stem else self.words
        if atom in target[atom.text]:
            return
        target[atom.text].append(atom)
        if atom.stem:
            self.stem_lengths = sorted({*self.stem_lengths, len(atom.text)})
            if len(atom.text) >= FUZZY_ONE:
                self.long_stems.setdefault(len(atom.text), []).append(atom.text)
                self.long_stems = dict(sorted(self.long_stems.items()))
            return
        for variant in _deletions(atom.text, _slips(len(atom.text))):
            self.near_words[variant].add(atom.text)

    def atoms_of(self, token: str) -> tuple[frozenset[Atom], frozenset[Atom]]:
        """Every lexicon word this message word stands for, exactly or with small slips; and
        those that are safe for one-word patterns (exact, or a slip in a long word)."""
        exact: set[Atom] = set(self.words.get(token, ()))
        near: set[Atom] = set()
        fuzzy = not token.isdigit() and FUZZY_ONE - 1 <= len(token) <= FUZZY_MAX
        if fuzzy:
            near.update(self._near_words(token))
        size = len(token)
        for length in self.stem_lengths:
            if length > size:
                break
            hit = self.stems.get(token[:length])
            if hit:
                exact.update(hit)
        if fuzzy:  # few stems are long enough for a slip: one C call per stem length
            for length, stems in self.long_stems.items():
                if length > size:
                    break
                for stem, _, _ in extract(
                    token[:length], stems, scorer=OSA.distance, score_cutoff=1, limit=None
                ):
                    near.update(self.stems[stem])
        solo = exact | {atom for atom in near if len(atom.text) >= FUZZY_SOLO}
        return frozenset(exact | near), frozenset(solo)

    def _near_words(self, token: str) -> Iterator[Atom]:
        """Lexicon words within their allowed slips of `token` (symmetric deletion lookup)."""
        for variant in _deletions(token, 2 if len(token) >= FUZZY_TWO - 1 else 1):
            for candidate in self.near_words.get(variant, ()):
                slips = _slips(len(candidate))
                if OSA.distance(token, candidate, score_cutoff=slips) <= slips:
                    yield from self.words[candidate]


class Screener:
    """Built once at start-up from a Lexicon; `screen()` is pure and safe to share."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._index = _Index()
        rules: dict[_Rule, None] = {}
        for category, entry in lexicon.entries():
            for phrases in entry.patterns.values():
                for phrase in phrases:
                    slots = _compile(phrase)
                    # One slot: each alternative is a rule, so one-word ones are strict (solo).
                    for part in [((alt,),) for alt in slots[0]] if len(slots) == 1 else [slots]:
                        rule = _Rule(
                            entry.id, category.category, category.modifier, part, entry.gap
                        )
                        rules[rule] = None
        self._rules = list(rules)
        uses: dict[Atom, int] = defaultdict(int)
        for rule in self._rules:
            for atom in rule.atoms():
                self._index.add(atom)
                uses[atom] += 1
        # Each rule waits on the rarest word of each alternative of its rarest needed slot, so
        # common words ("i", "my") wake few rules.
        self._by_key: dict[Atom, list[int]] = defaultdict(list)
        for number, rule in enumerate(self._rules):
            needed = [slot for slot in rule.slots if () not in slot]
            keys = min(
                (
                    {min(alt, key=lambda a: (uses[a], -len(a.text))) for alt in slot}
                    for slot in needed
                ),
                key=lambda atoms: sum(uses[a] for a in atoms),
            )
            for atom in keys:
                self._by_key[atom].append(number)
        # Children reuse words: remember what each word stood for (bounded, thread-safe).
        self._atoms_of = functools.lru_cache(maxsize=50_000)(self._index.atoms_of)
        self._order = {c.category: n for n, c in enumerate(lexicon.categories)}

    def screen(self, text: str) -> Screening:
        """Flag a disclosure of harm; any error inside flags too (fail closed)."""
        try:
            return self._screen(text)
        except Exception:
            log.exception("screening failed; the message counts as flagged")
            return FAILED

    def matching(self, text: str) -> set[str]:
        """Ids of every entry whose phrases are in `text` (modifiers too)."""
        return {rule.entry for rule in self._matches(text)}

    def _screen(self, text: str) -> Screening:
        rules = self._matches(text)
        harms = [rule for rule in rules if not rule.modifier]
        if not harms:
            return CLEAR
        categories = sorted({r.category for r in harms}, key=self._order.__getitem__)
        return Screening(
            flagged=True,
            categories=tuple(categories),
            about_someone_else=any(rule.modifier for rule in rules),
            matched=tuple(sorted({rule.entry for rule in rules})),
        )

    def _matches(self, text: str) -> list[_Rule]:
        if not isinstance(text, str):
            raise TypeError(f"can only screen text, not {type(text).__name__}")
        positions: dict[Atom, list[int]] = defaultdict(list)
        strict: dict[Atom, list[int]] = defaultdict(list)  # for one-word patterns
        for position, token in enumerate(tokens(text)):
            atoms, solo = self._atoms_of(token)
            for atom in atoms:
                positions[atom].append(position)
            for atom in solo:
                strict[atom].append(position)
        candidates = sorted({n for atom in positions for n in self._by_key.get(atom, ())})
        found = []
        for rule in (self._rules[n] for n in candidates):
            where = strict if rule.solo else positions
            if rule.possible(where) and rule.found_in(where):
                found.append(rule)
        return found
