"""Exemplars: messages like those a child writes when they need help, and everyday ones that
look like them but do not (`content/safeguarding/exemplars/<language>.yaml`).

A safeguarding lead grows the semantic layer by adding lines to these files; no code changes.
Each file names where its words came from. Their vectors are worked out once and kept in a
cache file beside the database, keyed by the model and the words, so a restart costs nothing
and a new exemplar costs one embedding.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import numpy as np
from pydantic import Field, StringConstraints

from core.content import ContentError, Strict, line_of, load_model, where_in
from core.screening import Lexicon, Screener
from core.screening_model import MODEL_NAME, EmbeddingModel

log = logging.getLogger(__name__)

BENIGN = "benign"
FRIEND_AT_RISK = "friend_at_risk"
SHIPPED_VECTORS = "_vectors.npz"  # beside the exemplar files
Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Words = Annotated[str, StringConstraints(min_length=1, max_length=400, strip_whitespace=True)]
# en, ar-Latn (Arabic in Latin letters), or "mixed" for messages in two languages at once
LanguageCode = Annotated[str, StringConstraints(pattern=r"^([a-z]{2,3}(-[A-Za-z]{4})?|mixed)$")]


class ExemplarFile(Strict):
    language: LanguageCode
    source: str = Field(min_length=10)  # where these words came from, for a reviewer
    disclosure: dict[Ident, list[Words]] = Field(default_factory=dict)
    benign: list[Words] = Field(default_factory=list)


@dataclass(frozen=True)
class Exemplars:
    """Every exemplar, in file order: its words, its category (or BENIGN) and its language."""

    texts: tuple[str, ...]
    categories: tuple[str, ...]
    languages: tuple[str, ...]

    @property
    def category_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c in self.categories if c != BENIGN))

    def digest(self) -> str:
        joined = "\n".join(f"{c}\t{t}" for c, t in zip(self.categories, self.texts, strict=True))
        return hashlib.sha256(f"{MODEL_NAME}\n{joined}".encode()).hexdigest()[:16]


def load_exemplars(directory: Path) -> Exemplars:
    """Every `*.yaml` in `directory`; ContentError names file and line of each mistake."""
    files = sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))
    if not files:
        raise ContentError([f"{directory}: no exemplar files (*.yaml) found"])
    texts: list[str] = []
    categories: list[str] = []
    languages: list[str] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            data, lines = load_model(path, ExemplarFile)
        except ContentError as error:
            problems += error.problems
            continue
        groups = [*((c, w) for c, w in data.disclosure.items()), (BENIGN, data.benign)]
        for category, words in groups:
            if category == BENIGN and words is not data.benign:
                loc: tuple[object, ...] = ("disclosure", category)
                problems.append(f"{path}:{line_of(loc, lines)}: '{BENIGN}' is not a harm")
                continue
            for index, text in enumerate(words):
                key = " ".join(text.lower().split())
                where = ("benign", index) if category == BENIGN else ("disclosure", category, index)
                if key in seen and seen[key] != category:
                    problems.append(
                        f"{path}:{line_of(where, lines)}: {where_in(where)}: '{text}' is "
                        f"also under '{seen[key]}': one message, one meaning"
                    )
                    continue
                if key in seen:
                    continue  # the same words twice under one category: harmless
                seen[key] = category
                texts.append(text)
                categories.append(category)
                languages.append(data.language)
    if problems:
        raise ContentError(problems)
    found = Exemplars(tuple(texts), tuple(categories), tuple(languages))
    if not found.category_names or BENIGN not in found.categories:
        raise ContentError([f"{directory}: exemplars need both disclosures and benign messages"])
    return found


def with_lexicon_examples(exemplars: Exemplars, lexicon: Lexicon) -> Exemplars:
    """The lexicon's own examples are disclosures too, said plainly ("i want to kill myself");
    the exemplar files are mostly indirect. Both teach the classifier. An example "about
    someone else" counts as a friend at risk."""
    texts, categories, languages = (
        list(exemplars.texts),
        list(exemplars.categories),
        list(exemplars.languages),
    )
    known = {" ".join(t.lower().split()) for t in texts}
    for category, entry in lexicon.entries():
        name = FRIEND_AT_RISK if category.modifier else category.category
        for example in entry.examples:
            key = " ".join(example.lower().split())
            if key not in known:
                known.add(key)
                texts.append(example)
                categories.append(name)
                languages.append("lexicon")
    return Exemplars(tuple(texts), tuple(categories), tuple(languages))


def vectors_for(
    exemplars: Exemplars,
    model: EmbeddingModel,
    cache_dir: Path | None,
    shipped: Path | None = None,
) -> np.ndarray:
    """The exemplars' unit vectors: from the file shipped beside them (written by the tuner, so
    a fresh install starts at once) or the cache, where the words are known; the rest worked
    out (about 25 ms each on one core) and kept in the cache."""
    known: dict[str, np.ndarray] = {}
    cache = cache_dir / "screening-exemplars.npz" if cache_dir else None
    for path in (shipped, cache):
        known.update(_read(path))
    keys = [_key(t) for t in exemplars.texts]
    missing = [i for i, k in enumerate(keys) if k not in known]
    if missing:
        log.info("working out %d exemplar vectors (kept for next time)", len(missing))
        fresh = model.embed_many([exemplars.texts[i] for i in missing])
        for i, vector in zip(missing, fresh, strict=True):
            known[keys[i]] = vector
        if cache is not None:
            save_vectors(cache, keys, known)
    return np.vstack([known[k] for k in keys]).astype(np.float32)


@dataclass(frozen=True)
class TrainingSet:
    """What the classifier learns from: every exemplar and lexicon example, its vector, and
    whether the lexicon matches it."""

    exemplars: Exemplars
    vectors: np.ndarray
    lexicon: np.ndarray


def training_set(
    exemplars: Exemplars,
    lexicon: Screener,
    model: EmbeddingModel,
    cache_dir: Path | None,
    shipped: Path | None,
) -> TrainingSet:
    """The one recipe, for the service at start-up and for the tuner."""
    found = with_lexicon_examples(exemplars, lexicon.lexicon)
    vectors = vectors_for(found, model, cache_dir, shipped)
    flags = np.array([lexicon.screen(text).flagged for text in found.texts])
    return TrainingSet(found, vectors, flags)


def _key(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _read(path: Path | None) -> dict[str, np.ndarray]:
    if path is None or not path.exists():
        return {}
    try:
        with np.load(path) as stored:
            if str(stored["model"]) != MODEL_NAME:
                return {}
            return dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))
    except (OSError, ValueError, KeyError):
        log.warning("the exemplar vectors in %s cannot be read; they are made again", path)
        return {}


def ship_vectors(exemplars: Exemplars, vectors: np.ndarray, path: Path) -> None:
    """Write the vectors beside the exemplars (the tuner does, after a change), in half
    precision: a fresh install then needs no minutes of arithmetic before it screens fully."""
    keys = [_key(t) for t in exemplars.texts]
    save_vectors(path, keys, dict(zip(keys, vectors.astype(np.float16), strict=True)))


def save_vectors(cache: Path, keys: list[str], known: dict[str, np.ndarray]) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_suffix(".tmp.npz")
        vectors = np.vstack([known[k] for k in keys])
        np.savez_compressed(
            temporary, model=np.array(MODEL_NAME), keys=np.array(keys), vectors=vectors
        )
        temporary.replace(cache)  # whole or not at all: a second process may be reading it
    except OSError as error:
        log.warning(
            "the exemplar cache could not be saved (%s); it is made again next start", error
        )
