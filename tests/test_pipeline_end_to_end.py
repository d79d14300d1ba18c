"""The whole pipeline on the FnApiRunner with the functional test models, read back
with DuckDB, pyarrow and Polars."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipeline.run import run
from tests.conftest import ROOT, SAMPLE_CORPUS
from text.spans import SPAN_KINDS, fenced_code_ranges, find_spans
from tools.build_test_models import swapcase_reference

SAMPLE_FILES = sorted(p for p in SAMPLE_CORPUS.rglob("*") if p.suffix in (".txt", ".md"))


def translate(tmp_path: Path, model: Path, inputs: list[str], *flags: str) -> Path:
    out = tmp_path / "out"
    run(
        [
            "--config",
            str(ROOT / "configs" / "local.yaml"),
            "--model",
            str(model),
            "--output",
            str(out),
            "--overwrite",
            *[f"--input={i}" for i in inputs],
            *flags,
        ]
    )
    return out


def table(out: Path, name: str, query: str = "select * from t") -> list[dict]:
    relation = duckdb.read_parquet(str(out / name / "*.parquet"))
    return relation.query("t", query).pl().to_dicts()


@pytest.fixture(scope="module")
def sample_copy(test_models, tmp_path_factory) -> Path:
    return translate(tmp_path_factory.mktemp("copy"), test_models["copy"], [f"{SAMPLE_CORPUS}/**"])


def test_copy_model_rebuilds_every_sample_document_exactly(sample_copy):
    documents = {row["doc_id"]: row for row in table(sample_copy, "documents")}
    for path in SAMPLE_FILES:
        row = documents[str(path.relative_to(SAMPLE_CORPUS))]
        original = path.read_bytes().decode("utf-8")
        assert row["source_text"] == original
        assert row["translated_text"] == original
    jsonl = [json.loads(line) for line in (SAMPLE_CORPUS / "notes" / "mixed.jsonl").open()]
    for record in jsonl:
        assert documents[record["id"]]["translated_text"] == record["text"]
    assert len(documents) == len(SAMPLE_FILES) + len(jsonl)
    assert table(sample_copy, "errors") == []


def test_sample_segments_have_languages_statuses_and_scores(sample_copy):
    rows = table(sample_copy, "segments")
    by_lang = {row["source_lang"] for row in rows if row["status"] == "translated"}
    assert {"de", "fr", "es", "vi"} <= by_lang
    for row in rows:
        assert row["target_lang"] == "en"
        if row["source_lang"] == "en":
            assert row["status"] == "passthrough"
        if row["status"] == "translated":
            assert row["model_id"] == "copy-test-v1"
            assert row["score"] is not None and row["score"] <= 0
            assert row["source_tokens"] > 0 and row["target_tokens"] > 0
    signature = [r for r in rows if r["source_text"] == "Dr. Hanna Weber"]
    assert signature[0]["source_lang"] == "de"
    assert "lang_from_document" in signature[0]["flags"]


def test_outputs_readable_by_pyarrow_and_polars(sample_copy):
    import pyarrow.dataset as ds

    from core.schemas import document_schema, error_schema, segment_schema

    for name, schema in (
        ("segments", segment_schema),
        ("documents", document_schema),
        ("errors", error_schema),
    ):
        dataset = ds.dataset(sample_copy / name, format="parquet")
        assert dataset.schema.equals(schema)
        assert pl.read_parquet(sample_copy / name / "*.parquet").columns == schema.names
    info = json.loads((sample_copy / "run.json").read_text())
    assert info["models"]["default"]["id"] == "copy-test-v1"
    assert info["counts"]["documents_written"] == len(table(sample_copy, "documents"))
    assert set(info["versions"]) >= {"apache-beam", "ctranslate2", "sentencepiece", "pyarrow"}


def swapcase_protected(text: str) -> str:
    """The swapcase model's output with protected spans ("4 km") passed through unchanged."""
    spans = find_spans(text, SPAN_KINDS, fenced_code_ranges(text))
    bounds = [0, *[i for span in spans for i in span], len(text)]
    parts = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
    return "".join(p if i % 2 else swapcase_reference(p) for i, p in enumerate(parts))


def test_swapcase_model_gives_the_exact_expected_text(test_models, tmp_path):
    out = translate(tmp_path, test_models["swapcase"], [f"{SAMPLE_CORPUS}/**"], "--source_lang=de")
    segments = table(out, "segments")
    assert {row["status"] for row in segments} == {"translated"}
    for row in segments:
        assert row["translated_text"] == swapcase_protected(row["source_text"])
    for row in table(out, "documents"):
        assert row["translated_text"] != row["source_text"]
        assert row["status"] == "translated"
    for path in SAMPLE_FILES:
        (row,) = table(
            out, "documents", f"select * from t where doc_id = '{path.relative_to(SAMPLE_CORPUS)}'"
        )
        assert row["translated_text"] == swapcase_protected(path.read_bytes().decode("utf-8"))


GENERATED = {
    "crlf.txt": "Erster Absatz.\r\nNoch eine Zeile.\r\n\r\nZweiter Absatz.\r\n",
    "mixed.txt": "  \n\n\n  Eins.\r\n\r\n\r\n\n\tZwei.\r\rDrei.\n \n \n",
    "blank-lines.txt": "A.\n\n\n\n\n\n\n\nB.\n\n\n\n",
    "long.txt": ("Dies ist ein ziemlich langer Satz mit vielen Wörtern darin.  " * 40).strip()
    + "\n\n"
    + "Ohne Punkt " * 80
    + "\n\n"
    + "X" * 300
    + "\n",
}


def test_generated_documents_round_trip_through_sentence_splitting(test_models, tmp_path):
    corpus = tmp_path / "generated"
    corpus.mkdir()
    for name, text in GENERATED.items():
        (corpus / name).write_bytes(text.encode())
    out = translate(
        tmp_path,
        test_models["copy"],
        [f"{corpus}/*"],
        "--source_lang=de",
        "--max_input_tokens=64",
        "--translation_unit=paragraph",
    )
    documents = {row["doc_id"]: row["translated_text"] for row in table(out, "documents")}
    assert documents == GENERATED
    long_rows = table(out, "segments", "select * from t where doc_id = 'long.txt'")
    assert len(long_rows) > 40
    assert all(row["source_tokens"] <= 64 for row in long_rows)
    assert all("sentence_split" in row["flags"] for row in long_rows)
    assert [row["segment_index"] for row in long_rows] == sorted(
        r["segment_index"] for r in long_rows
    )


def test_every_input_is_a_document_or_an_error_exactly_once(test_models, tmp_path):
    corpus = tmp_path / "bad"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Guten Tag.\n\nAuf Wiedersehen.")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "blank.md").write_bytes(b"\n  \n\n")
    (corpus / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    (corpus / "undecodable.txt").write_bytes(bytes([0x80, 0x81, 0x8D, 0xFF, 0xFE]) * 50)
    (corpus / "huge.txt").write_text("Zu groß. " * 200)
    out = translate(tmp_path, test_models["copy"], [f"{corpus}/*"], "--max_document_bytes=1000")
    documents = [row["doc_id"] for row in table(out, "documents")]
    errors = {row["doc_id"]: row for row in table(out, "errors")}
    assert documents == ["good.txt"]
    assert {k: (v["stage"], v["error_type"]) for k, v in errors.items()} == {
        "empty.txt": ("split", "EmptyDocument"),
        "blank.md": ("split", "EmptyDocument"),
        "binary.txt": ("read", "BinaryFile"),
        "undecodable.txt": ("read", "UndecodableBytes"),
        "huge.txt": ("read", "DocumentTooLarge"),
    }
    assert all(row["source_path"].startswith(str(corpus)) for row in errors.values())


def segment_rows(out: Path) -> list[dict]:
    return table(out, "segments", "select * from t order by doc_id, segment_index")


def test_one_batch_and_one_at_a_time_give_identical_rows(test_models, tmp_path):
    inputs = [f"{SAMPLE_CORPUS}/**"]
    batched = translate(
        tmp_path / "batched", test_models["swapcase"], inputs, "--batch_token_budget=1000000"
    )
    alone = translate(tmp_path / "alone", test_models["swapcase"], inputs, "--batch_token_budget=1")
    assert segment_rows(batched) == segment_rows(alone)


def test_multi_processing_workers_match_in_memory(test_models, tmp_path):
    inputs = [f"{SAMPLE_CORPUS}/**"]
    in_memory = translate(tmp_path / "memory", test_models["swapcase"], inputs)
    workers = translate(
        tmp_path / "workers",
        test_models["swapcase"],
        inputs,
        "--direct_running_mode=multi_processing",
        "--direct_num_workers=2",
    )
    assert segment_rows(workers) == segment_rows(in_memory)


def test_cli_refuses_an_existing_output_and_the_dask_runner(test_models, tmp_path):
    command = [
        sys.executable,
        "-m",
        "pipeline.run",
        "--config",
        "configs/local.yaml",
        "--model",
        str(test_models["copy"]),
        "--output",
        str(tmp_path / "o"),
    ]
    first = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "documents_written=" in first.stdout
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 2 and "--overwrite" in again.stderr
    dask = subprocess.run(
        [*command, "--runner=DaskRunner", "--overwrite"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dask.returncode == 2 and "drops outputs" in dask.stderr
