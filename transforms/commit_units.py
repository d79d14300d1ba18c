"""ReadUnits and CommitUnits: the stages that commit a run unit by unit (`transforms.commit`).

`MatchUnits` groups the matched files into units; `ReadUnits` reads them as `ReadFile`
does, cuts files of several documents into blocks, opens each unit in the bundle's ledger
and skips the units an earlier attempt of the run committed (their files are not opened).
`CommitUnits` hands the rows of the later stages (refusals, documents, segments, errors,
incomplete documents) to the ledger, which commits a unit as soon as all its rows are there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam

from core.metrics import counter
from core.names import Metric, Tag
from core.records import ErrorRecord, SourceDocument
from readers import MatchedFile, Reader, ReadSettings, reader_class
from transforms.commit import CommitSettings, Unit, UnitLedger, bundle_ledger
from transforms.read import MatchPatterns, ReadFile


@dataclass(frozen=True)
class CommittedUnits:
    """What earlier attempts of a run committed: unit ids, and the files holding several
    documents all of whose units are committed (they are not opened again)."""

    ids: frozenset[str] = field(default_factory=frozenset)
    files: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class UnitPlan:
    """How this attempt commits: its id, the unit size, and what is committed already."""

    run_id: str
    settings: CommitSettings
    committed: CommittedUnits = field(default_factory=CommittedUnits)


def holds_several_documents(path: str) -> bool:
    """A format whose reader counts documents per file (JSONL, Parquet): its files are cut
    into blocks; one-document files (text) are grouped instead."""
    reader = reader_class(path)
    return reader is not None and reader.count_documents is not Reader.count_documents


class MatchUnits(MatchPatterns):
    """Matches a pattern into units of files: each file holding several documents alone,
    consecutive one-document files (in path order) up to the unit size."""

    def __init__(self, settings: CommitSettings) -> None:
        super().__init__()
        self.settings = settings

    def process(self, pattern: str) -> Iterator[tuple[MatchedFile, ...] | beam.pvalue.TaggedOutput]:
        group: list[MatchedFile] = []
        size = 0  # of the group's files
        for result in super().process(pattern):
            if not isinstance(result, MatchedFile):
                yield result
            elif holds_several_documents(result.path):
                yield (result,)
            else:
                if self.settings.full(len(group), size, result.size_in_bytes):
                    yield tuple(group)
                    group, size = [], 0
                group.append(result)
                size += result.size_in_bytes
        if group:
            yield tuple(group)


class ReadUnits(ReadFile):
    """Reads a unit of files (`MatchUnits`); a file of several documents is cut into
    blocks of the unit size."""

    def __init__(self, settings: ReadSettings, staging: str, targets: int, plan: UnitPlan) -> None:
        super().__init__(settings)
        self.staging = staging
        self.targets = targets
        self.plan = plan
        self.units_read = counter(Metric.UNITS_READ)

    def start_bundle(self) -> None:
        bundle_ledger().start(self.staging, self.plan.run_id, self.targets)

    def process(
        self, files: tuple[MatchedFile, ...]
    ) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        if len(files) == 1 and holds_several_documents(files[0].path):
            yield from self._blocks(files[0])
            return
        ledger = bundle_ledger()
        unit = self._open(ledger, Unit(tuple(f.path for f in files), 0))
        if unit is None:  # committed by an earlier attempt
            return
        for matched in files:
            yield from self._read(ledger, unit, matched, self.results(matched))
        ledger.read_all(unit, last=True)

    def _blocks(self, matched: MatchedFile) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        if matched.path in self.plan.committed.files:
            return
        ledger = bundle_ledger()
        block, in_block, block_bytes = 0, 0, 0
        unit = self._open(ledger, Unit((matched.path,), 0))
        for result in self.results(matched):
            if isinstance(result, SourceDocument):
                size = len(result.text.encode("utf-8", "surrogatepass"))
                if self.plan.settings.full(in_block, block_bytes, size):
                    self._close(ledger, unit, last=False)
                    block, in_block, block_bytes = block + 1, 0, 0
                    unit = self._open(ledger, Unit((matched.path,), block))
                in_block += 1
                block_bytes += size
            if unit is not None:  # else committed by an earlier attempt
                yield from self._read(ledger, unit, matched, [result])
        self._close(ledger, unit, last=True)

    def _read(
        self, ledger: UnitLedger, unit: Unit, matched: MatchedFile, results: Iterable[Any]
    ) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        for result in results:
            if isinstance(result, SourceDocument):
                ledger.read_document(unit, matched.path, result.doc_id)
            else:
                ledger.read_error(unit, result)
            yield self.output(result)

    def _open(self, ledger: UnitLedger, unit: Unit) -> Unit | None:
        if unit.id in self.plan.committed.ids:
            return None
        ledger.open(unit)
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
