"""CheckAccounting: every document read is accounted for, exactly once per target.

A document read must be written once for every target language, unless it was
refused as a whole (empty, too many paragraphs: one refusal stands for every
target) or could not be rebuilt for a target (segments missing: an
IncompleteDocument error for that target).

The check streams, so that it holds nothing per document: each outcome expected (a
document read, once per target) adds the 128-bit hash of (file, document, target) to
a balance, and each outcome found (written, incomplete, refused) subtracts it; one
global sum must come to zero, which a document lost or written twice breaks (short
of a 2^-128 chance). A join by document would name the culprits directly, but on the
local runner it holds every document's key until the end of the run. A balance that
is off becomes an `accounting` error row and a counter, which makes the run fail;
the failed run then names the documents with `NameViolations`, that join, run over
the input and the written output (`pipeline.audit`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from core.metrics import counter
from core.names import Metric, Stage
from core.records import (
    ErrorRecord,
    SourceDocument,
    TranslatedDocument,
    in_global_window,
)

BALANCE_MODULUS = 1 << 128

DocumentKey = tuple[str, str]
Balance = tuple[int, int, int]  # hash sum modulo 2^128, outcomes expected, outcomes found


def outcome_hash(source_path: str, doc_id: str | None, target: str | None) -> int:
    digest = hashlib.blake2b(repr((source_path, doc_id, target)).encode(), digest_size=16)
    return int.from_bytes(digest.digest(), "little")


def add_balances(balances: Iterable[Balance]) -> Balance:
    total, expected, found = 0, 0, 0
    for balance_sum, balance_expected, balance_found in balances:
        total = (total + balance_sum) % BALANCE_MODULUS
        expected += balance_expected
        found += balance_found
    return total, expected, found


class BundleBalance(beam.DoFn):
    """The balance of one part's contributions, summed per bundle: one value per bundle
    leaves the stage. (A CombineGlobally per part does the same with about ten
    transforms each; graph size is a fixed cost of every run, bench/README.md item 9.)"""

    def __init__(self, contribution: Callable[[Any], Balance]) -> None:
        self.contribution = contribution

    def start_bundle(self) -> None:
        self._balance: Balance | None = None

    def process(self, element: Any) -> None:
        balance = self.contribution(element)
        self._balance = balance if self._balance is None else add_balances((self._balance, balance))

    def finish_bundle(self) -> Iterator[WindowedValue]:
        if self._balance is not None:
            yield in_global_window(self._balance)


class CheckBalance(beam.DoFn):
    def __init__(self) -> None:
        self.violations = counter(Metric.ACCOUNTING_VIOLATIONS)

    def process(self, balance: Balance) -> Iterator[ErrorRecord]:
        total, expected, found = balance
        if total == 0 and expected == found:
            return
        self.violations.inc()
        message = (
            f"{expected} outcomes expected (documents read x targets), {found} found "
            "(written, incomplete, refused): documents lost or written twice"
        )
        yield ErrorRecord("", None, Stage.ACCOUNTING, "AccountingViolation", message)


class CheckAccounting(beam.PTransform):
    """{read, written, refused, incomplete} PCollections → an accounting error record
    when they do not balance."""

    def __init__(self, targets: list[str]) -> None:
        super().__init__()
        self.targets = targets

    def expand(self, parts: dict[str, beam.PCollection]) -> beam.PCollection:
        targets = self.targets

        def every_target(source_path: str, doc_id: str | None) -> int:
            hashes = (outcome_hash(source_path, doc_id, t) for t in targets)
            return sum(hashes) % BALANCE_MODULUS

        def expected(doc: SourceDocument) -> Balance:
            return every_target(doc.source_path, doc.doc_id), len(targets), 0

        def written(doc: TranslatedDocument) -> Balance:
            return -outcome_hash(doc.source_path, doc.doc_id, doc.target_lang), 0, 1

        def refused(error: ErrorRecord) -> Balance:
            return -every_target(error.source_path, error.doc_id), 0, len(targets)

        def incomplete(error: ErrorRecord) -> Balance:
            return -outcome_hash(error.source_path, error.doc_id, error.target_lang), 0, 1

        contributions = {"read": expected, "written": written}
        contributions |= {"refused": refused, "incomplete": incomplete}
        # Summed where each part is produced: the Flatten (which the local runner
        # materializes) holds one value per bundle, not one per document.
        sums = [
            parts[name] | f"Balance{name.title()}" >> beam.ParDo(BundleBalance(contribution))
            for name, contribution in contributions.items()
        ]
        return (
            sums
            | "AllSums" >> beam.Flatten()
            | "Sum" >> beam.CombineGlobally(add_balances)
            | "Check" >> beam.ParDo(CheckBalance())
        )


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


class NameDocument(beam.DoFn):
    def __init__(self, targets: list[str]) -> None:
        self.targets = targets

    def process(self, element: tuple[DocumentKey, dict[str, Iterable]]) -> Iterator[ErrorRecord]:
        key, groups = element
        problem = account(key, groups, self.targets)
        if problem:
            yield ErrorRecord(key[0], key[1], Stage.ACCOUNTING, "AccountingViolation", problem)


class NameViolations(beam.PTransform):
    """{read, written, refused, incomplete} PCollections of ((file, document id), value)
    pairs, written ones valued by target → an error record per document that breaks
    the invariant. A join by document: it holds every key, so only a run whose balance
    was off pays for it."""

    def __init__(self, targets: list[str]) -> None:
        super().__init__()
        self.targets = targets

    def expand(self, keyed: dict[str, beam.PCollection]) -> beam.PCollection:
        return (
            keyed | "Join" >> beam.CoGroupByKey() | "Name" >> beam.ParDo(NameDocument(self.targets))
        )
