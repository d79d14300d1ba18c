"""The low_confidence flag, its share per language pair, the quality gate (exit status 6),
and scoring against a references file in the development set's format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from core.names import ExitCode
from pipeline.run import main
from reports.confidence import low_confidence_by_pair, lowest_confidence
from reports.devset import MULTI, DevParagraph, joined, shape
from reports.evaluate import main as evaluate_main
from tests.conftest import SAMPLE_CORPUS


def run_with(tmp_path: Path, model: Path, threshold: float | None, *flags: str) -> tuple[int, Path]:
    out = tmp_path / "out"
    config = {
        "input": [f"{SAMPLE_CORPUS}/**"],
        "output": str(out),
        "overwrite": True,
        "read": {"id_field": "id"},
        "model": {"path": str(model)},
        "guard": {"low_confidence_score": threshold},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    return main(["--config", str(tmp_path / "config.yaml"), *flags]), out


@pytest.fixture(scope="module")
def all_low(test_models, tmp_path_factory) -> tuple[int, Path]:
    """A run whose every translation is low-confidence (the copy model scores <= 0 < 1)."""
    tmp = tmp_path_factory.mktemp("low")
    return run_with(tmp, test_models["copy"], 1.0, "--max_low_confidence_fraction=0.5")


def test_a_run_over_the_allowed_share_exits_6_and_is_committed(all_low):
    code, out = all_low
    assert code == ExitCode.LOW_CONFIDENCE
    assert (out / "run.json").is_file()


def test_the_share_is_reported_per_pair(all_low):
    _, out = all_low
    shares = low_confidence_by_pair(out)
    assert {"de-en", "fr-en", "es-en", "vi-en", "total"} <= set(shares)
    for figures in shares.values():
        assert figures["low_confidence"] == figures["segments"] > 0
        assert figures["low_confidence_share"] == 1.0
    lowest = lowest_confidence(out, 3)
    assert len(lowest) == 3
    assert [row["score"] for row in lowest] == sorted(row["score"] for row in lowest)


def test_under_the_threshold_or_without_a_gate_the_run_exits_0(test_models, tmp_path: Path):
    code, out = run_with(tmp_path, test_models["copy"], None, "--max_low_confidence_fraction=0")
    assert code == ExitCode.OK
    assert low_confidence_by_pair(out)["total"]["low_confidence"] == 0


def test_the_gate_takes_a_fraction(test_models, tmp_path: Path):
    code, _ = run_with(tmp_path, test_models["copy"], None, "--max_low_confidence_fraction=2")
    assert code == ExitCode.CONFIG


def test_a_devset_references_file_is_matched_by_source_text(all_low, tmp_path: Path):
    _, out = all_low
    documents = [json.loads(line) for line in (SAMPLE_CORPUS / "notes" / "mixed.jsonl").open()]
    paragraphs = [p.strip() for doc in documents for p in doc["text"].split("\n\n") if p.strip()]
    references = tmp_path / "dev.jsonl"
    lines = [
        {"lang": "xx", "source": p, "reference": p, "page": "p", "id": str(i)}
        for i, p in enumerate(paragraphs)
    ]
    references.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert "Scores against" not in (out / "report.html").read_text()
    assert evaluate_main(["--run", str(out), "--references", str(references)]) == 0
    report = (out / "report.html").read_text()
    assert "Low-confidence translations by language pair" in report
    assert f"Scores against {references}" in report  # the report shows the evaluation
    result = json.loads((out / "eval.json").read_text())
    assert result["overall"]["paragraphs"] == len(paragraphs)
    assert result["overall"]["chrf"] == 100.0  # the copy model's output is its source
    assert result["unreferenced_paragraphs"] > 0  # the other documents' paragraphs


def test_multi_sentence_paragraphs_join_four_sentence_ending_paragraphs_of_a_page():
    def row(page: str, text: str) -> DevParagraph:
        return DevParagraph("de", text, text.upper(), page, (text,))

    rows = [row("a", t) for t in ["Titel", "Eins.", "Zwei!", "Liste", "Drei?", "Vier:", "Fünf."]]
    rows += [row("b", "Sechs.")]
    (paragraph,) = joined(rows)
    assert paragraph.source == "Eins. Zwei! Drei? Vier:"
    assert paragraph.reference == "EINS. ZWEI! DREI? VIER:"
    assert paragraph.parts == ("Eins.", "Zwei!", "Drei?", "Vier:")
    assert shape(rows, MULTI) == [paragraph]
