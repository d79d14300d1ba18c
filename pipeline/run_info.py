"""run.json: what ran (config, model, versions), what it counted, and how long it took."""

from __future__ import annotations

import json
import logging
import platform
import time
from importlib import metadata
from typing import Any

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineResult

from pipeline.config import PipelineConfig
from pipeline.report import ReportError, summarize
from transforms.model import model_checksums, model_id
from transforms.rebuild import ROUTE_STATUS_PREFIX

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
LOG = logging.getLogger(__name__)


def metric_counts(result: PipelineResult) -> dict[str, int]:
    """The pipeline's counters (committed values where the runner has them)."""
    counts = {}
    for counter in result.metrics().query()["counters"]:
        if counter.key.metric.namespace == METRICS_NAMESPACE:
            value = counter.committed if counter.committed is not None else counter.attempted
            name = counter.key.metric.name
            counts[name] = counts.get(name, 0) + value
    return counts


def segments_by_route(counts: dict[str, int]) -> list[dict[str, Any]]:
    """The route/status counters as rows {source_lang, target_lang, status, segments}."""
    rows = []
    for name, value in sorted(counts.items()):
        if name.startswith(ROUTE_STATUS_PREFIX + ":"):
            _, source, target, status = name.split(":")
            rows.append(
                {"source_lang": source, "target_lang": target, "status": status, "segments": value}
            )
    return rows


def run_summary(output: str, wall_seconds: float) -> dict[str, Any]:
    """The summary by language pair from the written Parquet (`pipeline.report`); a run
    whose outputs DuckDB cannot read here still succeeds, with the reason instead."""
    try:
        return summarize(output, wall_seconds)
    except ReportError as exc:
        LOG.warning("no run summary: %s", exc)
        return {"error": str(exc)}


def write_run_info(
    config: PipelineConfig, options: PipelineOptions, result: PipelineResult, started: float
) -> dict[str, Any]:
    finished = time.time()
    counts = metric_counts(result)
    info = {
        "output": config.output,
        "state": str(result.state),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "wall_seconds": round(finished - started, 3),
        "config": config.to_dict(),
        "pipeline_options": options.get_all_options(drop_default=True),
        "models": {
            name: {"id": model_id(m.path), "path": m.path, "sha256": model_checksums(m.path)}
            for name, m in config.model_table().items()
        },
        "versions": {
            "python": platform.python_version(),
            **{name: metadata.version(name) for name in PACKAGES},
        },
        "counts": {k: v for k, v in counts.items() if not k.startswith(ROUTE_STATUS_PREFIX)},
        "segments_by_route": segments_by_route(counts),
    }
    info["summary"] = run_summary(config.output, info["wall_seconds"])
    with FileSystems.create(FileSystems.join(config.output, "run.json")) as handle:
        handle.write(json.dumps(info, indent=2, sort_keys=True, default=str).encode())
    return info
