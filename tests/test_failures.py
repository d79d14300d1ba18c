"""Every failure has a place: a corpus with one example of each failure class runs to
completion, each failure in errors/ with its stage and type, everything else correct."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml
import zstandard
from apache_beam.options.pipeline_options import PipelineOptions

from backends import ModelSettings
from backends.ct2 import CTranslate2Backend
from core.records import Segment, SegmentStatus
from pipeline.audit import name_violations
from pipeline.config import load_config
from tests.conftest import run_pipeline
from tests.test_pipeline_end_to_end import table
from transforms.translate import TranslateBatches, TranslateSettings

GOOD = "Ein ganz normaler Absatz.\n\nUnd noch einer."
# The test models have position encodings for 4095 tokens: longer inputs make them raise.
POISON = "x" * 4200


@pytest.fixture(scope="module")
def hostile(test_models, tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("hostile") / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text(GOOD)
    (corpus / "undecodable.txt").write_bytes(bytes([0x80, 0x81, 0x8D, 0xFF, 0xFE]) * 50)
    (corpus / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(200)))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.txt").write_bytes(b" \r\n\t\r\n")
    (corpus / "huge.txt").write_text("Viel zu groß. " * 1000)
    (corpus / "long-paragraph.txt").write_text(GOOD + "\n\n" + "Wort " * 1200)
    (corpus / "poison.txt").write_text(GOOD + "\n\n" + POISON)
    (corpus / "many.txt").write_text("\n\n".join(f"Absatz {i}." for i in range(30)))
    (corpus / "corrupt.txt.gz").write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")
    (corpus / "corrupt.txt.zst").write_bytes(b"\x28\xb5\x2f\xfd garbage")
    (corpus / "bomb.txt.gz").write_bytes(gzip.compress(b"a" * 1_000_000))
    (corpus / "ok.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(GOOD.encode()))
    lines = [
        json.dumps({"id": "j1", "text": GOOD}),
        "{broken json",
        json.dumps({"id": "j1", "text": "Doppelte Nummer."}),
        '{"id": "surrogate", "text": "kaputt \\ud800 hier"}',
        json.dumps({"id": "nontext", "text": 42}),
        json.dumps({"id": "../../../escape", "text": GOOD}),
    ]
    (corpus / "records.jsonl").write_text("\n".join(lines) + "\n")
    pq.write_table(pa.table({"body": ["no text column"]}), corpus / "notext.parquet")
    out = corpus.parent / "out"
    # A model whose manifest states no input limit: validation cannot refuse
    # --max_input_tokens 5000, and the model raises on the 4200-token paragraph.
    model = corpus.parent / "unbounded-copy"
    shutil.copytree(test_models["copy"], model)
    manifest = json.loads((model / "manifest.json").read_text())
    del manifest["max_input_tokens"]
    (model / "manifest.json").write_text(json.dumps(manifest))
    run_pipeline(
        [f"{corpus}/*"],
        out,
        model,
        "--source_lang",
        "de",
        "--max_document_bytes",
        "8000",
        "--max_input_tokens",
        "5000",
        "--id_field",
        "id",
        "--max_paragraph_chars",
        "5000",
        "--max_paragraphs",
        "20",
    )
    return out


def test_each_failure_is_an_error_row_with_stage_and_type(hostile):
    errors = {(r["doc_id"], r["stage"], r["error_type"]) for r in table(hostile, "errors")}
    assert errors == {
        ("undecodable.txt", "read", "UndecodableBytes"),
        ("binary.txt", "read", "BinaryFile"),
        ("huge.txt", "read", "DocumentTooLarge"),
        ("bomb.txt.gz", "read", "DocumentTooLarge"),
        ("corrupt.txt.gz", "read", "CorruptStream"),
        ("corrupt.txt.zst", "read", "CorruptStream"),
        ("records.jsonl:2", "read", "MalformedJSON"),
        ("records.jsonl:3", "read", "DuplicateId"),
        ("surrogate", "read", "InvalidUnicode"),
        ("records.jsonl:5", "read", "MissingText"),
        ("notext.parquet", "read", "MissingColumn"),
        ("empty.txt", "split", "EmptyDocument"),
        ("blank.txt", "split", "EmptyDocument"),
        ("many.txt", "split", "TooManyParagraphs"),
        ("long-paragraph.txt", "split", "ParagraphTooLong"),
        ("poison.txt", "translate", "RuntimeError"),
    }


def test_everything_else_is_correct(hostile):
    documents = {r["doc_id"]: r for r in table(hostile, "documents")}
    assert set(documents) == {
        "good.txt",
        "ok.txt.zst",
        "j1",
        "../../../escape",
        "long-paragraph.txt",
        "poison.txt",
    }
    for doc_id in ("good.txt", "ok.txt.zst", "j1", "../../../escape"):
        assert documents[doc_id]["translated_text"] == GOOD
        assert documents[doc_id]["status"] == "translated"
    for doc_id in ("long-paragraph.txt", "poison.txt"):
        doc = documents[doc_id]
        assert doc["status"] == "partial" and doc["n_failed"] == 1
        assert doc["translated_text"] == doc["source_text"]
    poison = table(
        hostile, "segments", "select * from t where doc_id = 'poison.txt' order by segment_index"
    )
    assert [r["status"] for r in poison] == ["translated", "translated", "failed"]
    assert "position" in poison[2]["error"]
    info = json.loads((hostile / "run.json").read_text())
    assert info["accounting"]["ok"] is True
    assert info["accounting"]["documents_read"] == 9
    assert info["accounting"]["documents_refused"] == 3


def test_outputs_stay_under_the_output_directory(hostile):
    """Ids like ../../x never become paths: shards are named by Beam, not by documents."""
    siblings = {p.name for p in hostile.parent.iterdir()}
    assert siblings == {"out", "corpus", "unbounded-copy"}
    tops = {p.relative_to(hostile).parts[0] for p in hostile.rglob("*")}
    assert tops == {"segments", "documents", "errors", "run.json", "report.html"}


def test_a_failing_batch_is_bisected_to_the_poison_segment(test_models):
    fn = TranslateBatches(
        {"m": CTranslate2Backend(ModelSettings(path=str(test_models["copy"])))},
        TranslateSettings(batch_token_budget=10**6, dedup=False),
    )
    fn.setup()
    texts = ["abc", "defg", POISON, "hij", "klmno"]
    batch = [
        Segment(
            "d", "p", "utf-8", i, text, "", model_name="m", target_lang="en", pieces=tuple(text)
        )
        for i, text in enumerate(texts)
    ]
    results = list(fn._translate(batch))
    assert [r.status for r in results] == [SegmentStatus.TRANSLATED] * 2 + [
        SegmentStatus.FAILED
    ] + [SegmentStatus.TRANSLATED] * 2
    assert [r.translated_text for r in results if r.translated_text] == [
        "abc",
        "defg",
        "hij",
        "klmno",
    ]


def test_the_audit_names_the_documents_of_a_broken_run(hostile, tmp_path):
    """The output of a real run, with one document taken out and another written twice."""
    out = tmp_path / "out"
    shutil.copytree(hostile, out)
    info = json.loads((out / "run.json").read_text())
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump({**info["config"], "output": str(out)}))
    config = load_config(str(config_file), {})
    for shard in (out / "documents").glob("*.parquet"):
        documents = pq.read_table(shard)
        kept = documents.filter(pc.invert(pc.equal(documents["doc_id"], "good.txt")))
        doubled = kept.filter(pc.equal(kept["doc_id"], "j1"))
        pq.write_table(pa.concat_tables([kept, doubled]), shard)

    name_violations(config, "FnApiRunner", PipelineOptions([]))

    named = table(out, "errors", "select doc_id, message from t where stage = 'accounting'")
    assert sorted(row["doc_id"] for row in named) == ["good.txt", "j1"]
    assert all("expected one document per target" in row["message"] for row in named)
