"""Incremental runs translate only new or changed documents and still write a complete
output, equal to a full run's."""

from __future__ import annotations

import json
import shutil

from tests.conftest import SAMPLE_CORPUS, run_pipeline
from tests.test_pipeline_end_to_end import segment_rows, table


def translate(corpus, out, model, *flags):
    run_pipeline([f"{corpus}/**"], out, model, "--id_field", "id", *flags)
    return json.loads((out / "run.json").read_text())


def documents(out):
    rows = table(out, "documents", "select * from t order by source_path, doc_id")
    return [{k: v for k, v in row.items()} for row in rows]


def test_incremental_run_translates_only_new_and_changed_documents(test_models, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    out = tmp_path / "out"
    first = translate(corpus, out, test_models["swapcase"])
    assert first["counts"]["documents_read"] == 10

    (corpus / "news" / "new.txt").write_text("Ein neuer Artikel über den Stadtrat.\n")
    changed = corpus / "notes" / "vi_thoitiet.txt"
    changed.write_text(changed.read_text() + "\nMột đoạn văn mới.\n")
    second = translate(corpus, out, test_models["swapcase"], "--incremental")
    assert second["counts"]["documents_reused"] == 9
    assert second["counts"]["documents_new_or_changed"] == 2
    assert second["accounting"]["ok"]

    full = tmp_path / "full"
    translate(corpus, full, test_models["swapcase"])
    assert segment_rows(out) == segment_rows(full)
    assert documents(out) == documents(full)

    third = translate(corpus, out, test_models["copy"], "--incremental")
    assert third["counts"].get("documents_reused", 0) == 0, "a new model must retranslate"
    assert third["counts"]["documents_new_or_changed"] == 11
