"""Choose the screener's thresholds on the DEVELOPMENT set and write _calibration.yaml.

    .venv/bin/python bench/tune_screening.py [--check-fa 0.07] [--alert-fa 0.015]

The development set is the exemplar files (content/safeguarding/exemplars). Five-fold
cross-validation over them gives every exemplar a score from a classifier that did not see it;
the thresholds are the lowest that keep false alarms on everyday messages under the rates
given. It never reads the held-out set (bench/screening_heldout): measure with
bench/screening.py afterwards. Nothing in the service retrains by itself: this is the only way
the calibration changes, and the result is a reviewed file in the repository.
"""

from __future__ import annotations

import argparse
import datetime
import sys

import numpy as np
import yaml
from sklearn.model_selection import StratifiedKFold

from core.config import Settings
from core.screening import load_screener
from core.screening_exemplars import (
    BENIGN,
    SHIPPED_VECTORS,
    TrainingSet,
    load_exemplars,
    ship_vectors,
    training_set,
)
from core.screening_model import MODEL_NAME, EmbeddingModel
from core.screening_semantic import Calibration, Classifier

REGULARISATIONS = (3.0, 10.0)
# Policy, not tuning: a lexicon match ("i want to die") is an alert unless the meaning is
# confidently everyday ("we did domestic violence in PSHE"). When in doubt, a person sees it.
LEXICON_ALERT_CAP = 0.15


def lowest_threshold(benign: np.ndarray, forced: np.ndarray, rate: float) -> float:
    """The lowest threshold at which at most `rate` of benign messages reach the tier
    (counting those the lexicon sends there whatever their score)."""
    for threshold in np.linspace(0.01, 0.99, 197):
        if ((benign >= threshold) | forced).mean() <= rate:
            return float(threshold)
    return 0.99


def out_of_fold(training: TrainingSet, regularisation: float) -> np.ndarray:
    """Every row's score from a classifier fitted on the other four fifths."""
    scores = np.zeros(len(training.vectors))
    categories = np.array(training.exemplars.categories)
    folds = StratifiedKFold(5, shuffle=True, random_state=7)
    for train, test in folds.split(training.vectors, categories):
        classifier = Classifier.fitted(training, regularisation, train)
        texts = training.exemplars.texts
        # read() takes one lexicon flag a call: score the rows of each flag together
        for flag in (False, True):
            rows = test[training.lexicon[test] == flag]
            if len(rows):
                got = classifier.read(
                    [texts[i] for i in rows], training.vectors[rows], lexicon=flag
                )
                scores[rows] = [r.score for r in got]
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check-fa", type=float, default=0.07)  # targets: 8% and 2%, less a margin
    parser.add_argument("--alert-fa", type=float, default=0.015)
    args = parser.parse_args()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    model = EmbeddingModel(None)
    if model.load().status != "ready":
        print(f"the model is not ready: {model.state.reason}", file=sys.stderr)
        return 1
    folder = settings.safeguarding_dir / "exemplars"
    training = training_set(
        load_exemplars(folder),
        load_screener(settings.safeguarding_dir),
        model,
        settings.cache_dir,
        folder / SHIPPED_VECTORS,
    )
    exemplars, lexicon = training.exemplars, training.lexicon
    ship_vectors(exemplars, training.vectors, folder / SHIPPED_VECTORS)
    texts = list(exemplars.texts)
    categories = np.array(exemplars.categories)
    labels = (categories != BENIGN).astype(int)
    benign = labels == 0
    best: tuple[float, float, np.ndarray] | None = None
    for regularisation in REGULARISATIONS:
        scores = out_of_fold(training, regularisation)
        check_at = lowest_threshold(scores[benign], lexicon[benign], args.check_fa + args.alert_fa)
        recall = float(((scores >= check_at) | lexicon)[~benign].mean())
        print(f"C={regularisation}: either-tier recall {recall:.3f} at check_at {check_at:.3f}")
        if best is None or recall > best[0]:
            best = (recall, regularisation, scores)
    assert best is not None
    _, regularisation, scores = best
    # The alert budget first: half for lexicon matches (their own, lower threshold), half for
    # the meaning alone (core.screening_triage.tier_of). Then the check tier's own budget.
    matched = scores[benign & lexicon]
    share = args.alert_fa / 2 * benign.sum() / max(len(matched), 1)
    lexicon_alert_at = min(
        LEXICON_ALERT_CAP,
        lowest_threshold(matched, np.zeros(len(matched), bool), min(share, 1.0)),
    )
    forced = lexicon[benign] & (scores[benign] >= lexicon_alert_at)
    alert_at = lowest_threshold(scores[benign], forced, args.alert_fa)
    alerted = (scores >= alert_at) | (lexicon & (scores >= lexicon_alert_at))
    check_at = lowest_threshold(
        np.where(alerted[benign], 0.0, scores[benign]),
        lexicon[benign] & ~alerted[benign],
        args.check_fa,
    )
    check_at = min(check_at, alert_at)
    reached = (scores >= check_at) | lexicon | alerted
    checked = reached & ~alerted
    development = {
        "exemplars": len(texts),
        "disclosures": int(labels.sum()),
        "benign": int(benign.sum()),
        "languages": len(set(exemplars.languages)),
        "cross_validated_either_tier_recall": round(float(reached[~benign].mean()), 3),
        "cross_validated_alert_recall": round(float(alerted[~benign].mean()), 3),
        "cross_validated_check_false_alarms": round(float(checked[benign].mean()), 3),
        "cross_validated_alert_false_alarms": round(float(alerted[benign].mean()), 3),
    }
    for name, keys in (("language", np.array(exemplars.languages)), ("category", categories)):
        print(f"cross-validated recall by {name} (development):")
        for key in sorted(set(keys[~benign])):
            rows = (keys == key) & ~benign
            print(f"  {key:20} {reached[rows].mean():.3f} ({rows.sum()})")
    calibration = Calibration(
        model=MODEL_NAME,
        regularisation=regularisation,
        alert_at=round(alert_at, 3),
        check_at=round(check_at, 3),
        lexicon_alert_at=round(lexicon_alert_at, 3),
        made=datetime.date.today().isoformat(),
        development=development,
    )
    header = (
        "# The semantic screener's calibration, written by bench/tune_screening.py from\n"
        "# cross-validation on the development set (the exemplar files). Do not edit by hand.\n"
    )
    body = yaml.safe_dump(calibration.model_dump(), sort_keys=False, allow_unicode=True)
    (settings.safeguarding_dir / "_calibration.yaml").write_text(header + body, encoding="utf-8")
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
