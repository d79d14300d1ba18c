"""The degenerate-output guard: checks on their own, and the deliberately looping test model
flagged, retried and fixed (or failed, when the retry cannot fix it) in real runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from backends import ModelSettings
from backends.ct2 import CTranslate2Backend
from core.records import Segment
from pipeline.run import run
from tests.conftest import ROOT
from tests.test_pipeline_end_to_end import table
from tests.test_protect import segment
from transforms.detect_language import LanguageSettings
from transforms.guard import DegenerateOutput, GuardSettings, longest_repeat

GERMAN = [
    "Die Stadtbibliothek öffnet am Montag ihren neuen Lesesaal im zweiten Stock.",
    "Der Eintritt bleibt kostenlos, nur für die Ausleihe braucht man einen Ausweis.",
]


def to_english(source: str, source_lang: str = "de") -> Segment:
    return segment(source, source_lang=source_lang, target_lang="en")


def test_longest_repeat_measures_runs_of_a_repeated_unit():
    assert longest_repeat("Thanks (applause) (applause) (applause) (applause) bye", 4, 24) == 44
    assert longest_repeat("Thanks (applause) (applause) (applause) bye", 4, 24) == 0
    assert longest_repeat("abcabcab", 2, 4) == 6
    assert longest_repeat("abcabcab", 2, 7) == 0
    assert longest_repeat("no loop here at all", 4, 1) == 0
    assert longest_repeat("x" + "." * 30, 4, 24) == 30


def test_each_check_fires_on_its_own():
    checks = DegenerateOutput(GuardSettings(check_language=True), LanguageSettings())
    source = to_english(GERMAN[0])
    english = "The city library opens its new reading room on the second floor on Monday."
    assert checks.reasons(source, english, hit_limit=False) == []
    looping = "The city library (applause) (applause) (applause) (applause) (applause)"
    assert checks.reasons(source, looping, hit_limit=False) == ["repetition"]
    assert checks.reasons(source, english * 4, hit_limit=True) == [
        "output_length_limit",
        "length_ratio_high",
    ]
    assert checks.reasons(source, "The library.", hit_limit=False) == ["length_ratio_low"]
    assert checks.reasons(source, GERMAN[0], hit_limit=False) == ["wrong_language"]
    # A repetition the source has too is no loop; a short source has no ratio; placeholders
    # do not count as text.
    dots = "Inhalt ........................ Seite 5"
    assert checks.reasons(to_english(dots), "Contents ........................ page 5", False) == []
    assert checks.reasons(to_english("Ja."), "Yes, of course, that is right.", False) == []
    masked = to_english("Siehe {0} und {1} und {2} und {3} für alle Einzelheiten dazu.")
    assert checks.reasons(masked, "See {0} and {1} and {2} and {3} for all details.", False) == []


def test_per_pair_length_ratios_override_the_defaults():
    settings = GuardSettings(length_ratios={"zh-en": [1.0, 6.0]})
    checks = DegenerateOutput(settings, LanguageSettings())
    chinese = to_english(
        "市图书馆星期一在二楼开放新的阅览室。经过近两年的装修，那里有更多的座位。", "zh"
    )
    english = (
        "The city library opens its new reading room on the second floor on Monday. After "
        "almost two years of renovation, there are more seats there."
    )
    assert checks.reasons(chinese, english, hit_limit=False) == []
    assert DegenerateOutput(GuardSettings(), LanguageSettings()).reasons(
        chinese, english, hit_limit=False
    ) == ["length_ratio_high"]


def test_the_retry_reuses_the_loaded_model(test_models):
    backend = CTranslate2Backend(ModelSettings(path=str(test_models["copy"])))
    first = backend.shared_model()
    assert CTranslate2Backend(ModelSettings(path=str(test_models["copy"]))).shared_model() is (
        first
    )


def run_with(tmp_path: Path, model_dir: Path, texts: list[str], **sections: dict[str, Any]) -> Path:
    config = yaml.safe_load((ROOT / "configs" / "local.yaml").read_text())
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bibliothek.txt").write_text("\n\n".join(texts) + "\n")
    config.update(input=[f"{corpus}/*"], output=str(tmp_path / "out"))
    config["model"]["path"] = str(model_dir)
    config["language"]["source_lang"] = "de"
    for name, values in sections.items():
        config[name].update(values)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    run(["--config", str(tmp_path / "config.yaml")])
    return tmp_path / "out"


def test_looping_model_output_is_flagged_retried_and_fixed(test_models, tmp_path: Path):
    out = run_with(tmp_path, test_models["loop"], GERMAN)
    rows = table(out, "segments", "select * from t order by segment_index")
    for row, source in zip(rows, GERMAN, strict=True):
        assert row["status"] == "translated"
        # The first output looped ("...Stock..............") until the decoding limit; the
        # retry's repetition penalty stops the loop model where the copy ends.
        assert row["translated_text"] == source
        assert row["flags"] == ["output_length_limit", "repetition", "retried"]
    (document,) = table(out, "documents")
    assert document["translated_text"] == document["source_text"]


def test_a_retry_that_cannot_fix_the_loop_fails_the_segment(test_models, tmp_path: Path):
    out = run_with(
        tmp_path,
        test_models["loop"],
        GERMAN,
        guard={"retry_repetition_penalty": 1.0},
    )
    rows = table(out, "segments", "select * from t order by segment_index")
    for row in rows:
        assert row["status"] == "failed"
        assert row["translated_text"] is None
        assert row["flags"] == [
            "output_length_limit",
            "repetition",
            "retried",
            "retry_degenerate",
        ]
        assert row["error"] == ("DegenerateOutput: output_length_limit, repetition after the retry")
    (document,) = table(out, "documents")
    assert document["status"] == "failed"
    assert document["translated_text"] == document["source_text"]
    errors = table(out, "errors")
    assert {(e["stage"], e["error_type"]) for e in errors} == {("guard", "DegenerateOutput")}


def test_wrong_language_output_is_flagged_and_kept_when_told(test_models, tmp_path: Path):
    out = run_with(
        tmp_path,
        test_models["copy"],
        GERMAN,
        guard={"check_language": True, "fail_degenerate": False},
    )
    rows = table(out, "segments", "select * from t order by segment_index")
    for row, source in zip(rows, GERMAN, strict=True):
        assert row["status"] == "translated" and row["translated_text"] == source
        assert row["flags"] == ["wrong_language", "retried", "retry_degenerate"]
