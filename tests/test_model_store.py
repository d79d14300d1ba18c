"""Model copy-and-verify: a model is fetched through Beam FileSystems, checked against its
manifest.json, and a missing or corrupted file fails the load with a clear message."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from backends import ModelSettings
from backends.ct2 import CTranslate2Backend
from backends.store import (
    ModelVerificationError,
    main,
    prepare_model,
    read_manifest,
    verify_model_dir,
)
from pipeline.run import run
from tests.conftest import ROOT, SAMPLE_CORPUS


@pytest.fixture
def model_copy(test_models, tmp_path) -> Path:
    """A private copy of the copy model, free to corrupt."""
    return Path(shutil.copytree(test_models["copy"], tmp_path / "model"))


def corrupt(file: Path) -> None:
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01
    file.write_bytes(bytes(data))


def published(cache_root: Path) -> list[str]:
    return sorted(p.name for p in cache_root.iterdir()) if cache_root.exists() else []


def test_copy_is_verified_cached_and_loads(model_copy, tmp_path):
    cache = tmp_path / "cache"
    local = Path(prepare_model(str(model_copy), cache, copy=True))
    assert local.parent == cache and local != model_copy
    manifest = read_manifest(str(model_copy))
    assert {p.name for p in local.iterdir()} == {*manifest["files"], "manifest.json"}
    for name in manifest["files"]:
        assert (local / name).read_bytes() == (model_copy / name).read_bytes()
    inode = (local / "model.bin").stat().st_ino
    assert prepare_model(str(model_copy), cache, copy=True) == str(local)
    assert (local / "model.bin").stat().st_ino == inode  # reused, not copied again
    model = CTranslate2Backend(ModelSettings(path=str(local))).load_model()
    pieces = model.tokenizer.encode("Guten Tag, Welt.", "de")
    assert model.translate([pieces], ["en"])[0].text == "Guten Tag, Welt."
    assert model.model_id == "copy-test-v1"


def test_concurrent_copies_publish_one_verified_directory(model_copy, tmp_path):
    cache = tmp_path / "cache"
    with ThreadPoolExecutor(4) as pool:
        paths = set(pool.map(lambda _: prepare_model(str(model_copy), cache, True), range(4)))
    assert len(paths) == 1
    assert published(cache) == [Path(paths.pop()).name]  # no staging directories left behind


def test_corrupted_source_fails_the_copy_and_publishes_nothing(model_copy, tmp_path):
    corrupt(model_copy / "model.bin")
    cache = tmp_path / "cache"
    with pytest.raises(ModelVerificationError, match=r"model\.bin has sha256 [0-9a-f]{64}"):
        prepare_model(str(model_copy), cache, copy=True)
    assert published(cache) == []


def test_cached_copy_corrupted_later_is_refused(model_copy, tmp_path):
    cache = tmp_path / "cache"
    local = Path(prepare_model(str(model_copy), cache, copy=True))
    corrupt(local / "target.spm")
    with pytest.raises(ModelVerificationError, match=rf"{local}.*target\.spm has sha256"):
        prepare_model(str(model_copy), cache, copy=True)


def test_local_model_is_verified_in_place(model_copy, tmp_path):
    assert prepare_model(str(model_copy), tmp_path / "cache", copy=False) == str(model_copy)
    (model_copy / "source.spm").unlink()
    corrupt(model_copy / "model.bin")
    with pytest.raises(ModelVerificationError) as error:
        verify_model_dir(model_copy, read_manifest(str(model_copy)))
    assert "model.bin has sha256" in str(error.value)
    assert "source.spm is missing" in str(error.value)
    with pytest.raises(ModelVerificationError, match="does not match its manifest.json"):
        CTranslate2Backend(ModelSettings(path=str(model_copy))).load_model()


def test_manifest_without_files_is_refused_with_the_reason(model_copy):
    (model_copy / "manifest.json").write_text('{"model_id": "hand-written"}')
    with pytest.raises(ModelVerificationError, match='lists no files .a "files"'):
        verify_model_dir(model_copy, read_manifest(str(model_copy)))


def test_model_without_manifest(model_copy, tmp_path, capsys):
    (model_copy / "manifest.json").unlink()
    assert prepare_model(str(model_copy), tmp_path / "cache", copy=False) == str(model_copy)
    with pytest.raises(ModelVerificationError, match="no manifest.json.*backends.store"):
        prepare_model(str(model_copy), tmp_path / "cache", copy=True)
    assert main([str(model_copy), "--model_id", "my-model"]) == 0
    assert "my-model, 5 files" in capsys.readouterr().out
    manifest = read_manifest(str(model_copy))
    assert manifest["model_id"] == "my-model"
    assert set(manifest["files"]) == {p.name for p in model_copy.iterdir()} - {"manifest.json"}
    assert Path(prepare_model(str(model_copy), tmp_path / "cache", copy=True)).is_dir()


def test_pipeline_with_a_corrupted_model_fails_naming_the_file(model_copy, tmp_path):
    corrupt(model_copy / "model.bin")
    with pytest.raises(Exception, match=r"does not match its manifest.json: model\.bin"):
        run(
            [
                f"--config={ROOT / 'configs' / 'local.yaml'}",
                f"--model={model_copy}",
                f"--input={SAMPLE_CORPUS}/news/*",
                f"--output={tmp_path / 'out'}",
            ]
        )
    assert not (tmp_path / "out" / "run.json").exists()
