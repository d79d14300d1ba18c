"""Evaluation: sacreBLEU scores of a real run against the sample references and against its
own source (the copy model scores 100), the table written beside the run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reports.evaluate import evaluate, read_references
from tests.conftest import ROOT, SAMPLE_CORPUS
from tests.test_pipeline_end_to_end import translate

REFERENCES = ROOT / "samples" / "references" / "en.jsonl"


@pytest.fixture(scope="module")
def copy_run(test_models, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("eval")
    return translate(tmp, test_models["copy"], [f"{SAMPLE_CORPUS}/**"])


def test_copy_model_scores_100_against_its_source(copy_run):
    result = evaluate(copy_run, "source")
    assert set(result["pairs"]) == {"de-en", "en-en", "es-en", "fr-en", "vi-en"}
    for figures in [*result["pairs"].values(), result["overall"]]:
        assert (figures["bleu"], figures["chrf"]) == (100.0, 100.0)
    assert result["overall"]["paragraphs"] == 22
    assert json.loads((copy_run / "eval.json").read_text())["overall"]["chrf"] == 100.0
    assert "| all | 22 | 100.00 | 100.00 |" in (copy_run / "eval.md").read_text()


def test_sample_references_cover_every_sample_paragraph(copy_run):
    result = evaluate(copy_run, str(REFERENCES), worst=3)
    assert result["misaligned"] == result["unreferenced_documents"] == []
    assert result["missing_documents"] == []
    assert result["overall"]["paragraphs"] == 22
    # The copy model leaves English as it is and every other language untranslated.
    assert result["pairs"]["en-en"]["chrf"] == 100.0
    for pair in ("de-en", "es-en", "fr-en", "vi-en"):
        assert result["pairs"][pair]["chrf"] < 40
    worst = [json.loads(line) for line in (copy_run / "eval_worst.jsonl").open()]
    assert len(worst) == 3
    assert [row["chrf"] for row in worst] == sorted(row["chrf"] for row in worst)
    assert all(row["hypothesis"] == row["source"] != row["reference"] for row in worst)


def test_cli_prints_the_table(copy_run):
    command = [sys.executable, "-m", "reports.evaluate"]
    done = subprocess.run(
        [*command, "--run", str(copy_run), "--references", str(REFERENCES)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "| pair | paragraphs | BLEU | chrF |" in done.stdout
    assert "| en-en | 4 | 100.00 | 100.00 |" in done.stdout
    missing = subprocess.run(
        [*command, "--run", str(copy_run / "nothing"), "--references", "source"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "holds no run" in missing.stderr


def test_misaligned_and_unknown_references_are_reported_not_scored(copy_run, tmp_path):
    references = tmp_path / "refs.jsonl"
    records = [
        {"doc_id": "news/fr_marche.txt", "target_lang": "en", "text": "One paragraph only."},
        {"doc_id": "faq-4", "target_lang": "en", "text": "How can I change my password?"},
        {"doc_id": "not-in-the-run", "target_lang": "en", "text": "Nothing."},
    ]
    references.write_text("".join(json.dumps(r) + "\n" for r in records))
    result = evaluate(copy_run, str(references))
    assert result["overall"]["paragraphs"] == 1
    assert result["misaligned"] == ["news/fr_marche.txt (en): 3 paragraphs, reference has 1"]
    assert result["missing_documents"] == ["not-in-the-run (en)"]
    assert "faq-1" in result["unreferenced_documents"]
    references.write_text('{"doc_id": "faq-4"}\n')
    with pytest.raises(ValueError, match=r"refs\.jsonl:1: expected"):
        read_references(references)
