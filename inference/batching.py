"""The batching policy: which segments go to the model together, and when.

Segments wait in buckets by (model, source token count). Equal lengths mean no padding:
on CPU with int8, padding changed the output of 13 of 60 sentences against translating
each alone, while batches of one length gave bit-identical hypotheses and scores (beam 2
and 4), so a segment's translation does not depend on which segments share its batch, and
no compute is spent on pad tokens. A bucket goes to the model when it holds
its model's token budget (`batch_token_budget`: by default 8192 tokens on CPU, 65536 on a
GPU, which wants ~1,000-sentence batches) or one model batch (`max_batch_size` segments,
128 on CPU), at
the end of the bundle, or when the buckets together hold over `max_pending_tokens`: then
the bucket holding the oldest segment goes, so that no document waits long for a rare
length and memory stays flat. And whenever one of the model's replicas has nothing to
decode, the fullest bucket goes at once (`fullest`): on a corpus of many lengths few
buckets ever fill, and a replica waiting for one idles while the runner reads.
"""

from __future__ import annotations

from collections.abc import Iterator

from core.records import Segment

BucketKey = tuple[str | None, int]  # (model name, source tokens)


def bucket_key(seg: Segment) -> BucketKey:
    return seg.model_name, len(seg.pieces)


def batch_tokens(batch: list[Segment]) -> int:
    """What a batch counts toward the budgets (an empty input counts as one token)."""
    return len(batch) * max(1, len(batch[0].pieces))


class Buckets:
    """The segments of one bundle waiting for the model, by `bucket_key`."""

    def __init__(
        self, token_budgets: dict[str, int], max_pending_tokens: int, batch_sizes: dict[str, int]
    ) -> None:
        # Source tokens per batch by model name.
        self.token_budgets = token_budgets
        self.max_pending_tokens = max_pending_tokens
        # Segments per model batch by model name (0: the whole bucket, never full by count).
        self.batch_sizes = batch_sizes
        # In order of creation, so the first holds the oldest segment.
        self._buckets: dict[BucketKey, list[Segment]] = {}
        self._pending_tokens = 0

    def add(self, seg: Segment) -> Iterator[list[Segment]]:
        """Adds `seg`; yields the batches that are due now."""
        key = bucket_key(seg)
        bucket = self._buckets.setdefault(key, [])
        bucket.append(seg)
        self._pending_tokens += batch_tokens([seg])
        if self._full(key, bucket):
            yield self._take(key)
        while self._pending_tokens > self.max_pending_tokens:
            yield self._take(next(iter(self._buckets)))

    def fullest(self, model: str | None) -> list[Segment] | None:
        """The bucket of `model` holding the most tokens, taken; None if it has none."""
        keys = [key for key in self._buckets if key[0] == model]
        if not keys:
            return None
        return self._take(max(keys, key=lambda k: batch_tokens(self._buckets[k])))

    def drain(self) -> Iterator[list[Segment]]:
        """Every bucket, longest first per model: the replicas end together, not with one
        of them decoding the longest bucket while the others wait."""
        for key in sorted(self._buckets, key=lambda k: (k[0] or "", -k[1])):
            yield self._take(key)

    def _full(self, key: BucketKey, bucket: list[Segment]) -> bool:
        """At the token budget, or at one batch of the model: queued then, the replicas
        translate while the runner reads on, where a bucket waiting for the budget would
        leave them idle until the end of the bundle."""
        model = key[0]
        return (
            batch_tokens(bucket) >= self.token_budgets[model]
            or len(bucket) == self.batch_sizes[model]
        )

    def _take(self, key: BucketKey) -> list[Segment]:
        bucket = self._buckets.pop(key)
        self._pending_tokens -= batch_tokens(bucket)
        return bucket


def max_pending_tokens(token_budget: int) -> int:
    """Tokens a worker holds in buckets by default: sixteen full buckets, so that common
    lengths fill to the budget while rare ones wait little."""
    return 16 * token_budget
