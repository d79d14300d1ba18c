"""Shared fixtures: the functional test models and a local (offline) test pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from apache_beam.testing.test_pipeline import TestPipeline

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "samples" / "corpus"


def run_pipeline(inputs: list[str], out: Path, model: Path, *flags: str) -> dict:
    """Runs the whole pipeline (pipeline.run) and returns its run.json content."""
    from pipeline.run import run

    patterns = [f"--input={pattern}" for pattern in inputs]
    return run([*patterns, "--output", str(out), "--model", str(model), *flags])


def local_pipeline() -> TestPipeline:
    """The FnApiRunner directly: the DirectRunner would first try to download Prism."""
    return TestPipeline(runner="FnApiRunner")


@pytest.fixture(scope="session")
def test_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tools.build_test_models import build_all

    return build_all(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def report_run(test_models, tmp_path_factory) -> Path:
    """A run with every kind of row a report shows: two routed pairs (copy and swapcase
    models), passthrough, untranslated (no route for es and vi), and read/split errors."""
    import yaml

    from pipeline.run import run

    tmp = tmp_path_factory.mktemp("report_run")
    bad = tmp / "bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    (bad / "empty.txt").write_bytes(b"")
    config = {
        "input": [f"{SAMPLE_CORPUS}/**", str(bad / "*")],
        "output": str(tmp / "out"),
        "read": {"id_field": "id"},
        "models": {
            "de-en": {"path": str(test_models["copy"])},
            "fr-en": {"path": str(test_models["swapcase"])},
        },
        "routes": [
            {"source": "de", "target": "en", "model": "de-en"},
            {"source": "fr", "target": "en", "model": "fr-en"},
        ],
    }
    (tmp / "config.yaml").write_text(yaml.safe_dump(config))
    run(["--config", str(tmp / "config.yaml")])
    return tmp / "out"
