"""Multilingual routing: every paragraph reaches the model its route names (by exact
output text and model id), passthrough, no-route, several targets, NLLB-style models."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from core.errors import ConfigError
from pipeline.config import load_config
from pipeline.run import run
from tests.test_pipeline_end_to_end import table
from tools.build_test_models import swapcase_reference

GERMAN = (
    "Der Hauptbahnhof bleibt am kommenden Wochenende wegen umfangreicher Bauarbeiten "
    "vollständig geschlossen. Reisende werden gebeten, die Ersatzbusse vor dem Rathaus zu "
    "nutzen, die alle zehn Minuten fahren."
)
FRENCH = (
    "La gare centrale restera fermée tout le week-end en raison de travaux importants. "
    "Les voyageurs sont priés de prendre les bus de remplacement devant la mairie."
)
SPANISH = (
    "La estación central permanecerá cerrada todo el fin de semana por obras. Los viajeros "
    "deben usar los autobuses que salen cada diez minutos desde el ayuntamiento."
)
ENGLISH = "The central station will be closed all weekend because of major construction work."
NUMBERS = "12.05.2026 – 14:30"
NAME = "Maria Schneider"
DOCUMENT = "\n\n".join([GERMAN, FRENCH, SPANISH, ENGLISH, NUMBERS, NAME]) + "\n"


def renamed_model(source: Path, target: Path, model_id: str) -> Path:
    """The same weights under another model id, so rows show which route they took."""
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["model_id"] = model_id
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


@pytest.fixture(scope="module")
def routed(test_models, tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("routed")
    (tmp / "corpus").mkdir()
    (tmp / "corpus" / "station.txt").write_text(DOCUMENT)
    nllb_swap = renamed_model(test_models["swapcase"], tmp / "nllb-swap", "nllb-swapcase")
    nllb_copy = renamed_model(test_models["copy"], tmp / "nllb-copy", "nllb-copy")
    config = {
        "input": [str(tmp / "corpus" / "*.txt")],
        "output": str(tmp / "out"),
        "target_lang": ["en", "de"],
        "segment": {"unit": "paragraph"},  # rows keyed by paragraph
        "models": {
            "de-en": {"path": str(test_models["copy"])},
            "fr-en": {"path": str(test_models["swapcase"])},
            "multi-en": {"path": str(nllb_swap), "style": "nllb"},
            "multi-de": {"path": str(nllb_copy), "style": "nllb"},
        },
        "routes": [
            {"source": "de", "target": "en", "model": "de-en"},
            {"source": "fr", "target": "en", "model": "fr-en"},
            {"source": "*", "target": "en", "model": "multi-en"},
            {"source": "en", "target": "de", "model": "multi-de"},
        ],
    }
    (tmp / "config.yaml").write_text(yaml.safe_dump(config))
    run(["--config", str(tmp / "config.yaml")])
    return tmp / "out"


def rows_for(out: Path, target: str) -> dict[str, dict]:
    rows = table(out, "segments", f"select * from t where target_lang = '{target}'")
    return {row["source_text"]: row for row in rows}


def test_every_paragraph_reaches_the_model_its_route_names(routed):
    rows = rows_for(routed, "en")
    expected = {
        GERMAN: ("de", "translated", "copy-test-v1", GERMAN),
        FRENCH: ("fr", "translated", "swapcase-test-v1", swapcase_reference(FRENCH)),
        SPANISH: ("es", "translated", "nllb-swapcase", swapcase_reference(SPANISH)),
        ENGLISH: ("en", "passthrough", None, ENGLISH),
        NUMBERS: (None, "passthrough", None, NUMBERS),
        NAME: ("de", "translated", "copy-test-v1", NAME),
    }
    got = {
        text: (r["source_lang"], r["status"], r["model_id"], r["translated_text"])
        for text, r in rows.items()
    }
    assert got == expected
    assert "no_letters" in rows[NUMBERS]["flags"]


def test_a_name_takes_the_documents_language(routed):
    row = rows_for(routed, "en")[NAME]
    assert row["source_lang"] == "de"
    assert "lang_from_document" in row["flags"]


def test_second_target_has_its_own_rows_and_document(routed):
    rows = rows_for(routed, "de")
    assert rows[ENGLISH]["status"] == "translated"
    assert rows[ENGLISH]["model_id"] == "nllb-copy"
    assert rows[ENGLISH]["translated_text"] == ENGLISH
    assert rows[GERMAN]["status"] == "passthrough"
    for text in (FRENCH, SPANISH):
        assert rows[text]["status"] == "untranslated"
        assert rows[text]["translated_text"] is None
        assert rows[text]["error"].startswith("no route for")
    documents = {row["target_lang"]: row for row in table(routed, "documents")}
    assert set(documents) == {"en", "de"}
    assert documents["de"]["status"] == "partial"
    assert documents["de"]["translated_text"] == DOCUMENT
    assert documents["en"]["status"] == "translated"
    assert documents["en"]["translated_text"] == DOCUMENT.replace(
        FRENCH, swapcase_reference(FRENCH)
    ).replace(SPANISH, swapcase_reference(SPANISH))


def test_run_json_counts_segments_by_route_and_status(routed):
    info = json.loads((routed / "run.json").read_text())
    counts = {
        (r["source_lang"], r["target_lang"], r["status"]): r["segments"]
        for r in info["segments_by_route"]
    }
    assert counts == {
        ("de", "en", "translated"): 2,
        ("fr", "en", "translated"): 1,
        ("es", "en", "translated"): 1,
        ("en", "en", "passthrough"): 1,
        ("und", "en", "passthrough"): 1,
        ("de", "de", "passthrough"): 2,
        ("en", "de", "translated"): 1,
        ("fr", "de", "untranslated"): 1,
        ("es", "de", "untranslated"): 1,
        ("und", "de", "passthrough"): 1,
    }
    assert set(info["models"]) == {"de-en", "fr-en", "multi-en", "multi-de"}


def test_routes_must_name_defined_models_and_targets(tmp_path):
    base = {"input": ["x"], "output": "o", "models": {"m": {"path": "p"}}}
    bad_model = {**base, "routes": [{"source": "*", "target": "en", "model": "nope"}]}
    bad_target = {**base, "routes": [{"source": "*", "target": "fr", "model": "m"}]}
    bad_key = {**base, "routes": [{"from": "*", "target": "en", "model": "m"}]}
    for config, message in (
        (bad_model, "routes[0].model"),
        (bad_target, "routes[0].target"),
        (bad_key, "unknown key routes[0].'from'"),
    ):
        path = tmp_path / "c.yaml"
        path.write_text(yaml.safe_dump(config))
        with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
            load_config(str(path), {})


def test_a_per_document_language_hint_overrides_detection(test_models, tmp_path):
    corpus = tmp_path / "hinted.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "hinted", "text": GERMAN, "lang": "fr"},
                {"id": "detected", "text": GERMAN},
            ]
        )
        + "\n"
    )
    out = tmp_path / "out"
    run(
        [
            "--input",
            str(corpus),
            "--output",
            str(out),
            "--model",
            str(test_models["copy"]),
            "--lang_field",
            "lang",
            "--id_field",
            "id",
        ]
    )
    langs = {r["doc_id"]: r["source_lang"] for r in table(out, "segments")}
    assert langs == {"hinted": "fr", "detected": "de"}
