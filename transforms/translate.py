"""TranslateSegments: batched inference over segments of equal token length.

Which segments go together and when is the batching policy (inference/batching.py). A
batch is queued for the model's replicas and the runner thread reads on while they
translate: finished batches are collected in order, and the runner waits only when two
batches per replica are in flight, so that the cores translate while it reads, segments
and writes. A batch that raises is split in halves until the segment that causes it is
found; only that segment fails. With a `TranslationMemo` (inference/memo.py), a segment
identical to one translated or queued before is not queued again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.utils.windowed_value import WindowedValue

from backends import Hypothesis, ModelBackend, PendingBatch, TranslationModel
from core.metrics import counter, distribution
from core.names import Metric, Stage
from core.records import Segment, SegmentStatus, exception_name, in_global_window
from inference import (
    Buckets,
    TranslationMemo,
    batch_tokens,
    max_pending_tokens,
)

OUTPUT_LIMIT_FLAG = "output_length_limit"


@dataclass(frozen=True)
class TranslateSettings:
    batch_token_budget: int = 0  # 0: by the model's device (8192 on CPU, 65536 on GPU)
    max_pending_tokens: int = 0  # in buckets, per worker; 0: 16 batches of the largest budget
    dedup: bool = True  # translate identical (route, text) segments once
    dedup_entries: int = 50_000  # translations each worker remembers for that

    def memo_entries(self) -> int:
        return self.dedup_entries if self.dedup else 0


@dataclass(frozen=True)
class InFlight:
    """A batch the model's replicas are translating."""

    batch: list[Segment]
    pending: PendingBatch
    tokens: int


class TranslateBatches(beam.DoFn):
    def __init__(self, backends: dict[str, ModelBackend], settings: TranslateSettings) -> None:
        self.backends = backends
        self.settings = settings
        self.batches = counter(Metric.BATCHES)
        self.batch_sizes = distribution(Metric.BATCH_SIZE)
        self.decoded = counter(Metric.SEGMENTS_DECODED)
        self.model_errors = counter(Metric.SEGMENTS_MODEL_ERRORS)
        self.target_tokens = counter(Metric.TARGET_TOKENS)

    def setup(self) -> None:
        self._models: dict[str, TranslationModel] = {
            name: backend.shared_model() for name, backend in self.backends.items()
        }
        self._batch_sizes = {name: backend.batch_size() for name, backend in self.backends.items()}
        self._token_budgets = {
            name: self.settings.batch_token_budget or backend.token_budget()
            for name, backend in self.backends.items()
        }
        largest = max(self._token_budgets.values())
        self._max_pending_tokens = self.settings.max_pending_tokens or max_pending_tokens(largest)
        entries = self.settings.memo_entries()
        self._memo = TranslationMemo(entries) if entries else None
        self._max_in_flight_tokens = max(
            model.max_in_flight_tokens(largest) for model in self._models.values()
        )

    def start_bundle(self) -> None:
        if self._memo:
            self._memo.start_bundle()
        self._buckets = Buckets(self._token_budgets, self._max_pending_tokens, self._batch_sizes)
        # Submitted batches, oldest first, collected in that order once done.
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
                yield known.replace(reused=True)
                return
            if self._memo.follows(seg):
                return
        for batch in self._buckets.add(seg):
            self._submit(batch)
        self._keep_busy(seg.model_name)

    def _keep_busy(self, model_name: str | None) -> None:
        """A replica with nothing to decode gets the fullest bucket now, rather than
        idling until a bucket fills or the bundle ends."""
        model = self._models[model_name]
        decoding = 0
        # Oldest first: the batches still decoding are near the front, so this stops after
        # about `replicas` of them, however many a shared model lets a worker keep queued.
        for flight in self._in_flight:
            if flight.batch[0].model_name == model_name and not flight.pending.done():
                decoding += 1
                if decoding >= model.replicas:
                    return
        if batch := self._buckets.fullest(model_name):
            self._submit(batch)

    def _submit(self, batch: list[Segment]) -> None:
        """Queues the batch for the model's replicas."""
        model = self._models[batch[0].model_name]
        tokens = batch_tokens(batch)
        self._in_flight.append(InFlight(batch, model.submit(*self._inputs(batch)), tokens))
        self._in_flight_tokens += tokens

    def _collect(self, max_in_flight_tokens: int) -> Iterator[Segment]:
        """The finished batches, oldest first; waits for the oldest while over
        `max_in_flight_tokens` are in flight."""
        while self._in_flight and (
            self._in_flight_tokens > max_in_flight_tokens or self._in_flight[0].pending.done()
        ):
            done = self._in_flight.popleft()
            self._in_flight_tokens -= done.tokens
            model = self._models[done.batch[0].model_name]
            yield from self._outcome(done.batch, model, done.pending.result())

    def finish_bundle(self) -> Iterator[WindowedValue]:
        for batch in self._buckets.drain():
            self._submit(batch)
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
            self.model_errors.inc()
            failed = batch[0].fail(Stage.TRANSLATE, exception_name(result), str(result))
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
        self.decoded.inc(len(batch))
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
            for occurrence in self._memo.settle(seg, result):
                yield occurrence.replace(reused=True)


class TranslateSegments(beam.PTransform):
    """Translates the segments routed to a model; all others pass by untouched."""

    def __init__(self, backends: dict[str, ModelBackend], settings: TranslateSettings) -> None:
        super().__init__()
        self.backends = backends
        self.settings = settings

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        return segments | "Translate" >> beam.ParDo(TranslateBatches(self.backends, self.settings))
