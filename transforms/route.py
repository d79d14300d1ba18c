"""RouteSegments: decide per paragraph whether it is translated, and into what.

A paragraph already in the target language, or with no letters at all
(numbers, URLs, emoji, punctuation), is passed through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.detect_language import NO_LETTERS_FLAG
from transforms.records import Segment, SegmentStatus


@dataclass(frozen=True)
class RouteSettings:
    target_lang: str
    model_id: str


class RouteDocumentSegments(beam.DoFn):
    def __init__(self, settings: RouteSettings) -> None:
        self.settings = settings
        self.passthrough = Metrics.counter("corpus", "segments_passthrough")

    def process(self, segments: list[Segment]) -> Iterator[Segment]:
        target = self.settings.target_lang
        for seg in segments:
            if NO_LETTERS_FLAG in seg.flags or seg.source_lang == target:
                self.passthrough.inc()
                yield seg.replace(
                    target_lang=target,
                    status=SegmentStatus.PASSTHROUGH,
                    translated_text=seg.source_text,
                )
            else:
                yield seg.replace(target_lang=target, model_id=self.settings.model_id)


class RouteSegments(beam.PTransform):
    """Per-document segment lists → single segments, each with its target and route."""

    def __init__(self, settings: RouteSettings) -> None:
        super().__init__()
        self.settings = settings

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        return documents | beam.ParDo(RouteDocumentSegments(self.settings))
