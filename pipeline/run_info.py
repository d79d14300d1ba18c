"""run.json: what ran (config, model, versions), what it counted, and how long it took."""

from __future__ import annotations

import json
import logging
import platform
import time
from importlib import metadata
from typing import Any

import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.runners.runner import PipelineResult

from pipeline.config import PipelineConfig
from pipeline.output import RUN_INFO
from pipeline.report import ReportError, summarize
from transforms.accounting import STAGE as ACCOUNTING_STAGE
from transforms.accounting import VIOLATIONS_METRIC
from transforms.model import model_id
from transforms.model_store import recorded_checksums
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


def accounting(counts: dict[str, int], errors_dir: str) -> dict[str, Any]:
    """The documents-in = documents-out check, with the documents that break it (once
    `pipeline.audit` has named them; until then, the count of failed checks)."""
    violations = counts.get(VIOLATIONS_METRIC, 0)
    named = []
    if violations:
        for match in FileSystems.match([FileSystems.join(errors_dir, "*.parquet")]):
            for meta in match.metadata_list:
                with FileSystems.open(meta.path) as handle:
                    rows = pq.read_table(handle, columns=["doc_id", "stage"]).to_pylist()
                # The balance's own row names no document (doc_id null).
                named += [
                    row["doc_id"]
                    for row in rows
                    if row["stage"] == ACCOUNTING_STAGE and row["doc_id"] is not None
                ]
    return {
        "documents_read": counts.get("documents_read", 0),
        "documents_written": counts.get("documents_written", 0),
        "documents_refused": counts.get("documents_refused", 0),
        "documents_incomplete": counts.get("documents_incomplete", 0),
        "read_errors": counts.get("read_errors", 0),
        "violations": sorted(named) or violations,
        "ok": violations == 0,
    }


def run_summary(output: str, wall_seconds: float) -> dict[str, Any]:
    """The summary by language pair from the written Parquet (`pipeline.report`); a run
    whose outputs DuckDB cannot read here still succeeds, with the reason instead."""
    try:
        return summarize(output, wall_seconds)
    except ReportError as exc:
        LOG.warning("no run summary: %s", exc)
        return {"error": str(exc)}


def write_run_info(
    config: PipelineConfig,
    options: PipelineOptions,
    result: PipelineResult,
    started: float,
    directory: str,
) -> dict[str, Any]:
    """Writes run.json into `directory` (the staged run) and returns its content."""
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
            name: {"id": model_id(m.path), "path": m.path, "sha256": recorded_checksums(m.path)}
            for name, m in config.model_table().items()
        },
        "versions": {
            "python": platform.python_version(),
            **{name: metadata.version(name) for name in PACKAGES},
        },
        "counts": {k: v for k, v in counts.items() if not k.startswith(ROUTE_STATUS_PREFIX)},
        "segments_by_route": segments_by_route(counts),
        "accounting": accounting(counts, FileSystems.join(directory, "errors")),
    }
    summary = run_summary(directory, info["wall_seconds"])
    # The summary is computed on the staged run; it describes the final location.
    info["summary"] = summary if "error" in summary else {**summary, "output": config.output}
    with FileSystems.create(FileSystems.join(directory, RUN_INFO)) as handle:
        handle.write(json.dumps(info, indent=2, sort_keys=True, default=str).encode())
    return info
