"""Screening for disclosures of harm: every must-catch phrase caught, few everyday false alarms,
fail closed, and a broken lexicon refused with its file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from api.runtime import Runtime, build_runtime
from core.config import ROOT, Settings
from core.content import ContentError, load_library
from core.content_extract import extract_content
from core.screening import (
    ERROR,
    LANGUAGES,
    Screener,
    Screening,
    load_lexicon,
)
from core.screening_triage import Triage

CASES = Path(__file__).parent / "screening_cases"
LEXICON = ROOT / "content" / "safeguarding"
MAX_FALSE_ALARMS = 0.02
FIGURES: dict[str, str] = {}


class _Figures:
    """Prints the screening figures at the end of the run, also under `pytest -q`."""

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if FIGURES:
            terminalreporter.section("safeguarding screening")
            for line in FIGURES.values():
                terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def screener(request: pytest.FixtureRequest) -> Screener:
    manager = request.config.pluginmanager
    if not manager.has_plugin("sayso-screening-figures"):
        manager.register(_Figures(), "sayso-screening-figures")
    return Screener(load_lexicon(LEXICON))


def _cases(name: str) -> list[Any]:
    return yaml.safe_load((CASES / name).read_text(encoding="utf-8"))


def test_every_must_catch_phrase_is_caught_in_every_language(screener: Screener) -> None:
    missed: list[str] = []
    counts: list[str] = []
    total = caught = 0
    for language in LANGUAGES:
        cases = _cases(f"must_catch_{language}.yaml")
        assert len(cases) >= (60 if language == "en" else 15), language
        hits = 0
        for case in cases:
            result = screener.screen(case["text"])
            ok = result.flagged and case["category"] in result.categories
            if "someone_else" in case:
                ok = ok and result.about_someone_else == case["someone_else"]
            hits += ok
            if not ok:
                missed.append(f"{language}: {case['text']!r} -> {result}")
        counts.append(f"{language} {hits}/{len(cases)}")
        total, caught = total + len(cases), caught + hits
    FIGURES["must"] = f"must-catch: {caught}/{total} caught ({', '.join(counts)})"
    print(FIGURES["must"])
    assert not missed, "\n".join(missed)


def test_everyday_messages_rarely_raise_a_false_alarm(screener: Screener) -> None:
    messages = _cases("benign.yaml")
    assert len(messages) >= 300
    assert all(isinstance(text, str) for text in messages)
    flagged = [(text, screener.screen(text)) for text in messages]
    alarms = [f"{text!r} -> {r.categories} {r.matched}" for text, r in flagged if r.flagged]
    share = len(alarms) / len(messages)
    FIGURES["benign"] = (
        f"benign: {len(alarms)}/{len(messages)} flagged ({share:.1%}): " + "; ".join(alarms)
    )
    print(FIGURES["benign"])
    assert share <= MAX_FALSE_ALARMS, "\n".join(alarms)


def test_phrases_match_whole_words_in_order_not_substrings(screener: Screener) -> None:
    for text in ("skills", "I have mad skills", "killing it at football", "diet", "hitman 3"):
        assert not screener.screen(text).flagged, text
    assert screener.screen("he always hits me").flagged
    assert not screener.screen("me hits he").flagged


def test_negation_does_not_unflag(screener: Screener) -> None:
    for text in ("I don't want to live", "i dont want to be alive", "I'm not safe at home"):
        assert screener.screen(text).flagged, text


def test_spelling_accents_digits_repeats_and_script_variants_are_tolerated(
    screener: Screener,
) -> None:
    for plain, variant in (
        ("i want to kill myself", "i want to kil mysef"),
        ("suicidal", "suicidle"),
        ("i want to die", "i want to d13"),
        ("i want to die", "I WANT TO DIIIIIE!!!"),
        ("chcę się zabić", "chce sie zabic"),
        ("أريد أن أموت", "أُرِيدُ أَنْ أَمُوتَ"),
        ("أريد أن أموت", "اريد ان اموت"),
        ("میخوام بمیرم", "ميخوام بميرم"),
        ("я вб'ю себе", "я вбю себе"),
        ("я вб'ю себе", "я вб’ю себе"),
    ):
        expected = screener.screen(plain)
        assert expected.flagged, plain
        assert screener.screen(variant).categories == expected.categories, variant


def test_emoji_flag_together_or_with_words_never_alone(screener: Screener) -> None:
    assert screener.screen("🔪🩸").categories == ("self_harm",)
    assert screener.screen("gonna 🔪 myself").flagged
    for alone in ("🔪", "💊", "🩸", "🪢", "💀", "that tackle 🔪⚽"):
        assert not screener.screen(alone).flagged, alone


def test_a_disclosure_about_someone_else_says_so(screener: Screener) -> None:
    other = screener.screen("my little sister says dad hits her")
    assert other.flagged and other.about_someone_else
    mine = screener.screen("my dad hits me")
    assert mine.flagged and not mine.about_someone_else
    # Mentioning a sister alone is no disclosure.
    assert screener.screen("my little sister is annoying") == Screening(False, (), False, ())


def test_matched_names_lexicon_entries_never_the_childs_words(screener: Screener) -> None:
    result = screener.screen("zebra unicorn i want to die zebra")
    assert result.matched == ("want_to_die",)
    assert all("zebra" not in entry for entry in result.matched)


def test_any_error_inside_screening_flags_the_message(
    screener: Screener, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str) -> list[Any]:
        raise RuntimeError("index corrupted")

    monkeypatch.setattr(screener, "_matches", broken)
    assert screener.screen("hello") == Screening(True, (ERROR,), False, ())


def test_something_that_is_not_text_flags_rather_than_passing(screener: Screener) -> None:
    assert screener.screen(None).categories == (ERROR,)  # type: ignore[arg-type]
    assert not screener.screen("").flagged


def test_the_lexicon_covers_every_category_in_every_language() -> None:
    lexicon = load_lexicon(LEXICON)
    for category in lexicon.categories:
        languages = {language for entry in category.entries for language in entry.patterns}
        assert set(LANGUAGES) <= languages, (category.category, set(LANGUAGES) - languages)
    harms = {c.category for c in lexicon.categories if not c.modifier}
    assert harms >= {
        "self_harm",
        "sexual_abuse",
        "abuse_neglect",
        "domestic_abuse",
        "missing",
        "criminal_exploitation",
        "bullying_online",
    }


def _write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
category: test
name: Test
description: A test category.
entries:
  - id: want_to_die
    patterns:
      en:
        - want to die
    examples:
      - i want to die
"""


def test_a_broken_lexicon_is_refused_with_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", GOOD)
    bad = _write(
        tmp_path,
        "b.yaml",
        """\
category: other
name: Other
description: Another.
entries:
  - id: want_to_die
    patterns:
      en:
        - (unclosed bracket
        - a*
    examples:
      - hello
  - id: typo
    patterns:
      xx:
        - hello
    examples: []
    colour: blue
""",
    )
    with pytest.raises(ContentError) as error:
        load_lexicon(tmp_path)
    problems = "\n".join(error.value.problems)
    assert f"{bad}:15: entries.1.patterns.xx.[key]: Input should be 'en'" in problems
    assert f"{bad}:16: entries.1.examples" in problems
    assert f"{bad}:17: entries.1.colour" in problems


def test_bad_patterns_and_uncaught_examples_are_named(tmp_path: Path) -> None:
    bad = _write(
        tmp_path,
        "b.yaml",
        GOOD.replace("        - want to die\n", "        - (unclosed bracket\n        - a*\n"),
    )
    with pytest.raises(ContentError) as error:
        load_lexicon(tmp_path)
    problems = "\n".join(error.value.problems)
    assert f"{bad}:8: entries.0.patterns.en.0: '(unclosed bracket' has an unmatched '('" in problems
    assert f"{bad}:9: entries.0.patterns.en.1: 'a*' is too short" in problems

    bad.write_text(GOOD.replace("      - i want to die", "      - i want to dance"), "utf-8")
    with pytest.raises(ContentError) as error:
        load_lexicon(tmp_path)
    assert error.value.problems == [
        f"{bad}:10: entries.0.examples.0: the example 'i want to dance' is not caught "
        "by the patterns of 'want_to_die'"
    ]


def test_duplicate_ids_invalid_yaml_and_an_empty_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="no safeguarding lexicon"):
        load_lexicon(tmp_path)
    _write(tmp_path, "a.yaml", GOOD)
    twin = _write(tmp_path, "b.yaml", GOOD.replace("category: test", "category: twin"))
    with pytest.raises(ContentError) as error:
        load_lexicon(tmp_path)
    assert error.value.problems == [
        f"{twin}:5: entries.0.id: id 'want_to_die' is already used (a.yaml)"
    ]
    twin.write_text(
        GOOD.replace("category: test", "category: screening_error").replace(
            "id: want_to_die", "id: other"
        ),
        "utf-8",
    )
    with pytest.raises(ContentError, match=rf"{twin}:1: 'screening_error' is kept"):
        load_lexicon(tmp_path)
    twin.write_text("category: [unclosed\n", "utf-8")
    with pytest.raises(ContentError, match=rf"{twin}:2: not valid YAML"):
        load_lexicon(tmp_path)


def test_settings_point_at_the_shipped_lexicon() -> None:
    assert Settings().safeguarding_dir == LEXICON


async def test_the_service_screens_with_the_shipped_lexicon(runtime: Runtime) -> None:
    screener = runtime.services.screener
    assert isinstance(screener, Triage) and isinstance(screener.lexicon, Screener)
    assert "self_harm" in screener.judge("i want to die").categories


async def test_an_invalid_lexicon_stops_the_service_starting(
    settings: Settings, tmp_path: Path
) -> None:
    broken = _write(tmp_path / "lexicon", "a.yaml", GOOD.replace("want to die\n", "(want\n", 1))
    with pytest.raises(ContentError, match=rf"{broken}:8: .*unmatched"):
        await build_runtime(settings.model_copy(update={"safeguarding_dir": broken.parent}))


def test_the_lexicon_is_neither_a_conversation_nor_words_to_translate() -> None:
    library = load_library(ROOT / "content")
    assert all("safeguarding" not in cid for cid in library.conversations)
    for path in sorted(LEXICON.glob("*.yaml")):
        with path.open("rb") as handle:
            assert list(extract_content(handle, None, None, {})) == [], path
