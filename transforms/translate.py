"""TranslateSegments: batched CTranslate2 inference over segments of equal token length.

Segments are bucketed by (model, source token count) and a bucket is translated
when it holds `batch_token_budget` tokens, or at the end of the bundle. Equal
lengths mean no padding, so a segment's translation and score do not depend on
which other segments share its batch (int8 GEMMs change with padding), and no
compute is spent on pad tokens. A batch that raises is split in halves until
the segment that causes it is found; only that segment fails. Full buckets are
translated together, one per replica of the model (`inter_threads`), so that on
CPU each core works on a batch of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.shared import Shared
from apache_beam.utils.windowed_value import WindowedValue

from transforms.model import (
    OUTPUT_LIMIT_FLAG,
    Hypothesis,
    TranslationModel,
    TranslationModelHandler,
)
from transforms.records import Segment, SegmentStatus, exception_name

STAGE = "translate"


class TranslateBatches(beam.DoFn):
    def __init__(
        self, handlers: dict[str, TranslationModelHandler], shared: Shared, batch_token_budget: int
    ) -> None:
        self.handlers = handlers
        self.shared = shared
        self.batch_token_budget = batch_token_budget
        self.batches = Metrics.counter("corpus", "batches")
        self.batch_sizes = Metrics.distribution("corpus", "batch_size")
        self.translated = Metrics.counter("corpus", "segments_translated")
        self.failed = Metrics.counter("corpus", "segments_failed")
        self.target_tokens = Metrics.counter("corpus", "target_tokens")

    def setup(self) -> None:
        # Each model once per worker process, however many routes and DoFn instances use it.
        self._models: dict[str, TranslationModel] = {
            name: self.shared.acquire(handler.load_model, tag=handler.share_key())
            for name, handler in self.handlers.items()
        }

    def start_bundle(self) -> None:
        self._buckets: dict[tuple[str | None, int], list[Segment]] = defaultdict(list)
        # Full buckets by model, translated together once every replica can have one.
        self._full: dict[str, list[list[Segment]]] = defaultdict(list)

    def process(self, seg: Segment) -> Iterator[Segment]:
        key = (seg.model_name, len(seg.pieces))
        bucket = self._buckets[key]
        bucket.append(seg)
        if len(bucket) * max(1, key[1]) >= self.batch_token_budget:
            del self._buckets[key]
            full = self._full[seg.model_name]
            full.append(bucket)
            if len(full) >= self._models[seg.model_name].replicas:
                yield from self._translate_full(seg.model_name)

    def finish_bundle(self) -> Iterator[WindowedValue]:
        buckets, self._buckets = self._buckets, defaultdict(list)
        for key in sorted(buckets, key=lambda k: (k[0] or "", k[1])):
            self._full[key[0]].append(buckets[key])
        for name in sorted(self._full):
            for seg in self._translate_full(name):
                yield WindowedValue(seg, GlobalWindow().max_timestamp(), (GlobalWindow(),))

    def _translate_full(self, name: str) -> Iterator[Segment]:
        batches = self._full.pop(name)
        model = self._models[name]
        results = model.translate_many([self._inputs(batch) for batch in batches])
        for batch, result in zip(batches, results, strict=True):
            if isinstance(result, Exception):
                yield from self._translate(batch)  # bisects down to the failing segment
            else:
                yield from self._translated(batch, model, result)

    @staticmethod
    def _inputs(batch: list[Segment]) -> tuple[list[list[str]], list[str]]:
        return [list(seg.pieces) for seg in batch], [seg.target_lang for seg in batch]

    def _translate(self, batch: list[Segment]) -> Iterator[Segment]:
        model = self._models[batch[0].model_name]
        try:
            hypotheses = model.translate(*self._inputs(batch))
        except Exception as exc:  # noqa: BLE001 - isolate the segment that raises
            if len(batch) == 1:
                self.failed.inc()
                failed = batch[0].fail(STAGE, exception_name(exc), str(exc))
                yield failed.replace(model_id=model.model_id)
                return
            middle = len(batch) // 2
            yield from self._translate(batch[:middle])
            yield from self._translate(batch[middle:])
            return
        yield from self._translated(batch, model, hypotheses)

    def _translated(
        self, batch: list[Segment], model: TranslationModel, hypotheses: list[Hypothesis]
    ) -> Iterator[Segment]:
        self.batches.inc()
        self.batch_sizes.update(len(batch))
        self.translated.inc(len(batch))
        for seg, hyp in zip(batch, hypotheses, strict=True):
            self.target_tokens.inc(hyp.target_tokens)
            flags = seg.flags + ((OUTPUT_LIMIT_FLAG,) if hyp.hit_length_limit else ())
            yield seg.replace(
                status=SegmentStatus.TRANSLATED,
                model_id=model.model_id,
                translated_text=hyp.text,
                score=hyp.score,
                target_tokens=hyp.target_tokens,
                flags=flags,
                pieces=(),
            )


class TranslateSegments(beam.PTransform):
    """Translates the segments routed to the model; all others pass by untouched."""

    def __init__(
        self, handlers: dict[str, TranslationModelHandler], batch_token_budget: int
    ) -> None:
        super().__init__()
        self.handlers = handlers
        self.batch_token_budget = batch_token_budget

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        to_translate, settled = segments | "NeedsModel" >> beam.Partition(
            lambda seg, _: 1 if seg.status is not None else 0, 2
        )
        translated = to_translate | "Translate" >> beam.ParDo(
            TranslateBatches(self.handlers, Shared(), self.batch_token_budget)
        )
        return (translated, settled) | "Merge" >> beam.Flatten()
