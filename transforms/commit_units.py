"""ReadUnits and CommitUnits: the stages that commit a run unit by unit (`transforms.commit`).

`ReadUnits` reads a file as `ReadFile` does, cuts its documents into units, opens each
unit in the bundle's ledger and skips the units an earlier attempt of the run committed
(a file whose units are all committed is not opened). `CommitUnits` hands the rows of the
later stages (refusals, documents, segments, errors, incomplete documents) to the ledger,
which commits a unit as soon as all of its rows are there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam

from core.metrics import counter
from core.names import Metric, Tag
from core.records import ErrorRecord, SourceDocument
from readers import MatchedFile, ReadSettings
from transforms.commit import CommitSettings, Unit, UnitLedger, bundle_ledger
from transforms.read import ReadFile


@dataclass(frozen=True)
class CommittedUnits:
    """What earlier attempts of a run committed: units by (file, block), and the files
    all of whose units are committed."""

    blocks: frozenset[tuple[str, int]] = field(default_factory=frozenset)
    files: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class UnitPlan:
    """How this attempt commits: its id, the unit size, and what is committed already."""

    run_id: str
    settings: CommitSettings
    committed: CommittedUnits = field(default_factory=CommittedUnits)


class ReadUnits(ReadFile):
    def __init__(self, settings: ReadSettings, staging: str, targets: int, plan: UnitPlan) -> None:
        super().__init__(settings)
        self.staging = staging
        self.targets = targets
        self.plan = plan
        self.units_read = counter(Metric.UNITS_READ)

    def start_bundle(self) -> None:
        bundle_ledger().start(self.staging, self.plan.run_id, self.targets)

    def process(self, matched: MatchedFile) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        if matched.path in self.plan.committed.files:
            return
        ledger = bundle_ledger()
        size = self.plan.settings.unit_documents
        block, in_block = 0, 0
        unit = self._open(ledger, Unit(matched.path, 0), matched.size_in_bytes)
        for result in self.results(matched):
            if isinstance(result, SourceDocument):
                if in_block == size:
                    self._close(ledger, unit, last=False)
                    block, in_block = block + 1, 0
                    unit = self._open(ledger, Unit(matched.path, block), matched.size_in_bytes)
                in_block += 1
            if unit is None:  # committed by an earlier attempt
                continue
            if isinstance(result, SourceDocument):
                ledger.read_document(unit, result.doc_id)
            else:
                ledger.read_error(unit, result)
            yield self.output(result)
        self._close(ledger, unit, last=True)

    def _open(self, ledger: UnitLedger, unit: Unit, size: int) -> Unit | None:
        if (unit.source_path, unit.block) in self.plan.committed.blocks:
            return None
        ledger.open(unit, size)
        self.units_read.inc()
        return unit

    @staticmethod
    def _close(ledger: UnitLedger, unit: Unit | None, last: bool) -> None:
        if unit is not None:
            ledger.read_all(unit, last)


def owned_by_a_unit(error: ErrorRecord) -> bool:
    """Read errors of a file (committed with its unit), not of a pattern (no match), which
    name no document."""
    return error.doc_id is not None


LEDGER_ENTRIES: dict[str, Callable[[UnitLedger, Any], None]] = {
    Tag.REFUSED: UnitLedger.refused,
    Tag.DOCUMENTS: UnitLedger.document,
    Tag.SEGMENTS: UnitLedger.segment,
    Tag.ERRORS: UnitLedger.segment_error,
    Tag.INCOMPLETE: UnitLedger.incomplete,
}


class CollectRows(beam.DoFn):
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def process(self, record: Any) -> None:
        LEDGER_ENTRIES[self.kind](bundle_ledger(), record)


class CommitUnits(beam.PTransform):
    """{refused, documents, segments, errors, incomplete} PCollections (refusals from the
    split stage, the rest from rebuild, all in the stage that read them) → committed units."""

    def expand(self, parts: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        return {
            kind: parts[kind] | f"Commit{kind.title()}" >> beam.ParDo(CollectRows(kind))
            for kind in LEDGER_ENTRIES
        }
