"""TranslateSegments: batched CTranslate2 inference over segments of equal token length.

Segments are bucketed by (model, source token count) and a bucket is translated
when it holds `batch_token_budget` tokens or one model batch (`max_batch_size`
segments, 128 on CPU), at the end of the bundle, or when the
buckets together hold over `max_pending_tokens`: then the bucket holding the oldest
segment goes, so that no document waits long for a rare length (documents are
rebuilt as soon as their last segment is translated) and memory stays flat. Equal
lengths mean no padding, so a segment's translation and score do not depend on
which other segments share its batch (int8 GEMMs change with padding), and no
compute is spent on pad tokens. A batch that raises is split in halves until
the segment that causes it is found; only that segment fails. A bucket is queued
for the model's replicas (`inter_threads`) and the runner thread reads on while
they translate: finished buckets are collected in order, and the runner waits only
when two buckets per replica are in flight, so that the cores translate while it
reads, segments and writes. With a `TranslationMemo`
(transforms.dedup), a segment identical to one translated or queued before is not
queued again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.utils.shared import Shared
from apache_beam.utils.windowed_value import WindowedValue

from transforms.dedup import TranslationMemo
from transforms.model import (
    OUTPUT_LIMIT_FLAG,
    Hypothesis,
    PendingBatch,
    TranslationModel,
    TranslationModelHandler,
)
from transforms.records import Segment, SegmentStatus, exception_name, in_global_window

STAGE = "translate"


@dataclass(frozen=True)
class TranslateSettings:
    batch_token_budget: int = 8192
    max_pending_tokens: int = 131_072  # in buckets, per worker
    dedup: bool = True  # translate identical (route, text) segments once
    dedup_entries: int = 50_000  # translations each worker remembers for that

    def memo_entries(self) -> int:
        return self.dedup_entries if self.dedup else 0


BucketKey = tuple[str | None, int]  # (model name, source tokens)


@dataclass(frozen=True)
class InFlight:
    """A bucket the model's replicas are translating."""

    batch: list[Segment]
    pending: PendingBatch
    tokens: int


def _tokens(key: BucketKey) -> int:
    """What one segment of the bucket counts toward the budgets (empty inputs count 1)."""
    return max(1, key[1])


class TranslateBatches(beam.DoFn):
    def __init__(
        self,
        handlers: dict[str, TranslationModelHandler],
        shared: Shared,
        settings: TranslateSettings,
    ) -> None:
        self.handlers = handlers
        self.shared = shared
        self.settings = settings
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
        # Segments per model batch (0: the whole bucket, never full by count).
        self._batch_sizes = {
            name: model.settings.resolved_max_batch_size() for name, model in self._models.items()
        }
        entries = self.settings.memo_entries()
        self._memo = TranslationMemo(entries) if entries else None
        # Two full buckets per replica: when the oldest is collected, every replica
        # still has work queued.
        replicas = max(model.replicas for model in self._models.values())
        self._max_in_flight_tokens = 2 * replicas * self.settings.batch_token_budget

    def start_bundle(self) -> None:
        if self._memo:
            self._memo.start_bundle()
        # In order of creation, so the first holds the oldest segment.
        self._buckets: dict[BucketKey, list[Segment]] = {}
        self._pending_tokens = 0
        # Submitted buckets, oldest first, collected in that order once done.
        self._in_flight: deque[InFlight] = deque()
        self._in_flight_tokens = 0

    def process(self, seg: Segment) -> Iterator[Segment]:
        yield from self._collect(self._max_in_flight_tokens)
        if seg.status is not None:  # settled before: passthrough, untranslated, failed
            yield seg
            return
        if self._memo:
            known = self._memo.known(seg)
            if known is not None:
                yield known
                return
            if self._memo.follows(seg):
                return
        key = (seg.model_name, len(seg.pieces))
        bucket = self._buckets.setdefault(key, [])
        bucket.append(seg)
        self._pending_tokens += _tokens(key)
        if self._full(key, bucket):
            self._submit(key)
        while self._pending_tokens > self.settings.max_pending_tokens:
            self._submit(next(iter(self._buckets)))

    def _full(self, key: BucketKey, bucket: list[Segment]) -> bool:
        """At the token budget, or at one batch of the model (`max_batch_size`): queued
        then, the replicas translate while the runner reads on, where a bucket waiting
        for the budget would leave them idle until the end of the bundle."""
        return (
            len(bucket) * _tokens(key) >= self.settings.batch_token_budget
            or len(bucket) == self._batch_sizes[key[0]]
        )

    def _submit(self, key: BucketKey) -> None:
        """Takes the bucket out and queues it for the model's replicas."""
        bucket = self._buckets.pop(key)
        tokens = len(bucket) * _tokens(key)
        self._pending_tokens -= tokens
        model = self._models[key[0]]
        self._in_flight.append(InFlight(bucket, model.submit(*self._inputs(bucket)), tokens))
        self._in_flight_tokens += tokens

    def _collect(self, max_in_flight_tokens: int) -> Iterator[Segment]:
        """The finished buckets, oldest first; waits for the oldest while over
        `max_in_flight_tokens` are in flight."""
        while self._in_flight and (
            self._in_flight_tokens > max_in_flight_tokens or self._in_flight[0].pending.done()
        ):
            done = self._in_flight.popleft()
            self._in_flight_tokens -= done.tokens
            model = self._models[done.batch[0].model_name]
            yield from self._outcome(done.batch, model, done.pending.result())

    def finish_bundle(self) -> Iterator[WindowedValue]:
        # Longest first: the replicas end together, not with one of them decoding the
        # longest bucket while the others wait.
        for key in sorted(self._buckets, key=lambda k: (k[0] or "", -k[1])):
            self._submit(key)
        for seg in self._collect(-1):
            yield in_global_window(seg)

    @staticmethod
    def _inputs(batch: list[Segment]) -> tuple[list[list[str]], list[str]]:
        return [list(seg.pieces) for seg in batch], [seg.target_lang for seg in batch]

    def _outcome(
        self, batch: list[Segment], model: TranslationModel, result: list[Hypothesis] | Exception
    ) -> Iterator[Segment]:
        """The batch translated; a batch that raised is translated again in halves until
        the segment that raises is alone, and only that one fails."""
        if not isinstance(result, Exception):
            yield from self._translated(batch, model, result)
        elif len(batch) == 1:
            self.failed.inc()
            failed = batch[0].fail(STAGE, exception_name(result), str(result))
            yield from self._settled(batch[0], failed.replace(model_id=model.model_id))
        else:
            middle = len(batch) // 2
            yield from self._translate(batch[:middle])
            yield from self._translate(batch[middle:])

    def _translate(self, batch: list[Segment]) -> Iterator[Segment]:
        """The batch translated now, and waited for."""
        model = self._models[batch[0].model_name]
        yield from self._outcome(batch, model, model.submit(*self._inputs(batch)).result())

    def _translated(
        self, batch: list[Segment], model: TranslationModel, hypotheses: list[Hypothesis]
    ) -> Iterator[Segment]:
        self.batches.inc()
        self.batch_sizes.update(len(batch))
        self.translated.inc(len(batch))
        for seg, hyp in zip(batch, hypotheses, strict=True):
            self.target_tokens.inc(hyp.target_tokens)
            flags = seg.flags + ((OUTPUT_LIMIT_FLAG,) if hyp.hit_length_limit else ())
            translated = seg.replace(
                status=SegmentStatus.TRANSLATED,
                model_id=model.model_id,
                translated_text=hyp.text,
                score=hyp.score,
                target_tokens=hyp.target_tokens,
                flags=flags,
                pieces=(),
            )
            yield from self._settled(seg, translated)

    def _settled(self, seg: Segment, result: Segment) -> Iterator[Segment]:
        """`result`, and the identical segments that waited for it."""
        yield result
        if self._memo:
            yield from self._memo.settle(seg, result)


class TranslateSegments(beam.PTransform):
    """Translates the segments routed to the model; all others pass by untouched."""

    def __init__(
        self,
        handlers: dict[str, TranslationModelHandler],
        settings: TranslateSettings,
    ) -> None:
        super().__init__()
        self.handlers = handlers
        self.settings = settings

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        return segments | "Translate" >> beam.ParDo(
            TranslateBatches(self.handlers, Shared(), self.settings)
        )
