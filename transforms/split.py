"""SplitParagraphs: a document becomes its paragraphs, separators kept for an exact rebuild.

A paragraph boundary is a run of whitespace holding at least two line breaks
(\\n, \\r\\n or \\r, mixed freely). The whole run is kept as the paragraph's
`separator`, so trailing spaces and indentation around blank lines survive, and
whitespace before the first paragraph is kept as the first segment's `prefix`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.records import ERRORS_TAG, ErrorRecord, Segment, SourceDocument

STAGE = "split"
_WHITESPACE_RUN = re.compile(r"\s+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_paragraphs(text: str) -> list[tuple[str, str, str]]:
    """(prefix, paragraph, separator) triples whose concatenation is `text` exactly."""
    cuts = []  # (start, end) of each separator run
    for run in _WHITESPACE_RUN.finditer(text):
        at_edge = run.start() == 0 or run.end() == len(text)
        if at_edge or len(_LINE_BREAK.findall(run.group())) >= 2:
            cuts.append((run.start(), run.end()))
    prefix = ""
    if cuts and cuts[0][0] == 0:
        prefix = text[: cuts[0][1]]
        cuts = cuts[1:]
    paragraphs = []
    start = len(prefix)
    for cut_start, cut_end in cuts:
        paragraphs.append((text[start:cut_start], text[cut_start:cut_end]))
        start = cut_end
    if start < len(text):
        paragraphs.append((text[start:], ""))
    return [(prefix if i == 0 else "", body, sep) for i, (body, sep) in enumerate(paragraphs)]


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
        self.paragraphs = Metrics.counter("corpus", "paragraphs")
        self.refused = Metrics.counter("corpus", "documents_refused")

    def process(self, doc: SourceDocument) -> Iterator[list[Segment] | beam.pvalue.TaggedOutput]:
        parts = split_paragraphs(doc.text)
        if not parts:
            self.refused.inc()
            kind = "empty" if not doc.text else "whitespace-only"
            yield beam.pvalue.TaggedOutput(
                ERRORS_TAG,
                ErrorRecord(
                    doc.source_path,
                    doc.doc_id,
                    STAGE,
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
                ERRORS_TAG,
                ErrorRecord(doc.source_path, doc.doc_id, STAGE, "TooManyParagraphs", message),
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
        return seg.fail(STAGE, "ParagraphTooLong", message)


class SplitParagraphs(beam.PTransform):
    """Documents → per-document lists of paragraph segments, plus `errors`."""

    def __init__(self, settings: SplitSettings) -> None:
        super().__init__()
        self.settings = settings

    def expand(self, documents: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return documents | beam.ParDo(SplitDocument(self.settings)).with_outputs(
            ERRORS_TAG, main="paragraphs"
        )
