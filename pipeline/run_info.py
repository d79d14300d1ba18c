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

from backends.store import model_id, recorded_checksums
from core.metrics import (
    ACCOUNTED_METRICS,
    NAMESPACE,
    parse_reused_tokens_metric,
    parse_route_status_metric,
)
from core.names import Column, File, Metric, RunKey, Stage, SummaryKey, Table
from pipeline.config import PipelineConfig
from reports.summary import ReportError, reused_tokens_of, summarize, with_reused_tokens

PACKAGES = (
    "apache-beam",
    "ctranslate2",
    "sentencepiece",
    "pyarrow",
    "py3langid",
    "pysbd",
)
LOG = logging.getLogger(__name__)


def metric_counts(result: PipelineResult) -> dict[str, int]:
    """The pipeline's counters (committed values where the runner has them)."""
    counts = {}
    for counter in result.metrics().query()["counters"]:
        if counter.key.metric.namespace == NAMESPACE:
            value = counter.committed if counter.committed is not None else counter.attempted
            name = counter.key.metric.name
            counts[name] = counts.get(name, 0) + value
    return counts


def segments_by_route(counts: dict[str, int]) -> list[dict[str, Any]]:
    """The route/status counters as rows {source_lang, target_lang, status, segments}."""
    rows = []
    for name, value in sorted(counts.items()):
        route = parse_route_status_metric(name)
        if route is not None:
            source, target, status = route
            rows.append(
                {
                    Column.SOURCE_LANG: source,
                    Column.TARGET_LANG: target,
                    Column.STATUS: status,
                    SummaryKey.SEGMENTS: value,
                }
            )
    return rows


def per_pair(name: str) -> bool:
    """Counters kept per language pair, which run.json lists in tables of their own."""
    return parse_route_status_metric(name) is not None or bool(parse_reused_tokens_metric(name))


def reused_target_tokens(counts: dict[str, int]) -> list[dict[str, Any]]:
    """The reused-token counters as rows {source_lang, target_lang, reused_target_tokens}."""
    rows = []
    for name, value in sorted(counts.items()):
        pair = parse_reused_tokens_metric(name)
        if pair:
            rows.append(
                {
                    Column.SOURCE_LANG: pair[0],
                    Column.TARGET_LANG: pair[1],
                    SummaryKey.REUSED_TARGET_TOKENS: value,
                }
            )
    return rows


def accounting(counts: dict[str, int], errors_dir: str) -> dict[str, Any]:
    """The documents-in = documents-out check, with the documents that break it (once
    `pipeline.audit` has named them; until then, the count of failed checks)."""
    violations = counts.get(Metric.ACCOUNTING_VIOLATIONS, 0)
    named = []
    if violations:
        for match in FileSystems.match([FileSystems.join(errors_dir, f"*{File.PARQUET_SUFFIX}")]):
            for meta in match.metadata_list:
                with FileSystems.open(meta.path) as handle:
                    columns = [Column.DOC_ID, Column.STAGE]
                    rows = pq.read_table(handle, columns=columns).to_pylist()
                # The balance's own row names no document (doc_id null).
                named += [
                    row[Column.DOC_ID]
                    for row in rows
                    if row[Column.STAGE] == Stage.ACCOUNTING and row[Column.DOC_ID] is not None
                ]
    return {
        **{RunKey(metric.value): counts.get(metric, 0) for metric in ACCOUNTED_METRICS},
        RunKey.VIOLATIONS: sorted(named) or violations,
        RunKey.OK: violations == 0,
    }


def run_summary(output: str, wall_seconds: float) -> dict[str, Any]:
    """The summary by language pair from the written Parquet (`reports.summary`); a run
    whose outputs DuckDB cannot read here still succeeds, with the reason instead."""
    try:
        return summarize(output, wall_seconds)
    except ReportError as exc:
        LOG.warning("no run summary: %s", exc)
        return {SummaryKey.ERROR: str(exc)}


def write_run_info(
    config: PipelineConfig,
    options: PipelineOptions,
    result: PipelineResult,
    started: float,
    directory: str,
    reused: dict[str, int] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Writes run.json into `directory` (the staged run) and returns its content.
    `reused`: accounting counts of the units earlier attempts committed (`pipeline.resume`);
    `extra`: more top-level keys, with their summary keys (`summary`)."""
    finished = time.time()
    counts = metric_counts(result)
    totals = {k: counts.get(k, 0) + (reused or {}).get(k, 0) for k in {*counts, *(reused or {})}}
    info = {
        RunKey.OUTPUT: config.output,
        RunKey.STATE: str(result.state),
        RunKey.STARTED_AT: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        RunKey.WALL_SECONDS: round(finished - started, 3),
        RunKey.CONFIG: config.to_dict(),
        RunKey.PIPELINE_OPTIONS: options.get_all_options(drop_default=True),
        RunKey.MODELS: {
            name: {
                RunKey.ID: model_id(m.path),
                RunKey.PATH: m.path,
                RunKey.SHA256: recorded_checksums(m.path),
            }
            for name, m in config.model_table().items()
        },
        RunKey.VERSIONS: {
            "python": platform.python_version(),
            **{name: metadata.version(name) for name in PACKAGES},
        },
        RunKey.COUNTS: {k: v for k, v in counts.items() if not per_pair(k)},
        RunKey.SEGMENTS_BY_ROUTE: segments_by_route(counts),
        RunKey.REUSED_TARGET_TOKENS: reused_target_tokens(counts),
        RunKey.ACCOUNTING: accounting(totals, FileSystems.join(directory, Table.ERRORS)),
    }
    extra = dict(extra or {})
    extra_summary = extra.pop(RunKey.SUMMARY, {})
    info.update(extra)
    summary = run_summary(directory, info[RunKey.WALL_SECONDS])
    if SummaryKey.ERROR not in summary:
        summary = with_reused_tokens(summary, reused_tokens_of(info))
    # The summary is computed on the staged run; it describes the final location.
    if SummaryKey.ERROR not in summary:
        summary = {**summary, **extra_summary, SummaryKey.OUTPUT: config.output}
    info[RunKey.SUMMARY] = summary
    with FileSystems.create(FileSystems.join(directory, File.RUN_INFO)) as handle:
        handle.write(json.dumps(info, indent=2, sort_keys=True, default=str).encode())
    return info
