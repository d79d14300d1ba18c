"""TranslationMemo: identical segments on the same route are translated once.

Real corpora repeat themselves (signatures, boilerplate, navigation text). The
translation DoFn asks the memo before queueing a segment: a text translated before
is answered from the memo, and one already queued waits for that first occurrence
instead of being queued again. Either way the occurrence keeps its own place
(document, paragraph, separators, detection results) and takes what translating
the first occurrence changed. Translation of equal-length batches does not depend
on the batch (DESIGN.md fact 1), so the rows are exactly those of a run without it.

The memo lives in the worker and keeps up to `capacity` recently used results
(keyed by a 16-byte digest, not the text), so memory stays flat however large the
corpus: a global GroupByKey by text would hold the whole corpus in a shuffle. It keeps
two generations of half the capacity and drops the older one whole when the newer is
full (a hit moves an entry to the newer): entries die together, so the allocator can
give their memory back, where an LRU evicting one entry per insert leaves long-lived
entries scattered among short-lived objects.
Repeats are caught within a worker; workers do not share their memos.
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
from collections.abc import Iterator
from typing import Any

from apache_beam.metrics import Metrics

from transforms.records import Segment

Changes = tuple[dict[str, Any], tuple[str, ...]]


def dedup_key(seg: Segment) -> bytes:
    """What decides a translation: the model, both languages (multilingual models take a
    source-language token) and the text; as a digest, so the memo does not hold texts."""
    fields = (seg.model_name, seg.source_lang, seg.target_lang, seg.source_text)
    return hashlib.blake2b(repr(fields).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def translation_changes(representative: Segment, result: Segment) -> Changes:
    """What translating `representative` into `result` changed: the fields that differ,
    and the flags translation appended (an occurrence keeps its own flags)."""
    changes = {
        field.name: getattr(result, field.name)
        for field in dataclasses.fields(Segment)
        if field.name != "flags"
        and getattr(result, field.name) != getattr(representative, field.name)
    }
    return changes, result.flags[len(representative.flags) :]


def fan_out(occurrence: Segment, changes: Changes) -> Segment:
    """`occurrence` translated as its first occurrence was."""
    fields, added_flags = changes
    return occurrence.replace(**fields, flags=occurrence.flags + added_flags)


class TranslationMemo:
    """Translations by dedup key, and the occurrences waiting for one in flight."""

    def __init__(self, capacity: int) -> None:
        self.generation = max(1, capacity // 2)
        # Each entry is one bytes object (the pickled changes, field names as an index
        # into `_names`): a tuple of Python objects per entry took three times the memory.
        self._recent: dict[bytes, bytes] = {}
        self._older: dict[bytes, bytes] = {}
        self._names: list[tuple[str, ...]] = []
        self._name_index: dict[tuple[str, ...], int] = {}
        self._waiting: dict[bytes, list[Segment]] = {}
        self.deduplicated = Metrics.counter("corpus", "segments_deduplicated")
        self.tokens_saved = Metrics.counter("corpus", "dedup_source_tokens_saved")

    def start_bundle(self) -> None:
        """Forgets the segments in flight: a retried bundle sends them all again."""
        self._waiting.clear()

    def known(self, seg: Segment) -> Segment | None:
        """`seg` translated as an identical segment was, when the memo holds its result."""
        key = dedup_key(seg)
        packed = self._recent.get(key)
        if packed is None:
            packed = self._older.pop(key, None)
            if packed is None:
                return None
            self._remember(key, packed)
        self._count(seg)
        index, values, added_flags = pickle.loads(packed)
        return fan_out(seg, (dict(zip(self._names[index], values, strict=True)), added_flags))

    def follows(self, seg: Segment) -> bool:
        """True: an identical segment is being translated, and `seg` waits for it (`settle`
        gives it back). False: `seg` is the first, to translate."""
        key = dedup_key(seg)
        waiting = self._waiting.get(key)
        if waiting is None:
            self._waiting[key] = []
            return False
        self._count(seg)
        waiting.append(seg)
        return True

    def settle(self, representative: Segment, result: Segment) -> Iterator[Segment]:
        """Records the result of a first occurrence; yields the occurrences that waited."""
        key = dedup_key(representative)
        changes = translation_changes(representative, result)
        fields, added_flags = changes
        names = tuple(fields)
        index = self._name_index.get(names)
        if index is None:
            index = self._name_index[names] = len(self._names)
            self._names.append(names)
        self._remember(key, pickle.dumps((index, tuple(fields.values()), added_flags), 5))
        for occurrence in self._waiting.pop(key, ()):
            yield fan_out(occurrence, changes)

    def _remember(self, key: bytes, packed: bytes) -> None:
        self._recent[key] = packed
        if len(self._recent) >= self.generation:
            self._older, self._recent = self._recent, {}

    def _count(self, seg: Segment) -> None:
        self.deduplicated.inc()
        self.tokens_saved.inc(seg.source_tokens or 0)
