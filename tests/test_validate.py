"""Configuration problems stop the run before the pipeline starts, naming the key and the fix."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import ctranslate2
import pytest

from core.errors import ConfigError
from pipeline.run import main, run
from tests.conftest import ROOT


def start(tmp_path: Path, model: Path, *flags: str) -> Path:
    """Starts a run that must be refused; returns the output path it must not create."""
    out = tmp_path / "out"
    run(
        [
            "--config", str(ROOT / "configs" / "local.yaml"),
            "--model", str(model),
            "--output", str(out),
            *flags,
        ]
    )  # fmt: skip
    return out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--beam_size=0"], "model.beam_size: 0 is below the minimum 1"),
        (["--batch_token_budget=-1"], "translate.batch_token_budget: -1 is below the minimum 0"),
        (["--max_input_tokens=5000"], r"model.max_input_tokens: 5000 is more than .* \(4095"),
        (["--compute_type=float16"], "model.compute_type: float16 is not supported on cpu here"),
    ],
)  # fmt: skip
def test_impossible_values_fail_before_the_pipeline_starts(test_models, tmp_path, flags, message):
    with pytest.raises(ConfigError, match=message):
        start(tmp_path, test_models["copy"], *flags)
    assert not (tmp_path / "out").exists()


def test_cuda_without_a_gpu_names_the_key_and_the_fix(test_models, tmp_path):
    if ctranslate2.get_cuda_device_count():
        pytest.skip("this machine has a CUDA device")
    with pytest.raises(ConfigError, match=r"model.device: cuda, but .* set `device: cpu`"):
        start(tmp_path, test_models["copy"], "--device=cuda")
    assert not (tmp_path / "out").exists()


def config_with_model(tmp_path: Path, model: Path, settings: str) -> Path:
    """A config file whose `model` section is `path` plus `settings` (YAML flow style)."""
    config = tmp_path / "config.yaml"
    config.write_text(
        f"input: [x]\noutput: {tmp_path / 'out'}\nmodel: {{path: {model}, {settings}}}\n"
    )
    return config


def test_a_value_of_the_wrong_type_names_the_key(test_models, tmp_path):
    config = config_with_model(tmp_path, test_models["copy"], "beam_size: four")
    with pytest.raises(ConfigError, match="model.beam_size: expected integer, got 'four'"):
        run(["--config", str(config)])
    config.write_text(
        config.read_text().replace("beam_size: four", "beam_size: 3") + "read: {id_field: 7}\n"
    )
    with pytest.raises(ConfigError, match="read.id_field: expected string or null, got 7"):
        run(["--config", str(config)])


def test_a_model_directory_that_does_not_match_its_manifest(test_models, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(test_models["copy"], model)
    with (model / "model.bin").open("r+b") as handle:  # one flipped byte, as a bad copy
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 1]))
    with pytest.raises(
        ConfigError, match=r"model.path: .*model.bin has sha256 .* re-run `make convert`"
    ):
        start(tmp_path, model)
    shutil.copyfile(test_models["copy"] / "model.bin", model / "model.bin")
    (model / "shared_vocabulary.json").unlink()
    with pytest.raises(ConfigError, match="shared_vocabulary.json is missing"):
        start(tmp_path, model)


def test_a_style_the_manifest_contradicts(test_models, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(test_models["copy"], model)
    manifest = (model / "manifest.json").read_text()
    (model / "manifest.json").write_text(
        manifest.replace('"model_id"', '"style": "nllb",\n  "model_id"')
    )
    with pytest.raises(ConfigError, match="model.style: 'pair', but .* set `style: nllb`"):
        start(tmp_path, model)
    assert not (tmp_path / "out").exists()


def test_cli_exits_2_with_the_key_on_stderr(test_models, tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(f"input: [x]\noutput: {tmp_path / 'out'}\nread: {{txt_field: text}}\n")
    assert main(["--config", str(config)]) == 2
    assert "unknown key read.'txt_field'" in capsys.readouterr().err


def test_oversubscribed_threads_are_warned_about(test_models, tmp_path, caplog):
    corpus = tmp_path / "doc.txt"
    corpus.write_text("Guten Tag.\n")
    with caplog.at_level(logging.WARNING, logger="pipeline.validate"):
        start(tmp_path, test_models["copy"], f"--input={corpus}", "--intra_threads=64")
    replicas = len(os.sched_getaffinity(0))  # inter_threads 0: one per core
    assert f"model: 1 workers × inter_threads {replicas} × intra_threads 64" in caplog.text
    assert "lower model.intra_threads" in caplog.text


def test_an_unknown_backend_names_the_ones_there_are(test_models, tmp_path):
    config = config_with_model(tmp_path, test_models["copy"], "backend: onnx")
    with pytest.raises(ConfigError, match="model.backend must be one of ctranslate2"):
        run(["--config", str(config)])
    assert not (tmp_path / "out").exists()
