"""The screening sets: must-catch and benign messages by language, as YAML files.

The development set is the exemplar files (content/safeguarding/exemplars): the classifier
learns from them and bench/tune_screening.py picks thresholds by cross-validation over them.
`bench/screening_heldout/` is the held-out set, written before any tuning by writers who had
not seen the development set, and used only to measure (bench/screening.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
HELD_OUT = HERE / "screening_heldout"


@dataclass(frozen=True)
class Case:
    text: str
    before: tuple[str, ...]
    language: str
    category: str | None  # None: benign
    kind: str | None = None  # near_miss / everyday, for benign ones


def load_cases(directory: Path) -> tuple[list[Case], list[Case]]:
    """(must-catch, benign) from `must_catch_<language>.yaml` and `benign_<language>.yaml`."""
    found: dict[str, list[Case]] = {"must_catch": [], "benign": []}
    for kind in found:
        for path in sorted(directory.glob(f"{kind}_*.yaml")):
            language = path.stem.removeprefix(f"{kind}_")
            for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
                found[kind].append(
                    Case(
                        text=str(item["text"]),
                        before=tuple(str(b) for b in item.get("before", [])),
                        language=language,
                        category=item.get("category") if kind == "must_catch" else None,
                        kind=item.get("kind"),
                    )
                )
    return found["must_catch"], found["benign"]
