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
from apache_beam.metrics import Metrics

from transforms.records import Segment, SegmentStatus, content_sha256
from transforms.schemas import segment_schema

REUSED_TAG = "reused"
DOCUMENT_COLUMNS = [
    "source_path",
    "doc_id",
    "target_lang",
    "content_sha256",
    "settings_sha256",
    "n_failed",
]


def segment_from_row(
    row: dict[str, Any], encoding: str, paragraph_count: int, sentence_count: int
) -> Segment:
    """A previous run's segments/ row as the Segment it was written from."""
    values = dict(row, flags=tuple(row["flags"] or ()), status=SegmentStatus(row["status"]))
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
        self.reused = Metrics.counter("corpus", "documents_reused")
        self.changed = Metrics.counter("corpus", "documents_new_or_changed")

    def process(self, element: tuple[tuple[str, str], dict[str, Iterable]]) -> Iterator[Any]:
        key, groups = element
        previous = list(groups["previous"])
        for doc in groups["current"]:
            wanted = content_sha256(doc.text), self.settings_sha256
            done = sorted(
                row["target_lang"]
                for row in previous
                if (row["content_sha256"], row["settings_sha256"]) == wanted and not row["n_failed"]
            )
            if done == self.targets:
                self.reused.inc()
                yield beam.pvalue.TaggedOutput(REUSED_TAG, (key, doc.encoding))
            else:
                self.changed.inc()
                yield doc


def emit_reused_segments(element: tuple[tuple[str, str], dict[str, Iterable]]) -> Iterator[Segment]:
    _, groups = element
    encodings = list(groups["reuse"])
    if not encodings:
        return
    rows = list(groups["segments"])
    paragraphs = 1 + max(row["paragraph_index"] for row in rows)
    pieces = Counter((row["target_lang"], row["paragraph_index"]) for row in rows)
    for encoding in encodings:
        for row in rows:
            sentences = pieces[row["target_lang"], row["paragraph_index"]]
            yield segment_from_row(row, encoding, paragraphs, sentences)


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
            | "PreviousDocuments" >> self._read("documents", DOCUMENT_COLUMNS)
            | "KeyPreviousDocuments" >> beam.Map(lambda r: ((r["source_path"], r["doc_id"]), r))
        )
        current = documents | "KeyDocuments" >> beam.Map(lambda d: ((d.source_path, d.doc_id), d))
        selected = (
            {"current": current, "previous": previous_documents}
            | "JoinPrevious" >> beam.CoGroupByKey()
            | "Select"
            >> beam.ParDo(SelectDocuments(self.settings_sha256, self.targets)).with_outputs(
                REUSED_TAG, main="translate"
            )
        )
        previous_segments = (
            documents.pipeline
            | "PreviousSegments" >> self._read("segments", segment_schema.names)
            | "KeyPreviousSegments" >> beam.Map(lambda r: ((r["source_path"], r["doc_id"]), r))
        )
        reused = (
            {"reuse": selected[REUSED_TAG], "segments": previous_segments}
            | "JoinSegments" >> beam.CoGroupByKey()
            | "ReusedSegments" >> beam.FlatMap(emit_reused_segments)
        )
        return selected.translate, reused

    def _read(self, table: str, columns: list[str]) -> beam.PTransform:
        pattern = FileSystems.join(self.previous, table, "*.parquet")
        return beam.io.ReadFromParquet(pattern, columns=columns)
