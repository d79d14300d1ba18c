"""A model's manifest sets its limits and bounds its routes: a real model needs no flags, and
a paragraph in a language the model does not know is left untranslated with the reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backends import ModelSettings
from tests.conftest import ROOT
from tests.test_pipeline_end_to_end import table, translate
from transforms.route import Route, RouteTable


def model_with(tmp_path: Path, source: Path, **manifest_changes) -> Path:
    """A copy of a test model whose manifest.json states other limits or languages."""
    model = tmp_path / "model"
    shutil.copytree(source, model)
    manifest = json.loads((model / "manifest.json").read_text())
    manifest.update(manifest_changes)
    (model / "manifest.json").write_text(json.dumps(manifest))
    return model


def test_limits_come_from_the_manifest_unless_set(tmp_path: Path):
    (tmp_path / "manifest.json").write_text(
        json.dumps({"max_input_tokens": 256, "max_decoding_length": 300})
    )
    assert ModelSettings(path=str(tmp_path)).max_input_tokens == 256
    assert ModelSettings(path=str(tmp_path)).max_decoding_length == 300
    assert ModelSettings(path=str(tmp_path), max_input_tokens=100).max_input_tokens == 100
    # No manifest: the defaults; a manifest allowing more: no more than the defaults.
    assert ModelSettings(path=str(tmp_path / "none")).max_input_tokens == 512
    (tmp_path / "manifest.json").write_text(json.dumps({"max_input_tokens": 4095}))
    settings = ModelSettings(path=str(tmp_path))
    assert (settings.max_input_tokens, settings.max_decoding_length) == (512, 1024)


def test_the_shipped_config_runs_a_model_with_lower_limits(test_models, tmp_path: Path):
    """configs/local.yaml once set 512 / 1024, which a 256-token model refused."""
    from pipeline.config import load_config
    from pipeline.validate import check_run

    model = model_with(tmp_path, test_models["copy"], max_input_tokens=256, max_decoding_length=512)
    config = load_config(str(ROOT / "configs" / "local.yaml"), {"model.path": str(model)})
    check_run(config, local=True, workers=1)
    assert (config.model.max_input_tokens, config.model.max_decoding_length) == (256, 512)


@pytest.mark.parametrize(
    ("languages", "source", "allowed"),
    [
        (["de", "fr", "es", "vi"], "de", True),
        (["de", "fr", "es", "vi"], "it", False),
        (["deu_Latn", "fra_Latn"], "de", True),
        (["deu_Latn", "fra_Latn"], "ru", False),
        ([], "ru", True),
    ],
)
def test_the_model_languages_bound_the_routes(tmp_path: Path, languages, source, allowed):
    (tmp_path / "manifest.json").write_text(json.dumps({"languages": languages}))
    routes = RouteTable([Route("*", "en", "m")], {"m": ModelSettings(path=str(tmp_path))})
    name, reason = routes.model_for(source, "en")
    assert (name == "m") is allowed
    if not allowed:
        assert reason.startswith(f"model 'm' does not translate {source} → en")


def test_target_languages_bound_the_routes_too(tmp_path: Path):
    model = ModelSettings(path=str(tmp_path), source_languages=[], target_languages=["en"])
    routes = RouteTable([Route("*", "de", "m")], {"m": model})
    assert routes.model_for("fr", "de")[0] is None


def test_paragraphs_the_model_does_not_know_are_untranslated(test_models, tmp_path: Path):
    model = model_with(tmp_path, test_models["copy"], languages=["de", "fr", "es", "vi"])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    german = "Das ist ein deutscher Absatz über die Übersetzung von Dokumenten."
    italian = "Questo è un paragrafo italiano sulla traduzione automatica dei documenti."
    (corpus / "mixed.txt").write_text(f"{german}\n\n{italian}\n")
    out = translate(tmp_path, model, [f"{corpus}/*"])
    rows = {r["source_lang"]: r for r in table(out, "segments")}
    assert rows["de"]["status"] == "translated"
    assert rows["it"]["status"] == "untranslated"
    assert "does not translate it → en" in rows["it"]["error"]
