"""The pipeline's Beam metrics: one namespace, names from `core.names.Metric`."""

from __future__ import annotations

from apache_beam.metrics.metric import Metrics

from core.names import Metric

NAMESPACE = "corpus"
UNKNOWN_LANGUAGE = "und"

# The counters run.json's `accounting` reports (under the same names), which a resumed run
# adds up over its units.
ACCOUNTED_METRICS = (
    Metric.DOCUMENTS_READ,
    Metric.DOCUMENTS_WRITTEN,
    Metric.DOCUMENTS_REFUSED,
    Metric.DOCUMENTS_INCOMPLETE,
    Metric.READ_ERRORS,
)


def counter(name: Metric | str) -> Metrics.DelegatingCounter:
    return Metrics.counter(NAMESPACE, str(name))


def distribution(name: Metric) -> Metrics.DelegatingDistribution:
    return Metrics.distribution(NAMESPACE, str(name))


def route_status_metric(source_lang: str | None, target_lang: str | None, status: str) -> str:
    """Counter name for a final segment: `segments_by_route:<source>:<target>:<status>`."""
    return f"{Metric.SEGMENTS_BY_ROUTE}:{source_lang or UNKNOWN_LANGUAGE}:{target_lang}:{status}"


def reused_tokens_metric(source_lang: str | None, target_lang: str | None) -> str:
    """Counter name for the reused target tokens of a pair: `target_tokens_reused:<s>:<t>`."""
    return f"{Metric.TARGET_TOKENS_REUSED}:{source_lang or UNKNOWN_LANGUAGE}:{target_lang}"


def parse_reused_tokens_metric(name: str) -> tuple[str, str] | None:
    """(source, target) of a reused-tokens counter name; None for other counters."""
    prefix, _, rest = name.partition(":")
    if prefix != Metric.TARGET_TOKENS_REUSED or not rest:
        return None
    source, target = rest.split(":")
    return source, target


def parse_route_status_metric(name: str) -> tuple[str, str, str] | None:
    """(source, target, status) of a route/status counter name; None for other counters."""
    prefix, _, rest = name.partition(":")
    if prefix != Metric.SEGMENTS_BY_ROUTE or not rest:
        return None
    source, target, status = rest.split(":")
    return source, target, status
