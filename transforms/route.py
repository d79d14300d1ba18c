"""RouteSegments: decide per paragraph and target language what happens to it.

A paragraph already in the target language, or with no letters at all
(numbers, URLs, emoji, punctuation) or no words (hex dumps, hashes), passes
through unchanged. Otherwise the
route for (source language → target) names the model: an exact source match
first, then a `*` route. No route, or a multilingual model without a token for
the language, leaves the paragraph untranslated with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam

from backends import ModelSettings
from core.metrics import counter
from core.names import Metric
from core.records import Segment, SegmentStatus
from transforms.detect_language import NO_LETTERS_FLAG, NO_WORDS_FLAG

ANY_SOURCE = "*"


@dataclass(frozen=True)
class Route:
    source: str
    target: str
    model: str


class RouteTable:
    def __init__(self, routes: list[Route], models: dict[str, ModelSettings]) -> None:
        self.routes = {(route.source, route.target): route.model for route in routes}
        self.models = models

    def model_for(self, source: str | None, target: str) -> tuple[str | None, str | None]:
        """(model name, None) for the route to take, or (None, why there is none)."""
        if source is None:
            return None, f"language not detected; no route to {target}"
        name = self.routes.get((source, target)) or self.routes.get((ANY_SOURCE, target))
        if name is None:
            return None, f"no route for {source} → {target}"
        model = self.models[name]
        if model.multilingual and model.language_token(source) is None:
            return None, f"model {name!r} has no language token for {source!r}"
        if not model.translates(source, target):
            return None, (
                f"model {name!r} does not translate {source} → {target} (its languages: "
                f"{', '.join(model.source_languages)} → {', '.join(model.target_languages) or '*'})"
            )
        return name, None


class RouteDocumentSegments(beam.DoFn):
    def __init__(self, targets: list[str], routes: RouteTable) -> None:
        self.targets = targets
        self.routes = routes
        self.passthrough = counter(Metric.SEGMENTS_PASSTHROUGH)
        self.untranslated = counter(Metric.SEGMENTS_UNTRANSLATED)

    def process(self, segments: list[Segment]) -> Iterator[Segment]:
        for target in self.targets:
            for seg in segments:
                yield self._route(seg, target)

    def _route(self, seg: Segment, target: str) -> Segment:
        if seg.status is not None:
            return seg.replace(target_lang=target)
        if NO_LETTERS_FLAG in seg.flags or NO_WORDS_FLAG in seg.flags or seg.source_lang == target:
            self.passthrough.inc()
            return seg.replace(
                target_lang=target,
                status=SegmentStatus.PASSTHROUGH,
                translated_text=seg.source_text,
            )
        name, reason = self.routes.model_for(seg.source_lang, target)
        if name is None:
            self.untranslated.inc()
            return seg.replace(target_lang=target, status=SegmentStatus.UNTRANSLATED, error=reason)
        return seg.replace(target_lang=target, model_name=name)


class RouteSegments(beam.PTransform):
    """Per-document segment lists → one segment per (paragraph, target), routed."""

    def __init__(self, targets: list[str], routes: RouteTable) -> None:
        super().__init__()
        self.targets = targets
        self.routes = routes

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        return documents | beam.ParDo(RouteDocumentSegments(self.targets, self.routes))
