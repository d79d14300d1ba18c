"""Glossaries: file format, most specific entry per pair, whole-word matching, and terms
enforced through the real pipeline with the swapcase model."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigError
from pipeline.config import load_config, settings_fingerprint
from tests.conftest import ROOT
from tests.test_pipeline_end_to_end import table
from tests.test_protect import translate_document
from text.glossary import Glossary, GlossaryError, parse_glossary

GLOSSARY = """\
# source_lang\ttarget_lang\tterm\ttranslation (none: keep the term)
de\ten\tPaket\tpackage
de\t*\tDatei\tfile
de\ten\tDatei\tdata file
*\t*\tInstallation
fr\ten\tPaket\tparcel
*\ten\t42\tforty-two
"""


def test_the_most_specific_entry_wins_per_pair():
    glossary = Glossary(parse_glossary(GLOSSARY, "g.tsv"))
    assert glossary.terms("de", "en") == {
        "Paket": "package",
        "Datei": "data file",
        "Installation": "Installation",
        "42": "forty-two",
    }
    assert glossary.terms("de", "fr") == {"Datei": "file", "Installation": "Installation"}
    assert glossary.terms("fr", "en")["Paket"] == "parcel"


def test_terms_match_whole_words_case_sensitively_longest_first():
    glossary = Glossary(parse_glossary("*\t*\tNew York\n*\t*\tYork\tYORK\n", "g.tsv"))
    text = "New York, York, Yorkshire, york"
    assert glossary.matches(text, "en", "de") == [(0, 8, "New York"), (10, 14, "YORK")]


@pytest.mark.parametrize(
    "line", ["de\ten", "de\ten\tPaket\tpackage\textra", "de\t\tPaket", "de en Paket"]
)
def test_a_malformed_line_is_refused_with_its_line_number(line):
    with pytest.raises(GlossaryError, match=r"g\.tsv:2: expected"):
        parse_glossary("# header\n" + line + "\n", "g.tsv")


def test_config_names_the_glossary_problem(tmp_path: Path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("de\ten\n")
    overrides = {"input": "x", "output": "y", "protect.glossary": str(bad)}
    with pytest.raises(ConfigError, match=r"protect\.glossary: .*bad\.tsv:1"):
        load_config(str(ROOT / "configs" / "local.yaml"), overrides)
    overrides["protect.glossary"] = str(tmp_path / "missing.tsv")
    with pytest.raises(ConfigError, match="cannot read glossary"):
        load_config(str(ROOT / "configs" / "local.yaml"), overrides)


def test_glossary_terms_are_enforced_by_the_pipeline(test_models, tmp_path: Path):
    glossary = tmp_path / "glossary.tsv"
    glossary.write_text(GLOSSARY)
    text = (
        "Das Paket enthält die Datei für die Installation, Paketdienst und Dateien nicht.\n\n"
        "Antwort: 42 Pakete, {42} bleibt."
    )
    out = translate_document(tmp_path, test_models["swapcase"], text, f"--glossary={glossary}")
    rows = table(out, "segments", "select * from t order by segment_index")
    # Terms become their translation, untouched by the model; the rest is swapped; "{42}"
    # in the source is text, not a placeholder, and the term 42 does not match inside it.
    assert [r["translated_text"] for r in rows] == [
        "dAS package ENTHÄLT DIE data file FÜR DIE Installation, pAKETDIENST UND dATEIEN NICHT.",
        "aNTWORT: forty-two pAKETE, {42} BLEIBT.",
    ]
    assert [r["source_text"] for r in rows] == text.split("\n\n")
    assert all("glossary" in r["flags"] for r in rows)


def test_a_changed_glossary_changes_the_settings_fingerprint(test_models, tmp_path: Path):
    glossary = tmp_path / "glossary.tsv"
    overrides = {
        "input": "x",
        "output": "y",
        "model.path": str(test_models["copy"]),
        "protect.glossary": str(glossary),
    }
    fingerprints = []
    for content in (GLOSSARY, GLOSSARY + "de\ten\tOrdner\tfolder\n"):
        glossary.write_text(content)
        config = load_config(str(ROOT / "configs" / "local.yaml"), overrides)
        fingerprints.append(settings_fingerprint(config))
    glossary.write_text(GLOSSARY)
    again = settings_fingerprint(load_config(str(ROOT / "configs" / "local.yaml"), overrides))
    assert fingerprints[0] != fingerprints[1] and again == fingerprints[0]
