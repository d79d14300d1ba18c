"""RebuildDocuments: a document's segments, in order, joined with their own separators.

A document's segments all come from one element upstream (SplitParagraphs, or the
previous run's rows of one document), and the stages from there to here are fused,
so they reach this stage in the same bundle: each document is rebuilt as soon as its
last segment arrives, and only documents still in translation are held, never the
corpus. A GroupByKey by document would hold every segment of the run in its shuffle
(the local runner keeps shuffles in memory). A document still open at the end of a
bundle lost a segment on the way: it is reported as incomplete, with what is missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam

from core.metrics import counter, reused_tokens_metric, route_status_metric
from core.names import Metric, Stage, Tag
from core.records import (
    DocumentStatus,
    ErrorRecord,
    Segment,
    SegmentStatus,
    TranslatedDocument,
    content_sha256,
    in_global_window,
)

INCOMPLETE_ERROR = "IncompleteDocument"
OUTPUT_TAGS = (Tag.DOCUMENTS, Tag.SEGMENTS, Tag.ERRORS, Tag.INCOMPLETE)
DocumentKey = tuple[str, str, str | None]


def document_status(counts: Counter) -> DocumentStatus:
    if counts[SegmentStatus.FAILED] == sum(counts.values()):
        return DocumentStatus.FAILED
    if counts[SegmentStatus.FAILED] or counts[SegmentStatus.UNTRANSLATED]:
        return DocumentStatus.PARTIAL
    if counts[SegmentStatus.TRANSLATED]:
        return DocumentStatus.TRANSLATED
    return DocumentStatus.PASSTHROUGH


def rebuild(
    ordered: list[Segment], settings_sha256: str
) -> tuple[TranslatedDocument, list[Segment]]:
    """The document row and its segments (given in document order) numbered.

    A segment that was not translated keeps its source text in the rebuilt
    document, so the document is always complete; its status says why.
    """
    numbered = [seg.replace(segment_index=i) for i, seg in enumerate(ordered)]
    source = "".join(seg.prefix + seg.source_text + seg.separator for seg in numbered)
    translated = "".join(
        seg.prefix
        + (seg.translated_text if seg.translated_text is not None else seg.source_text)
        + seg.separator
        for seg in numbered
    )
    counts = Counter(seg.status for seg in numbered)
    languages = Counter()
    for seg in numbered:
        if seg.source_lang:
            languages[seg.source_lang] += len(seg.source_text)
    first = numbered[0]
    document = TranslatedDocument(
        doc_id=first.doc_id,
        source_path=first.source_path,
        encoding=first.encoding,
        source_lang=languages.most_common(1)[0][0] if languages else None,
        target_lang=first.target_lang,
        source_text=source,
        translated_text=translated,
        n_segments=len(numbered),
        n_translated=counts[SegmentStatus.TRANSLATED],
        n_passthrough=counts[SegmentStatus.PASSTHROUGH],
        n_untranslated=counts[SegmentStatus.UNTRANSLATED],
        n_failed=counts[SegmentStatus.FAILED],
        status=document_status(counts),
        content_sha256=content_sha256(source),
        settings_sha256=settings_sha256,
        flags=first.document_flags,
    )
    return document, numbered


def document_key(seg: Segment) -> DocumentKey:
    return (seg.source_path, seg.doc_id, seg.target_lang)


def missing_segments(segments: list[Segment]) -> str | None:
    """What is missing from a document's segments (sorted), or None when all are there."""
    expected = set(range(segments[0].paragraph_count))
    found: dict[int, list[int]] = {}
    pieces: dict[int, int] = {}  # sentence_count of each paragraph
    for seg in segments:
        found.setdefault(seg.paragraph_index, []).append(seg.sentence_index)
        pieces[seg.paragraph_index] = seg.sentence_count
    if set(found) != expected:
        return f"paragraphs {sorted(expected ^ set(found))} missing or unexpected"
    for paragraph, sentences in found.items():
        if sentences != list(range(pieces[paragraph])):
            return f"paragraph {paragraph} has pieces {sentences} of {pieces[paragraph]}"
    return None


@dataclass
class OpenDocument:
    """The segments of one (document, target) seen so far."""

    segments: list[Segment] = field(default_factory=list)
    sentence_counts: dict[int, int] = field(default_factory=dict)

    def add(self, seg: Segment) -> bool:
        """Adds `seg`; True when every piece of every paragraph is there."""
        self.segments.append(seg)
        self.sentence_counts[seg.paragraph_index] = seg.sentence_count
        return len(self.sentence_counts) == seg.paragraph_count and len(self.segments) == sum(
            self.sentence_counts.values()
        )


class AssembleDocuments(beam.DoFn):
    """Segments → each document as soon as it is complete (main), its numbered segments,
    errors for failed segments, and documents still incomplete at the end of the bundle."""

    def __init__(self, settings_sha256: str) -> None:
        self.settings_sha256 = settings_sha256
        self.documents = counter(Metric.DOCUMENTS_WRITTEN)
        self.incomplete = counter(Metric.DOCUMENTS_INCOMPLETE)
        # counted on the final rows, so that they agree with the summary
        self.translated = counter(Metric.SEGMENTS_TRANSLATED)
        self.failed = counter(Metric.SEGMENTS_FAILED)
        # One counter per name: a route's counters serve every segment that takes it.
        self._named_counters: dict[str, Any] = {}

    def _count(self, name: str, value: int = 1) -> None:
        if name not in self._named_counters:
            self._named_counters[name] = counter(name)
        self._named_counters[name].inc(value)

    def start_bundle(self) -> None:
        self._open: dict[DocumentKey, OpenDocument] = {}

    def process(self, seg: Segment) -> Iterator[object]:
        key = document_key(seg)
        document = self._open.setdefault(key, OpenDocument())
        if document.add(seg):
            del self._open[key]
            yield from self._rebuilt(document.segments)

    def finish_bundle(self) -> Iterator[object]:
        documents, self._open = self._open, {}
        for document in documents.values():
            for out in self._rebuilt(document.segments):
                yield beam.pvalue.TaggedOutput(out.tag, in_global_window(out.value))

    def _rebuilt(self, unordered: list[Segment]) -> Iterator[beam.pvalue.TaggedOutput]:
        segments = sorted(unordered, key=lambda seg: seg.order)
        problem = missing_segments(segments)
        if problem:
            self.incomplete.inc()
            first = segments[0]
            yield beam.pvalue.TaggedOutput(
                Tag.INCOMPLETE,
                ErrorRecord(
                    first.source_path,
                    first.doc_id,
                    Stage.REBUILD,
                    INCOMPLETE_ERROR,
                    f"target {first.target_lang}: {problem}",
                    target_lang=first.target_lang,
                ),
            )
            return
        document, segments = rebuild(segments, self.settings_sha256)
        self.documents.inc()
        yield beam.pvalue.TaggedOutput(Tag.DOCUMENTS, document)
        for seg in segments:
            self._count(route_status_metric(seg.source_lang, seg.target_lang, seg.status))
            if seg.status == SegmentStatus.TRANSLATED:
                self.translated.inc()
            if seg.reused and seg.target_tokens:
                self._count(
                    reused_tokens_metric(seg.source_lang, seg.target_lang), seg.target_tokens
                )
            yield beam.pvalue.TaggedOutput(Tag.SEGMENTS, seg)
            if seg.status == SegmentStatus.FAILED:
                self.failed.inc()
                yield beam.pvalue.TaggedOutput(
                    Tag.ERRORS,
                    ErrorRecord(
                        seg.source_path,
                        seg.doc_id,
                        seg.error_stage,
                        seg.error_type,
                        seg.error,
                        seg.paragraph_index,
                        seg.sentence_index,
                        seg.target_lang,
                    ),
                )


class RebuildDocuments(beam.PTransform):
    """Segments → documents (one per doc_id and target_lang), `segments` numbered,
    `errors` for failed segments and `incomplete` documents."""

    def __init__(self, settings_sha256: str) -> None:
        super().__init__()
        self.settings_sha256 = settings_sha256

    def expand(self, segments: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return segments | "Assemble" >> beam.ParDo(
            AssembleDocuments(self.settings_sha256)
        ).with_outputs(*OUTPUT_TAGS)
