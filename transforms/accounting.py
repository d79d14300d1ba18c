"""CheckAccounting: every document read is accounted for, exactly once per target.

A document read must be written once for every target language, unless it was
refused as a whole (empty, too many paragraphs) or could not be rebuilt
(segments missing): then it is in errors/ instead. Anything else (a document
lost or written twice) becomes an `accounting` error row and a counter, which
makes the run fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.records import ErrorRecord, SourceDocument, TranslatedDocument

STAGE = "accounting"
VIOLATIONS_METRIC = "accounting_violations"  # run_info fails the run on it

DocumentKey = tuple[str, str]


def account(key: DocumentKey, groups: dict[str, Iterable], targets: list[str]) -> str | None:
    """Why this document breaks the invariant, or None when it holds."""
    read = len(list(groups["read"]))
    written = sorted(groups["written"])
    refused = len(list(groups["refused"]))
    incomplete = len(list(groups["incomplete"]))
    if read != 1:
        return f"read {read} times (ids must be unique per file)"
    if refused == 1 and not written and not incomplete:
        return None
    if (
        refused == 0
        and len(written) + incomplete == len(targets)
        and len(set(written)) == len(written)
    ):
        return None
    return (
        f"written for targets {written}, refused {refused}x, incomplete {incomplete}x; "
        f"expected one document per target {targets} or one refusal"
    )


class CheckDocument(beam.DoFn):
    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.violations = Metrics.counter("corpus", VIOLATIONS_METRIC)

    def process(self, element: tuple[DocumentKey, dict[str, Iterable]]) -> Iterator[ErrorRecord]:
        key, groups = element
        problem = account(key, groups, self.targets)
        if problem:
            self.violations.inc()
            yield ErrorRecord(key[0], key[1], STAGE, "AccountingViolation", problem)


class CheckAccounting(beam.PTransform):
    """{read, written, refused, incomplete} PCollections → accounting error records."""

    def __init__(self, targets: list[str]) -> None:
        super().__init__()
        self.targets = targets

    def expand(self, parts: dict[str, beam.PCollection]) -> beam.PCollection:
        keyed = {
            "read": parts["read"] | "KeyRead" >> beam.Map(_read_key),
            "written": parts["written"] | "KeyWritten" >> beam.Map(_written_key),
            "refused": parts["refused"] | "KeyRefused" >> beam.Map(_error_key),
            "incomplete": parts["incomplete"] | "KeyIncomplete" >> beam.Map(_error_key),
        }
        return (
            keyed
            | "Join" >> beam.CoGroupByKey()
            | "Check" >> beam.ParDo(CheckDocument(self.targets))
        )


def _read_key(doc: SourceDocument) -> tuple[DocumentKey, None]:
    return (doc.source_path, doc.doc_id), None


def _written_key(doc: TranslatedDocument) -> tuple[DocumentKey, str]:
    return (doc.source_path, doc.doc_id), doc.target_lang


def _error_key(error: ErrorRecord) -> tuple[DocumentKey, None]:
    return (error.source_path, error.doc_id), None
