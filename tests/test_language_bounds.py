"""A paragraph's script bounds the document-language fallback, and text with no words
(hex dumps, hashes) passes through rather than going to the model."""

from __future__ import annotations

import pytest

from tests.test_pipeline_end_to_end import table, translate
from text.scripts import has_words, script_of, written_in

LICENCE = (
    "This program is free software: you can redistribute it and/or modify it under the "
    "terms of the GNU General Public License as published by the Free Software Foundation."
)


@pytest.mark.parametrize(
    ("text", "script"),
    [("中文说明", "HAN"), ("Справка", "CYRILLIC"), ("Hilfe", "LATIN"), ("12 34", None)],
)
def test_the_script_of_a_text_is_that_of_most_of_its_letters(text, script):
    assert script_of(text) == script


def test_languages_are_bound_to_their_scripts():
    assert not written_in("en", "HAN")
    assert not written_in("en", "CYRILLIC")
    assert written_in("ru", "CYRILLIC") and written_in("ja", "KANA")
    assert written_in("de", "LATIN") and written_in("de", None)


@pytest.mark.parametrize(
    "text",
    [
        "00000000  7f 45 4c 46 02 01 01 00  |.ELF....|",
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "a3f9c2e1b7d04e5f9c2e",
    ],
)
def test_dumps_and_hashes_hold_no_words(text):
    assert not has_words(text)


@pytest.mark.parametrize("text", ["Ja", "中文", "=SUMME(A1:A10)", "ANZAHL2", "Dr. Weber"])
def test_short_words_formulas_and_names_hold_words(text):
    assert has_words(text)


def test_uncertain_paragraphs_keep_a_script_the_document_language_lacks(test_models, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    dump = "00000000  7f 45 4c 46 02 01 01 00  |.ELF....|"
    text = f"{LICENCE}\n\n使用说明\n\n安装软件\n\nJane Doe\n\n{dump}\n"
    (corpus / "page.txt").write_text(text)
    out = translate(tmp_path, test_models["copy"], [f"{corpus}/*"], "--target_lang=de")
    rows = {r["source_text"]: r for r in table(out, "segments")}
    for chinese in ("使用说明", "安装软件"):
        assert rows[chinese]["source_lang"] != "en"  # not passed through as English
        assert rows[chinese]["status"] != "passthrough"
        assert "lang_script_bound" in rows[chinese]["flags"]
    assert rows["Jane Doe"]["source_lang"] == "en"  # Latin script: the document's language
    assert "lang_from_document" in rows["Jane Doe"]["flags"]
    assert rows[dump]["status"] == "passthrough"
    assert "no_words" in rows[dump]["flags"]
    (document,) = table(out, "documents")
    assert document["translated_text"] == text
