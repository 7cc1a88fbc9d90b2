"""Screening measured on the HELD-OUT set (bench/screening_heldout), which nothing was tuned on.

    .venv/bin/python bench/screening.py

Prints: the share of must-catch messages that reach help in either tier (overall, per language,
per category), alert-tier recall, each tier's false alarms on benign messages, the time the
whole screening adds per message on one core (p50, p99; the lexicon alone is the baseline,
measured in the same run), the memory the model and exemplars add, and the start-up time.
Messages with earlier pieces (`before:`) are judged as the service does: with them.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the service runs it

import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from core.config import Settings
from core.screening import load_screener
from core.screening_triage import Triage, Verdict, load_triage

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screening_sets import HELD_OUT, Case, load_cases

TARGETS = {
    "either_tier": 0.98,
    "either_tier_per_language": 0.95,
    "alert_recall": 0.85,
    "alert_false_alarms": 0.02,
    "check_false_alarms": 0.08,
    "p99_ms": 50.0,
    "memory_mb": 300.0,
}


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def share(hits: list[bool]) -> str:
    return f"{sum(hits) / len(hits):6.1%} ({sum(hits)}/{len(hits)})" if hits else "     -"


def timed(triage: Triage, cases: list[Case]) -> tuple[list[Verdict], list[float]]:
    verdicts, seconds = [], []
    for case in cases:
        started = time.perf_counter()
        verdicts.append(triage.judge(case.text, case.before))
        seconds.append(time.perf_counter() - started)
    return verdicts, seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    must, benign = load_cases(HELD_OUT)
    if not must or not benign:
        print(f"no held-out set in {HELD_OUT}", file=sys.stderr)
        return 1
    before_mb = rss_mb()
    started = time.perf_counter()
    lexicon = load_screener(settings.safeguarding_dir)
    lexicon_seconds = time.perf_counter() - started
    started = time.perf_counter()
    triage = load_triage(settings.safeguarding_dir, cache_dir=settings.cache_dir)
    if not triage.wait(1800):
        print(f"the model is not ready: {triage.state}", file=sys.stderr)
        return 1
    start_seconds = time.perf_counter() - started
    model_mb = rss_mb() - before_mb

    # The baseline: the lexicon alone, on the same messages, in the same run.
    base_seconds = []
    for case in must + benign:
        begun = time.perf_counter()
        lexicon.screen(" ".join([*case.before, case.text]))
        base_seconds.append(time.perf_counter() - begun)
    caught, seconds = timed(triage, must)
    calm, benign_seconds = timed(triage, benign)
    seconds += benign_seconds

    reached = [v.tier != "clear" for v in caught]
    alerted = [v.tier == "alert" for v in caught]
    by_language: dict[str, list[bool]] = defaultdict(list)
    by_category: dict[str, list[bool]] = defaultdict(list)
    for case, hit in zip(must, reached, strict=True):
        by_language[case.language].append(hit)
        by_category[case.category or "?"].append(hit)
    lexicon_only = [lexicon.screen(" ".join([*c.before, c.text])).flagged for c in must]
    false_alert = [v.tier == "alert" for v in calm]
    false_check = [v.tier == "check" for v in calm]
    false_any = [v.tier != "clear" for v in calm]

    print(
        f"held-out set: {len(must)} must-catch, {len(benign)} benign, {len(by_language)} languages"
    )
    print(f"reach help (either tier): {share(reached)}   target {TARGETS['either_tier']:.0%}")
    print(f"alert tier:               {share(alerted)}   target {TARGETS['alert_recall']:.0%}")
    print(f"lexicon alone (baseline): {share(lexicon_only)}")
    print(f"false alarms, alert tier: {share(false_alert)}   target <= 2%")
    print(f"false alarms, check tier: {share(false_check)}   target <= 8%")
    print(f"false alarms, either:     {share(false_any)}")
    print("\nreach help by language:")
    for language, hits in sorted(by_language.items()):
        benign_hits = [
            v.tier != "clear" for c, v in zip(benign, calm, strict=True) if c.language == language
        ]
        print(f"  {language:8} {share(hits)}   false alarms {share(benign_hits)}")
    print("\nreach help by category:")
    for category, hits in sorted(by_category.items()):
        print(f"  {category:20} {share(hits)}")
    ms = [s * 1000 for s in seconds]
    base_ms = [s * 1000 for s in base_seconds]
    p50, p99 = statistics.median(ms), percentile(ms, 0.99)
    print("\ntime per message, one core (both layers; baseline: the lexicon alone, same run):")
    print(
        f"  p50 {p50:.1f} ms, p99 {p99:.1f} ms   (baseline p50 {statistics.median(base_ms):.2f} ms, p99 {percentile(base_ms, 0.99):.2f} ms; ratio p50 {p50 / max(statistics.median(base_ms), 1e-6):.0f}x)"
    )
    print(f"  target p99 < {TARGETS['p99_ms']:.0f} ms")
    print(f"memory added by the model and exemplars: {model_mb:.0f} MB   target < 300 MB")
    print(
        f"start-up: lexicon {lexicon_seconds:.2f} s; model and exemplars {start_seconds:.1f} s more"
    )
    print(
        f"  (model load {triage.model.state.load_seconds} s; the rest is exemplar vectors, from the cache when warm)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
