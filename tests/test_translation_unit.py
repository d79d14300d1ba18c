"""The unit the model translates: sentences by default, whole paragraphs when configured;
either way the document is rebuilt byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_pipeline_end_to_end import table, translate

DOCUMENT = (
    "Erster Satz.  Zweiter Satz! Dritter Satz?\t Vierter Satz mit Dr. Weber.\r\n\r\n"
    "Ein Absatz mit einem Satz.\n\n"
    "  Noch einer. Und noch einer.   \n"
)


@pytest.mark.parametrize(("unit", "pieces"), [("sentence", [4, 1, 2]), ("paragraph", [1, 1, 1])])
def test_each_unit_reaches_the_model_and_the_document_comes_back_exact(
    test_models, tmp_path: Path, unit: str, pieces: list[int]
):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "doc.txt").write_bytes(DOCUMENT.encode())
    out = translate(
        tmp_path,
        test_models["copy"],
        [f"{corpus}/*"],
        "--source_lang=de",
        f"--translation_unit={unit}",
    )
    (document,) = table(out, "documents")
    assert document["translated_text"] == DOCUMENT
    rows = table(out, "segments", "select * from t order by segment_index")
    counts = [sum(r["paragraph_index"] == i for r in rows) for i in range(3)]
    assert counts == pieces
    if unit == "sentence":
        first = [r["source_text"] for r in rows if r["paragraph_index"] == 0]
        assert first == [
            "Erster Satz.",
            "Zweiter Satz!",
            "Dritter Satz?",
            "Vierter Satz mit Dr. Weber.",
        ]
        assert [r["separator"] for r in rows[:4]] == ["  ", " ", "\t ", "\r\n\r\n"]
    assert not any("sentence_split" in r["flags"] for r in rows)


def test_an_unknown_unit_is_refused(test_models, tmp_path: Path):
    from core.errors import ConfigError
    from pipeline.config import load_config

    with pytest.raises(ConfigError, match="segment.unit must be one of sentence, paragraph"):
        load_config(
            None,
            {
                "input": ["x"],
                "output": "o",
                "model.path": str(test_models["copy"]),
                "segment.unit": "page",
            },
        )
