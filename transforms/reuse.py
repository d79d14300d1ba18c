"""ReusePreviousRun: incremental runs skip documents a previous run already translated.

The previous run's output is the translation memory: a document is reused when
its (source_path, doc_id) has a row in the previous documents/ table with the
same content hash and settings fingerprint for every target, and none of its
segments failed. Its segments are then read back from the previous segments/
table instead of being translated again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from core.metrics import counter
from core.names import Column, File, Metric, Table, Tag
from core.records import Segment, SegmentStatus, content_sha256
from core.schemas import segment_schema

DOCUMENT_COLUMNS = [
    Column.SOURCE_PATH,
    Column.DOC_ID,
    Column.TARGET_LANG,
    Column.CONTENT_SHA256,
    Column.SETTINGS_SHA256,
    Column.N_FAILED,
]


def document_key(row: dict[str, Any]) -> tuple[str, str]:
    return row[Column.SOURCE_PATH], row[Column.DOC_ID]


def segment_from_row(
    row: dict[str, Any], encoding: str, paragraph_count: int, sentence_count: int
) -> Segment:
    """A previous run's segments/ row as the Segment it was written from."""
    values = dict(
        row, flags=tuple(row[Column.FLAGS] or ()), status=SegmentStatus(row[Column.STATUS])
    )
    return Segment(
        encoding=encoding,
        paragraph_count=paragraph_count,
        sentence_count=sentence_count,
        **values,
    )


class SelectDocuments(beam.DoFn):
    """Per document key: the new document to translate, or the key of one to reuse."""

    def __init__(self, settings_sha256: str, targets: list[str]) -> None:
        self.settings_sha256 = settings_sha256
        self.targets = sorted(targets)
        self.reused = counter(Metric.DOCUMENTS_REUSED)
        self.changed = counter(Metric.DOCUMENTS_NEW_OR_CHANGED)

    def process(self, element: tuple[tuple[str, str], dict[str, Iterable]]) -> Iterator[Any]:
        key, groups = element
        previous = list(groups["previous"])
        for doc in groups["current"]:
            wanted = content_sha256(doc.text), self.settings_sha256
            done = sorted(
                row[Column.TARGET_LANG]
                for row in previous
                if (row[Column.CONTENT_SHA256], row[Column.SETTINGS_SHA256]) == wanted
                and not row[Column.N_FAILED]
            )
            if done == self.targets:
                self.reused.inc()
                yield beam.pvalue.TaggedOutput(Tag.REUSED, (key, doc))
            else:
                self.changed.inc()
                yield doc


def emit_reused_segments(element: tuple[tuple[str, str], dict[str, Iterable]]) -> Iterator[Segment]:
    _, groups = element
    documents = list(groups["reuse"])
    if not documents:
        return
    rows = list(groups[Table.SEGMENTS])
    paragraphs = 1 + max(row[Column.PARAGRAPH_INDEX] for row in rows)
    pieces = Counter((row[Column.TARGET_LANG], row[Column.PARAGRAPH_INDEX]) for row in rows)
    for doc in documents:
        for row in rows:
            sentences = pieces[row[Column.TARGET_LANG], row[Column.PARAGRAPH_INDEX]]
            segment = segment_from_row(row, doc.encoding, paragraphs, sentences)
            yield segment.replace(document_flags=doc.flags, reused=True)


class ReusePreviousRun(beam.PTransform):
    """Documents → documents to translate (main) and `reused` segments of the others."""

    def __init__(self, previous: str, settings_sha256: str, targets: list[str]) -> None:
        super().__init__()
        self.previous = previous
        self.settings_sha256 = settings_sha256
        self.targets = targets

    def expand(self, documents: beam.PCollection) -> beam.pvalue.PCollection:
        previous_documents = (
            documents.pipeline
            | "PreviousDocuments" >> self._read(Table.DOCUMENTS, DOCUMENT_COLUMNS)
            | "KeyPreviousDocuments" >> beam.Map(lambda r: (document_key(r), r))
        )
        current = documents | "KeyDocuments" >> beam.Map(lambda d: ((d.source_path, d.doc_id), d))
        selected = (
            {"current": current, "previous": previous_documents}
            | "JoinPrevious" >> beam.CoGroupByKey()
            | "Select"
            >> beam.ParDo(SelectDocuments(self.settings_sha256, self.targets)).with_outputs(
                Tag.REUSED, main=Tag.TRANSLATE
            )
        )
        previous_segments = (
            documents.pipeline
            | "PreviousSegments" >> self._read(Table.SEGMENTS, segment_schema.names)
            | "KeyPreviousSegments" >> beam.Map(lambda r: (document_key(r), r))
        )
        reused = (
            {"reuse": selected[Tag.REUSED], Table.SEGMENTS: previous_segments}
            | "JoinSegments" >> beam.CoGroupByKey()
            | "ReusedSegments" >> beam.FlatMap(emit_reused_segments)
        )
        return selected[Tag.TRANSLATE], reused

    def _read(self, table: str, columns: list[str]) -> beam.PTransform:
        pattern = FileSystems.join(self.previous, table, f"*{File.PARQUET_SUFFIX}")
        return beam.io.ReadFromParquet(pattern, columns=columns)
