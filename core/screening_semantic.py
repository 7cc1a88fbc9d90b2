"""The semantic layer: how likely a piece of a child's message is to need a person, read off
its meaning (multilingual sentence vectors) and its spelling (character n-grams, which carry
misspellings, text-speak and Latin-script Arabic or Persian that the vectors miss).

One logistic regression over both, fitted at start-up on the exemplar files (a second or two)
and the lexicon's verdict; the thresholds for each tier come from `_calibration.yaml`, which
`bench/tune_screening.py` writes from cross-validation on the same development set. Adding
exemplars needs no code: restart, and run the tuner to move the thresholds with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import Field
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from core.content import Strict, load_model
from core.screening_exemplars import BENIGN, TrainingSet

NEIGHBOURS = 7
VECTOR_WEIGHT = 2.0  # the sentence vector's share beside the n-grams (tuned on development)


class Calibration(Strict):
    """`content/safeguarding/_calibration.yaml`: written by bench/tune_screening.py."""

    model: str
    regularisation: float = Field(gt=0)  # sklearn's C
    alert_at: float = Field(gt=0, lt=1)
    check_at: float = Field(gt=0, lt=1)
    # A lexicon match is an alert from this score (lower: the words and the meaning agree).
    lexicon_alert_at: float = Field(gt=0, lt=1)
    # With no model, messages of at least this many words get the check tier.
    fallback_check_words: int = Field(default=3, ge=1)
    made: str
    development: dict[str, float | int | str] = Field(default_factory=dict)


def load_calibration(path: Path) -> Calibration:
    return load_model(path, Calibration)[0]


def _ngrams() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, dtype=np.float32
    )


@dataclass(frozen=True)
class Reading:
    score: float  # the probability that a person should see this piece
    category: str | None  # the nearest disclosures' category


class Classifier:
    """Fitted once per process from the exemplars and their vectors; `read` is pure."""

    def __init__(
        self,
        texts: list[str],
        vectors: np.ndarray,
        labels: np.ndarray,
        categories: np.ndarray,
        lexicon: np.ndarray,
        regularisation: float,
    ) -> None:
        # Only disclosures vote on a category. Kept apart once: slicing them out on every
        # message copied megabytes and cost more than the model itself.
        harm = labels.astype(bool)
        self.harm_vectors = np.ascontiguousarray(vectors[harm], dtype=np.float32)
        self.harm_categories = categories[harm]
        self.ngrams = _ngrams().fit(texts)
        self.model = LogisticRegression(C=regularisation, max_iter=5000)
        self.model.fit(self._design(texts, vectors, lexicon), labels)
        # Read with the fitted weights directly: the same arithmetic as predict_proba for two
        # classes, without sklearn's input checks, which cost milliseconds a message.
        self.weights = self.model.coef_[0].astype(np.float64)
        self.bias = float(self.model.intercept_[0])

    @classmethod
    def fitted(
        cls, training: TrainingSet, regularisation: float, rows: np.ndarray | None = None
    ) -> Classifier:
        """Fitted on the training set, or on some of its rows (the tuner's folds)."""
        picked = np.arange(len(training.vectors)) if rows is None else rows
        categories = np.array(training.exemplars.categories)[picked]
        texts = [training.exemplars.texts[i] for i in picked]
        labels = (categories != BENIGN).astype(int)
        return cls(
            texts,
            training.vectors[picked],
            labels,
            categories,
            training.lexicon[picked],
            regularisation,
        )

    def _design(self, texts: list[str], vectors: np.ndarray, lexicon: np.ndarray) -> csr_matrix:
        return hstack(
            [
                self.ngrams.transform(texts),
                csr_matrix(vectors * VECTOR_WEIGHT),
                csr_matrix(lexicon.reshape(-1, 1).astype(np.float32)),
            ]
        ).tocsr()

    def read(self, texts: list[str], vectors: np.ndarray, lexicon: bool) -> list[Reading]:
        flags = np.full(len(texts), float(lexicon), dtype=np.float32)
        logits = self._design(texts, vectors, flags) @ self.weights + self.bias
        scores = 1.0 / (1.0 + np.exp(-logits))
        categories = self._categories(vectors)
        return [Reading(float(s), c) for s, c in zip(scores, categories, strict=True)]

    def _categories(self, vectors: np.ndarray) -> list[str | None]:
        """For each piece, the category most of the nearest disclosures share (by similarity)."""
        if not len(self.harm_vectors):
            return [None] * len(vectors)
        similar = np.asarray(vectors, dtype=np.float32) @ self.harm_vectors.T
        count = min(NEIGHBOURS, similar.shape[1])
        nearest = np.argpartition(similar, -count, axis=1)[:, -count:]
        found: list[str | None] = []
        for row, indices in zip(similar, nearest, strict=True):
            votes: dict[str, float] = {}
            for index in indices:
                name = str(self.harm_categories[index])
                votes[name] = votes.get(name, 0.0) + float(np.exp(row[index] * 20))
            found.append(max(votes, key=votes.__getitem__))
        return found
