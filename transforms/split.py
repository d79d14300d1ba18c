"""SplitParagraphs: a document becomes its paragraphs (text.paragraphs), one segment each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam

from core.metrics import counter
from core.names import Metric, Stage, Tag
from core.records import ErrorRecord, Segment, SourceDocument
from text.paragraphs import split_paragraphs


@dataclass(frozen=True)
class SplitSettings:
    # Safety caps: a document of a million one-line paragraphs or a paragraph of megabytes
    # is almost always broken input (a log, a dump), and would be slow to segment.
    max_paragraphs: int = 100_000
    max_paragraph_chars: int = 200_000


class SplitDocument(beam.DoFn):
    """One document in, the list of its paragraph segments out (kept together for
    the document-level language fallback of the next stage)."""

    def __init__(self, settings: SplitSettings) -> None:
        self.settings = settings
        self.paragraphs = counter(Metric.PARAGRAPHS)
        self.refused = counter(Metric.DOCUMENTS_REFUSED)

    def process(self, doc: SourceDocument) -> Iterator[list[Segment] | beam.pvalue.TaggedOutput]:
        parts = split_paragraphs(doc.text)
        if not parts:
            self.refused.inc()
            kind = "empty" if not doc.text else "whitespace-only"
            yield beam.pvalue.TaggedOutput(
                Tag.ERRORS,
                ErrorRecord(
                    doc.source_path,
                    doc.doc_id,
                    Stage.SPLIT,
                    "EmptyDocument",
                    f"document is {kind}: nothing to translate",
                ),
            )
            return
        if len(parts) > self.settings.max_paragraphs:
            self.refused.inc()
            message = (
                f"{len(parts)} paragraphs, over the cap of {self.settings.max_paragraphs} "
                "(split.max_paragraphs)"
            )
            yield beam.pvalue.TaggedOutput(
                Tag.ERRORS,
                ErrorRecord(doc.source_path, doc.doc_id, Stage.SPLIT, "TooManyParagraphs", message),
            )
            return
        self.paragraphs.inc(len(parts))
        segments = [
            Segment(
                doc_id=doc.doc_id,
                source_path=doc.source_path,
                encoding=doc.encoding,
                paragraph_index=i,
                paragraph_count=len(parts),
                source_text=body,
                separator=sep,
                prefix=prefix,
                source_lang_hint=doc.source_lang_hint,
                document_flags=doc.flags,
            )
            for i, (prefix, body, sep) in enumerate(parts)
        ]
        yield [self._within_cap(seg) for seg in segments]

    def _within_cap(self, seg: Segment) -> Segment:
        cap = self.settings.max_paragraph_chars
        if len(seg.source_text) <= cap:
            return seg
        message = (
            f"{len(seg.source_text)} characters, over the cap of {cap} "
            "(split.max_paragraph_chars); kept untranslated"
        )
        return seg.fail(Stage.SPLIT, "ParagraphTooLong", message)


class SplitParagraphs(beam.PTransform):
    """Documents → per-document lists of paragraph segments, plus `errors`."""

    def __init__(self, settings: SplitSettings) -> None:
        super().__init__()
        self.settings = settings

    def expand(self, documents: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return documents | beam.ParDo(SplitDocument(self.settings)).with_outputs(
            Tag.ERRORS, main=Tag.PARAGRAPHS
        )
