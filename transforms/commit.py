"""Committed units: a run's output is written as it goes, one unit of work at a time.

A unit is a block of up to `commit.unit_documents` consecutive documents of one input
file holding several (JSONL, Parquet), or up to that many consecutive one-document files
(text) of one pattern. When every document of a unit has its outcome (a
document row per target with all its segments, an incomplete-document error, or a
refusal), the unit's rows are written to `<table>/unit-<id>.parquet` and then its
marker `_resume/units/<id>.done.json`: a unit is committed when its marker exists,
and a run that is killed and resumed reads and translates only units without one.

Names are a function of the unit (file and block) alone and every file is written
whole or not at all, so a unit committed twice (a work item the runner retried)
replaces its files with identical ones: no row is written twice.

The rows of a unit come from several stages (read, split, rebuild) of the one fused
stage that reads and translates a file; Beam joins outputs of several stages only
through a Flatten, which the local runner materializes (no unit could be committed
before the end of the run). The stages therefore hand their rows to a ledger of the
bundle's thread: a bundle runs on one thread from read to rebuild, the same fusion
`transforms.rebuild` relies on.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from core.metrics import counter
from core.names import Column, File, Metric, RunKey, Table, UnitKey
from core.records import ErrorRecord, Segment, SegmentStatus, TranslatedDocument
from core.schemas import TABLE_SCHEMAS, to_row


@dataclass(frozen=True)
class CommitSettings:
    # documents of one input file per committed unit: the most work a killed run loses
    # per worker (a block of a JSONL/Parquet file, or that many text files)
    unit_documents: int = 1000
    # input bytes per unit at most (a unit's rows are held until it is committed): file
    # sizes of text files, UTF-8 text of the documents of a JSONL/Parquet file
    unit_bytes: int = 64 << 20

    def full(self, documents: int, size: int, adding: int) -> bool:
        """Whether a unit of `documents` documents and `size` bytes closes before one of
        `adding` bytes joins it (a unit holds at least one document)."""
        return documents >= self.unit_documents or (
            documents > 0 and size + adding > self.unit_bytes
        )


@dataclass(frozen=True)
class Unit:
    paths: tuple[str, ...]  # its input files
    block: int  # of a file's documents; 0 for a group of one-document files

    @functools.cached_property
    def id(self) -> str:
        named = "\0".join((*self.paths, str(self.block)))
        return hashlib.sha256(named.encode()).hexdigest()[:32]


def marker_path(staging: str, unit_id: str) -> str:
    return FileSystems.join(
        staging, File.RESUME_DIR, File.UNIT_MARKERS, unit_id + File.MARKER_SUFFIX
    )


def write_whole(path: str, data: bytes) -> None:
    """Writes `path` whole or not at all: locally a temporary file renamed into place;
    object stores publish an object only once its upload is complete."""
    if urlparse(path).scheme not in ("", "file"):
        with FileSystems.create(path) as handle:
            handle.write(data)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def parquet_bytes(
    rows: list[dict[str, Any]], schema: pa.Schema, order: dict[tuple[str, str], int]
) -> bytes:
    """The rows in input order (`order`: position of each document in the unit), targets
    and segments in order: a unit written again is the same file byte for byte."""

    def position(row: dict[str, Any]) -> tuple:
        index = row.get(Column.SEGMENT_INDEX, row.get(Column.PARAGRAPH_INDEX))
        return (
            order.get((row[Column.SOURCE_PATH], row[Column.DOC_ID]), -1),
            row[Column.TARGET_LANG] or "",
            -1 if index is None else index,
        )

    # Rows only tie on that key where a document has several error rows; serializing every
    # row to break ties would cost a second encoding of the unit's output.
    ordered = []
    for _, tied in itertools.groupby(sorted(rows, key=position), key=position):
        ordered += sorted(tied, key=lambda row: json.dumps(row, sort_keys=True, default=str))
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(ordered, schema=schema), sink, compression="zstd")
    return sink.getvalue().to_pybytes()


@dataclass
class PendingDocument:
    """A written (document, target) whose segments and errors are still on their way."""

    document: TranslatedDocument | None = None
    segments: int = 0
    errors: int = 0

    def complete(self) -> bool:
        doc = self.document
        return doc is not None and (self.segments, self.errors) == (doc.n_segments, doc.n_failed)


@dataclass
class OpenUnit:
    unit: Unit
    expected: int | None = None  # outcomes: documents × targets; known once the unit is read
    last: bool = False
    outcomes: int = 0
    rows: dict[Table, list[dict[str, Any]]] = field(default_factory=dict)
    pending: dict[tuple[str, str | None], PendingDocument] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    documents: list[tuple[str, str]] = field(default_factory=list)  # (source_path, doc_id)

    def add_row(self, table: Table, record: Any) -> None:
        self.rows.setdefault(table, []).append(to_row(record, TABLE_SCHEMAS[table]))


class UnitLedger:
    """The open units of one bundle: what each has received and what it still expects."""

    def __init__(self) -> None:
        self.units: dict[str, OpenUnit] = {}
        self.documents: dict[tuple[str, str], str] = {}  # (source_path, doc_id) → unit id
        self.staging = ""
        self.run_id = ""
        self.targets = 1
        self.committed = counter(Metric.UNITS_COMMITTED)

    def start(self, staging: str, run_id: str, targets: int) -> None:
        """A new bundle: what a failed bundle left on this thread is dropped."""
        self.units, self.documents = {}, {}
        self.staging, self.run_id, self.targets = staging, run_id, targets

    def open(self, unit: Unit) -> None:
        self.units[unit.id] = OpenUnit(unit)

    def read_document(self, unit: Unit, source_path: str, doc_id: str) -> None:
        self.documents[source_path, doc_id] = unit.id
        state = self.units[unit.id]
        state.documents.append((source_path, doc_id))
        state.counts[RunKey.DOCUMENTS_READ] += 1

    def read_error(self, unit: Unit, error: ErrorRecord) -> None:
        state = self.units[unit.id]
        state.add_row(Table.ERRORS, error)
        state.counts[RunKey.READ_ERRORS] += 1

    def read_all(self, unit: Unit, last: bool) -> None:
        state = self.units[unit.id]
        state.expected = state.counts[RunKey.DOCUMENTS_READ] * self.targets
        state.last = last
        self._settle(state)

    def refused(self, error: ErrorRecord) -> None:
        state = self._unit_of(error.source_path, error.doc_id)
        state.add_row(Table.ERRORS, error)
        state.counts[RunKey.DOCUMENTS_REFUSED] += 1
        state.outcomes += self.targets
        self._settle(state)

    def incomplete(self, error: ErrorRecord) -> None:
        state = self._unit_of(error.source_path, error.doc_id)
        state.add_row(Table.ERRORS, error)
        state.counts[RunKey.DOCUMENTS_INCOMPLETE] += 1
        state.outcomes += 1
        self._settle(state)

    def document(self, document: TranslatedDocument) -> None:
        state = self._unit_of(document.source_path, document.doc_id)
        state.add_row(Table.DOCUMENTS, document)
        state.counts[RunKey.DOCUMENTS_WRITTEN] += 1
        self._pending(state, document.doc_id, document.target_lang).document = document
        self._written(state, document.doc_id, document.target_lang)

    def segment(self, seg: Segment) -> None:
        state = self._unit_of(seg.source_path, seg.doc_id)
        state.add_row(Table.SEGMENTS, seg)
        state.counts[Metric.SEGMENTS_TRANSLATED] += seg.status == SegmentStatus.TRANSLATED
        self._pending(state, seg.doc_id, seg.target_lang).segments += 1
        self._written(state, seg.doc_id, seg.target_lang)

    def segment_error(self, error: ErrorRecord) -> None:
        state = self._unit_of(error.source_path, error.doc_id)
        state.add_row(Table.ERRORS, error)
        self._pending(state, error.doc_id, error.target_lang).errors += 1
        self._written(state, error.doc_id, error.target_lang)

    def _unit_of(self, source_path: str, doc_id: str | None) -> OpenUnit:
        unit_id = self.documents.get((source_path, doc_id or ""))
        if unit_id is None or unit_id not in self.units:
            raise RuntimeError(
                f"{source_path} {doc_id}: a row reached the commit of its unit outside the "
                "bundle that read it; the runner did not fuse read → rebuild into one stage"
            )
        return self.units[unit_id]

    @staticmethod
    def _pending(state: OpenUnit, doc_id: str, target: str | None) -> PendingDocument:
        return state.pending.setdefault((doc_id, target), PendingDocument())

    def _written(self, state: OpenUnit, doc_id: str, target: str | None) -> None:
        if state.pending[doc_id, target].complete():
            del state.pending[doc_id, target]
            state.outcomes += 1
            self._settle(state)

    def _settle(self, state: OpenUnit) -> None:
        """Commits the unit once every outcome it expects is there."""
        if state.expected is None or state.outcomes < state.expected or state.pending:
            return
        commit_unit(self.staging, state, self.run_id)
        self.committed.inc()
        del self.units[state.unit.id]
        for key in state.documents:
            del self.documents[key]


def commit_unit(staging: str, state: OpenUnit, run_id: str) -> None:
    """The unit's table files, then its marker (listing them): the marker is the commit."""
    files = []
    order = {document: i for i, document in enumerate(state.documents)}
    for table, schema in TABLE_SCHEMAS.items():
        rows = state.rows.get(table)
        if rows:
            name = f"{table}/{File.UNIT_PREFIX}{state.unit.id}{File.PARQUET_SUFFIX}"
            write_whole(FileSystems.join(staging, name), parquet_bytes(rows, schema, order))
            files.append(name)
    marker = {
        UnitKey.UNIT: state.unit.id,
        UnitKey.INPUTS: list(state.unit.paths),
        UnitKey.BLOCK: state.unit.block,
        UnitKey.LAST: state.last,
        UnitKey.FILES: files,
        UnitKey.COUNTS: dict(sorted(state.counts.items())),
        UnitKey.RUN_ID: run_id,
    }
    write_whole(marker_path(staging, state.unit.id), json.dumps(marker, indent=1).encode())


_THREAD = threading.local()


def bundle_ledger() -> UnitLedger:
    """The ledger of the bundle running on this thread."""
    if not hasattr(_THREAD, "ledger"):
        _THREAD.ledger = UnitLedger()
    return _THREAD.ledger
