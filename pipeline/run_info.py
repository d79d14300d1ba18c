"""run.json: what ran (config, model, versions), what it counted, and how long it took."""

from __future__ import annotations

import json
import platform
import time
from importlib import metadata
from typing import Any

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineResult

from pipeline.config import PipelineConfig
from transforms.model import model_id
from transforms.model_store import recorded_checksums

PACKAGES = (
    "apache-beam",
    "ctranslate2",
    "sentencepiece",
    "pyarrow",
    "py3langid",
    "pysbd",
    "charset-normalizer",
)
METRICS_NAMESPACE = "corpus"


def metric_counts(result: PipelineResult) -> dict[str, int]:
    """The pipeline's counters (committed values where the runner has them)."""
    counts = {}
    for counter in result.metrics().query()["counters"]:
        if counter.key.metric.namespace == METRICS_NAMESPACE:
            value = counter.committed if counter.committed is not None else counter.attempted
            name = counter.key.metric.name
            counts[name] = counts.get(name, 0) + value
    return counts


def write_run_info(
    config: PipelineConfig, options: PipelineOptions, result: PipelineResult, started: float
) -> dict[str, Any]:
    finished = time.time()
    info = {
        "output": config.output,
        "state": str(result.state),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "wall_seconds": round(finished - started, 3),
        "config": config.to_dict(),
        "pipeline_options": options.get_all_options(drop_default=True),
        "model": {
            "id": model_id(config.model.path),
            "path": config.model.path,
            "sha256": recorded_checksums(config.model.path),
        },
        "versions": {
            "python": platform.python_version(),
            **{name: metadata.version(name) for name in PACKAGES},
        },
        "counts": metric_counts(result),
    }
    with FileSystems.create(FileSystems.join(config.output, "run.json")) as handle:
        handle.write(json.dumps(info, indent=2, sort_keys=True, default=str).encode())
    return info
