"""--write_documents DIR: each translated document as a file in the input's layout."""

from __future__ import annotations

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq

from core.names import ExitCode
from pipeline.run import main
from pipeline.write_documents import output_relative, safe_relative
from tests.conftest import ROOT

LOCAL = str(ROOT / "configs" / "local.yaml")
GERMAN = "Die Stadtbibliothek öffnet am Montag.\n\nSie hat neue Bücher."


def test_documents_are_written_in_the_input_layout_per_target(test_models, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.md").write_text(GERMAN)
    (corpus / "packed.txt.gz").write_bytes(gzip.compress(GERMAN.encode()))
    records = [{"id": "r1", "text": "Guten Morgen, liebe Leser.", "meta": 1}, {"text": "Hallo."}]
    (corpus / "docs.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    table = pa.table({"text": ["Eins zwei drei.", "Vier."], "n": [1, 2]})
    pq.write_table(table, corpus / "t.parquet")
    out, documents = tmp_path / "out", tmp_path / "translated"
    flags = [
        "--config", LOCAL, "--model", str(test_models["swapcase"]), "--input", f"{corpus}/**",
        "--output", str(out), "--source_lang", "de", "--write_documents", str(documents),
    ]  # fmt: skip
    assert main(flags) == ExitCode.OK
    rows = {
        row["doc_id"]: row["translated_text"]
        for row in pq.read_table(out / "documents").to_pylist()
    }
    assert (documents / "en" / "sub" / "a.md").read_text() == rows["sub/a.md"] == GERMAN.swapcase()
    assert (documents / "en" / "packed.txt").read_text() == GERMAN.swapcase()
    lines = (documents / "en" / "docs.jsonl").read_text().splitlines()
    written = [json.loads(line) for line in lines]
    assert written == [
        {**records[0], "translated_text": records[0]["text"].swapcase()},
        {**records[1], "translated_text": "hALLO."},
    ]
    table = pq.read_table(documents / "en" / "t.parquet").to_pylist()
    assert table == [
        {"text": "Eins zwei drei.", "n": 1, "translated_text": "eINS ZWEI DREI."},
        {"text": "Vier.", "n": 2, "translated_text": "vIER."},
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "out", "translated"]
    # A second run must not mix its files with those there, unless told to replace them.
    again = [*flags[:-4], "--output", str(tmp_path / "out2"), *flags[-2:]]
    assert main(again) == ExitCode.CONFIG
    assert "--overwrite" in capsys.readouterr().err


def test_output_paths_never_leave_the_directory():
    assert safe_relative("../../etc/passwd") == "etc/passwd"
    assert safe_relative("/abs/x/./y.txt") == "abs/x/y.txt"
    assert safe_relative("gs://bucket/a/b.md") == "bucket/a/b.md"
    assert output_relative("sub/notes.md.zst") == "sub/notes.md"
