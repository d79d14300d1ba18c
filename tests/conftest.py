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
