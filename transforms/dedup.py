"""TranslateOnce: identical segments on the same route are translated once per run.

Real corpora repeat themselves (signatures, boilerplate, navigation text). Segments
are grouped by their route and text; one representative per group goes through the
translation transform, and its result is fanned out to every other occurrence,
each keeping its own place (document, paragraph, separators, detection results).
The representative is the first occurrence in (doc_id, paragraph, sentence) order,
and translation of equal-length batches does not depend on the batch (DESIGN.md
fact 1), so the output rows are exactly those of a run without deduplication.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.records import Segment

DUPLICATES_TAG = "duplicates"
DedupKey = tuple[str | None, str | None, str | None, str]


def dedup_key(seg: Segment) -> DedupKey:
    """What decides a translation: the model, both languages (multilingual models take a
    source-language token) and the text."""
    return (seg.model_name, seg.source_lang, seg.target_lang, seg.source_text)


def first_occurrence_order(seg: Segment) -> tuple[str, int, int]:
    return (seg.doc_id, seg.paragraph_index, seg.sentence_index)


def fan_out(representative: Segment, result: Segment, occurrence: Segment) -> Segment:
    """`occurrence` with what translating `representative` into `result` changed.

    Flags are appended by translation, so the occurrence keeps its own flags and
    gains the ones translation added.
    """
    changes = {
        field.name: getattr(result, field.name)
        for field in dataclasses.fields(Segment)
        if field.name != "flags"
        and getattr(result, field.name) != getattr(representative, field.name)
    }
    added_flags = result.flags[len(representative.flags) :]
    return occurrence.replace(**changes, flags=occurrence.flags + added_flags)


class PickRepresentative(beam.DoFn):
    """A group of identical segments → its first occurrence (main) and, when the group
    has more, `(key, (representative, others))` on the duplicates output."""

    def __init__(self) -> None:
        self.deduplicated = Metrics.counter("corpus", "segments_deduplicated")
        self.tokens_saved = Metrics.counter("corpus", "dedup_source_tokens_saved")

    def process(
        self, group: tuple[DedupKey, Iterable[Segment]]
    ) -> Iterator[Segment | beam.pvalue.TaggedOutput]:
        key, segments = group
        first, *others = sorted(segments, key=first_occurrence_order)
        yield first
        if others:
            self.deduplicated.inc(len(others))
            self.tokens_saved.inc(sum(seg.source_tokens or 0 for seg in others))
            yield beam.pvalue.TaggedOutput(DUPLICATES_TAG, (key, (first, others)))


def fan_out_group(
    joined: tuple[DedupKey, dict[str, list]],
) -> Iterator[Segment]:
    """The translated representative, then each of its duplicates with the same result."""
    _, values = joined
    (result,) = values["translated"]
    yield result
    for representative, others in values[DUPLICATES_TAG]:
        for occurrence in others:
            yield fan_out(representative, result, occurrence)


class TranslateOnce(beam.PTransform):
    """Wraps a segment translation transform so each distinct segment is translated once.

    Only segments still to translate (`status` unset) are grouped; the others pass by.
    """

    def __init__(self, translate: beam.PTransform) -> None:
        super().__init__()
        self.translate = translate

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        to_translate, settled = segments | "NeedsModel" >> beam.Partition(
            lambda seg, _: 1 if seg.status is not None else 0, 2
        )
        picked = (
            to_translate
            | "ByRouteAndText" >> beam.Map(lambda seg: (dedup_key(seg), seg))
            | "GroupIdentical" >> beam.GroupByKey()
            | "PickRepresentative"
            >> beam.ParDo(PickRepresentative()).with_outputs(DUPLICATES_TAG, main="unique")
        )
        translated = picked.unique | "TranslateUnique" >> self.translate
        fanned = (
            {
                "translated": translated | "KeyResults" >> beam.Map(lambda s: (dedup_key(s), s)),
                DUPLICATES_TAG: picked[DUPLICATES_TAG],
            }
            | "JoinDuplicates" >> beam.CoGroupByKey()
            | "FanOut" >> beam.FlatMap(fan_out_group)
        )
        return (fanned, settled) | "Merge" >> beam.Flatten()
