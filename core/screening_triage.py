"""Every message a child sends, judged by both layers into one verdict: alert, check or clear.

- **alert**: a person must see it now (fixed signposting, an alert that escalates until
  someone acknowledges it, routine messages paused).
- **check**: it may be something: the child is asked gently, with Childline's number, and a
  concern waits for staff in a list of its own. Nobody is paged.
- **clear**: nothing to act on.

The lexicon (core.screening) always runs and never lets a match fall below the check tier.
The semantic layer (core.screening_semantic) reads each sentence, the whole message and the
message with the one or two before it (disclosures come in pieces), and a calibrated
probability picks the tier. While the model loads, or if it cannot, the lexicon alone decides
and every message of a few words or more gets the check tier: no message goes unscreened.
The verdict is data; what to do with it is the turn's business (core.safeguarding).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from core.screening import Screener as Lexicon
from core.screening import Screening, load_screener
from core.screening_exemplars import SHIPPED_VECTORS, load_exemplars, training_set
from core.screening_model import MAX_CHARS, EmbeddingModel, ModelState, ModelUnavailable
from core.screening_semantic import Calibration, Classifier, load_calibration

log = logging.getLogger(__name__)

Tier = Literal["alert", "check", "clear"]
ERROR = "screening_error"
UNJUDGED = "unjudged"  # the category of a check asked only because the model is not there
# A long message is read in pieces: each sentence, and a run-on sentence in overlapping windows
# of words (the model reads only its first MAX_CHARS of a piece: without windows, words after
# about 400 characters of one unpunctuated message were never read). Up to MAX_PIECES pieces,
# about 3,000 characters: a longer message is read at its start and its end.
MAX_PIECES = 16
MAX_BEFORE = 2
SHORT_WORDS = 20
WINDOW_WORDS = 40
WINDOW_OVERLAP = 10  # words two windows share, so a phrase cut by one is whole in the next
_SENTENCE = re.compile(r"(?<=[.!?؟।።])\s+|\n+")


@dataclass(frozen=True)
class Verdict:
    tier: Tier
    categories: tuple[str, ...] = ()
    layer: str = ""  # lexicon, semantic, lexicon+semantic, lexicon (no model), error
    score: float = 0.0  # the calibrated probability that a person should see it
    about_someone_else: bool = False
    matched: tuple[str, ...] = ()  # lexicon entry ids, for whoever reviews the lexicon

    @property
    def flagged(self) -> bool:
        return self.tier == "alert"


CLEAR = Verdict("clear")
FAILED = Verdict("alert", (ERROR,), layer="error", score=1.0)


def sentences(text: str) -> list[str]:
    """The pieces of a long message (its sentences, a long one in windows), at most MAX_PIECES
    (then its first and last ones); a short message is read whole (each piece costs the model
    a few tokens more, and in a few words nothing can hide a worrying sentence)."""
    if len(text.split()) <= SHORT_WORDS and len(text) <= MAX_CHARS:
        return [text.strip()]
    found = [s.strip() for s in _SENTENCE.split(text) if s and s.strip()] or [text.strip()]
    pieces = [window for sentence in found for window in _windows(sentence)]
    if len(pieces) <= MAX_PIECES:
        return pieces
    half = MAX_PIECES // 2
    return pieces[:half] + pieces[-half:]


def _windows(sentence: str) -> list[str]:
    words = sentence.split()
    if len(words) <= WINDOW_WORDS and len(sentence) <= MAX_CHARS:
        return [sentence]
    # Fewer words a window when they are long, so that a window fits in MAX_CHARS.
    size = min(WINDOW_WORDS, len(words) * MAX_CHARS // len(sentence))
    if size <= WINDOW_OVERLAP:  # hardly any spaces (a script written without them)
        step = MAX_CHARS - MAX_CHARS // 4
        return [sentence[i : i + MAX_CHARS] for i in range(0, len(sentence) - MAX_CHARS // 4, step)]
    step = size - WINDOW_OVERLAP
    return [" ".join(words[i : i + size]) for i in range(0, len(words) - WINDOW_OVERLAP, step)]


def _mean(vectors: np.ndarray, weights: list[int] | None) -> np.ndarray:
    """A unit vector in the direction of the (weighted) mean of unit vectors."""
    mean = np.average(vectors, axis=0, weights=weights)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm else mean


def earlier(before: Sequence[str]) -> str:
    """The one or two messages before, as one piece."""
    return " ".join(b.strip() for b in before[-MAX_BEFORE:] if b and b.strip())


def tier_of(score: float, lexicon: bool, calibration: Calibration) -> Tier:
    """A lexicon match is an alert unless the meaning is confidently everyday (its own, low
    threshold), and then a check ("we did domestic violence in PSHE"): never clear. Without a
    match, the two thresholds decide."""
    if score >= calibration.alert_at or (lexicon and score >= calibration.lexicon_alert_at):
        return "alert"
    if score >= calibration.check_at or lexicon:
        return "check"
    return "clear"


class Triage:
    """Built once per process; `judge` is thread-safe, never raises and is meant to run in
    `executor` (one thread: the model's arithmetic leaves the event loop free)."""

    def __init__(
        self,
        lexicon: Lexicon,
        model: EmbeddingModel,
        *,
        exemplar_dir: Path,
        calibration_file: Path,
        cache_dir: Path | None,
    ) -> None:
        self.lexicon, self.model = lexicon, model
        self.exemplar_dir, self.cache_dir = exemplar_dir, cache_dir
        self.calibration: Calibration = load_calibration(calibration_file)
        self.exemplars = load_exemplars(exemplar_dir)  # mistakes stop the start
        self.exemplar_count = len(self.exemplars.texts)
        self._classifier: Classifier | None = None
        self._started = threading.Lock()
        self._thread: threading.Thread | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="screening")

    # -- readiness -----------------------------------------------------------------------------

    def start(self) -> None:
        """Load the model and the exemplar vectors in the background (once per process)."""
        with self._started:
            if self._thread is None:
                self._thread = threading.Thread(target=self._prepare, daemon=True, name="model")
                self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Until the semantic layer is ready or has failed; whether it is ready."""
        self.start()
        assert self._thread is not None
        self._thread.join(timeout)
        return self.ready

    @property
    def ready(self) -> bool:
        return self._classifier is not None

    @property
    def state(self) -> ModelState:
        if self.model.state.status == "ready" and self._classifier is None:
            return ModelState("loading", reason="working out the exemplar vectors")
        return self.model.state

    def _prepare(self) -> None:
        if self.model.load().status != "ready":
            return
        try:
            shipped = self.exemplar_dir / SHIPPED_VECTORS
            training = training_set(
                self.exemplars, self.lexicon, self.model, self.cache_dir, shipped
            )
            self._classifier = Classifier.fitted(training, self.calibration.regularisation)
            log.info("semantic screening ready: %d exemplars", len(training.vectors))
        except Exception:
            log.exception("the exemplars could not be prepared; screening goes on without them")

    # -- judging -------------------------------------------------------------------------------

    def judge(self, text: str, before: Sequence[str] = ()) -> Verdict:
        """The verdict on `text`, read with the child's previous one or two messages."""
        try:
            return self._judge(text, before)
        except Exception:
            log.exception("screening failed; the message counts as an alert")
            return FAILED

    def without_model(self, text: str, before: Sequence[str] = ()) -> Verdict:
        """The lexicon's verdict alone, with the wider check tier (fast: on the event loop)."""
        return self._without_model(text, self._lexical(text, before))

    def _lexical(self, text: str, before: Sequence[str]) -> Screening:
        """The lexicon on the message, and on it after the messages before, when those alone
        did not match (they were dealt with when they came)."""
        own = self.lexicon.screen(text)
        context = earlier(before)
        if own.flagged or not context or self.lexicon.screen(context).flagged:
            return own
        return self.lexicon.screen(f"{context} {text}")

    def _judge(self, text: str, before: Sequence[str]) -> Verdict:
        if not isinstance(text, str):
            raise TypeError(f"can only screen text, not {type(text).__name__}")
        if not text.strip():
            return CLEAR
        lexical = self._lexical(text, before)
        classifier = self._classifier
        if classifier is None:
            return self._without_model(text, lexical)
        earlier_messages = [b.strip() for b in before[-MAX_BEFORE:] if b and b.strip()]
        try:
            texts, vectors = self._pieces(text, earlier_messages)
        except ModelUnavailable:
            return self._without_model(text, lexical)
        readings = classifier.read(texts, vectors, lexicon=lexical.flagged)
        if earlier_messages:
            # The pieces together count only when the earlier ones alone were not worrying:
            # those were met when they came, and each later "ok" must not raise them again.
            *readings, joined, alone = readings
            if alone.score < self.calibration.check_at:
                readings.append(joined)
        best = max(readings, key=lambda reading: reading.score)
        score = best.score
        tier = tier_of(score, lexical.flagged, self.calibration)
        if tier == "clear":
            return Verdict("clear", score=round(score, 3), layer="semantic")
        semantic = score >= self.calibration.check_at
        layer = "+".join(
            name for name, used in (("lexicon", lexical.flagged), ("semantic", semantic)) if used
        )
        category = best.category
        categories = tuple(dict.fromkeys([*lexical.categories, *([category] if category else [])]))
        return Verdict(
            tier,
            categories,
            layer=layer,
            score=round(score, 3),
            about_someone_else=lexical.about_someone_else or category == "friend_at_risk",
            matched=lexical.matched,
        )

    def _pieces(self, text: str, before: list[str]) -> tuple[list[str], np.ndarray]:
        """Each sentence, the whole message, and (with earlier messages) the message after
        them and those alone. Only sentences go through the model, once each (the earlier
        ones were embedded in their own turn and are remembered): the whole is the mean of its
        sentences, as e5 pools its tokens, so the time is one pass over the words."""
        parts = sentences(text)
        vectors = self.model.embed(parts)
        texts, rows = list(parts), [*vectors]
        whole = _mean(vectors, [len(p) for p in parts])
        if len(parts) > 1:
            texts.append(text.strip())
            rows.append(whole)
        if before:
            earlier_rows = [_mean(self.model.embed(sentences(b)), None) for b in before]
            context = " ".join(before)
            texts += [f"{context} {text.strip()}", context]
            rows += [
                _mean(np.vstack([*earlier_rows, whole]), None),
                _mean(np.vstack(earlier_rows), None),
            ]
        return texts, np.vstack(rows)

    def _without_model(self, text: str, lexical: Screening) -> Verdict:
        """The lexicon alone: a match is an alert as it always was, and any message of a few
        words gets the check tier, since nothing else can judge it."""
        if lexical.flagged:
            return Verdict(
                "alert",
                lexical.categories,
                layer="lexicon (no model)",
                score=1.0,
                about_someone_else=lexical.about_someone_else,
                matched=lexical.matched,
            )
        if len(text.split()) >= self.calibration.fallback_check_words:
            return Verdict("check", (UNJUDGED,), layer="lexicon (no model)", score=0.5)
        return Verdict("clear", layer="lexicon (no model)")


def load_triage(
    safeguarding_dir: Path,
    *,
    model_file: Path | None = None,
    model_enabled: bool = True,
    threads: int = 1,
    cache_dir: Path | None = None,
) -> Triage:
    """One Triage per process for the same files (tests build many runtimes; the model and the
    exemplar vectors load once)."""
    lexicon = load_screener(safeguarding_dir)
    return _triage(
        lexicon, safeguarding_dir.resolve(), model_file, model_enabled, threads, cache_dir
    )


@functools.lru_cache(maxsize=4)
def _triage(
    lexicon: Lexicon,
    directory: Path,
    model_file: Path | None,
    model_enabled: bool,
    threads: int,
    cache_dir: Path | None,
) -> Triage:
    model = EmbeddingModel(model_file, threads=threads, enabled=model_enabled)
    return Triage(
        lexicon,
        model,
        exemplar_dir=directory / "exemplars",
        calibration_file=directory / "_calibration.yaml",
        cache_dir=cache_dir,
    )
