"""RebuildDocuments: a document's segments, in order, joined with their own separators."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.records import (
    ERRORS_TAG,
    DocumentStatus,
    ErrorRecord,
    Segment,
    SegmentStatus,
    TranslatedDocument,
    content_sha256,
)

STAGE = "rebuild"
SEGMENTS_TAG = "segments"
INCOMPLETE_TAG = "incomplete"
METRICS_NAMESPACE = "corpus"
ROUTE_STATUS_PREFIX = "segments_by_route"


def route_status_metric(seg: Segment) -> str:
    """Counter name for a final segment: `segments_by_route:<source>:<target>:<status>`."""
    return f"{ROUTE_STATUS_PREFIX}:{seg.source_lang or 'und'}:{seg.target_lang}:{seg.status}"


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
    )
    return document, numbered


def missing_segments(segments: list[Segment]) -> str | None:
    """What is missing from a document's segments (sorted), or None when all are there."""
    expected = set(range(segments[0].paragraph_count))
    found: dict[int, list[int]] = {}
    for seg in segments:
        found.setdefault(seg.paragraph_index, []).append(seg.sentence_index)
    if set(found) != expected:
        return f"paragraphs {sorted(expected ^ set(found))} missing or unexpected"
    for paragraph, sentences in found.items():
        if sentences != list(range(len(sentences))):
            return f"paragraph {paragraph} has pieces {sentences}"
    return None


class RebuildDocument(beam.DoFn):
    def __init__(self, settings_sha256: str) -> None:
        self.settings_sha256 = settings_sha256
        self.documents = Metrics.counter(METRICS_NAMESPACE, "documents_written")
        self.incomplete = Metrics.counter(METRICS_NAMESPACE, "documents_incomplete")

    def process(self, keyed: tuple[tuple[str, str, str], Iterable[Segment]]) -> Iterator[object]:
        segments = sorted(keyed[1], key=lambda seg: seg.order)
        problem = missing_segments(segments)
        if problem:
            self.incomplete.inc()
            first = segments[0]
            yield beam.pvalue.TaggedOutput(
                INCOMPLETE_TAG,
                ErrorRecord(
                    first.source_path,
                    first.doc_id,
                    STAGE,
                    "IncompleteDocument",
                    f"target {first.target_lang}: {problem}",
                ),
            )
            return
        document, segments = rebuild(segments, self.settings_sha256)
        self.documents.inc()
        yield document
        for seg in segments:
            Metrics.counter(METRICS_NAMESPACE, route_status_metric(seg)).inc()
            yield beam.pvalue.TaggedOutput(SEGMENTS_TAG, seg)
            if seg.status == SegmentStatus.FAILED:
                yield beam.pvalue.TaggedOutput(
                    ERRORS_TAG,
                    ErrorRecord(
                        seg.source_path,
                        seg.doc_id,
                        seg.error_stage,
                        seg.error_type,
                        seg.error,
                        seg.paragraph_index,
                        seg.sentence_index,
                    ),
                )


class RebuildDocuments(beam.PTransform):
    """Segments → one document per (doc_id, target_lang) (main), numbered `segments`, and
    `errors` for failed segments."""

    def __init__(self, settings_sha256: str) -> None:
        super().__init__()
        self.settings_sha256 = settings_sha256

    def expand(self, segments: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return (
            segments
            | "ByDocument"
            >> beam.Map(lambda seg: ((seg.source_path, seg.doc_id, seg.target_lang), seg))
            | "Group" >> beam.GroupByKey()
            | "Rebuild"
            >> beam.ParDo(RebuildDocument(self.settings_sha256)).with_outputs(
                SEGMENTS_TAG, ERRORS_TAG, INCOMPLETE_TAG, main="documents"
            )
        )
