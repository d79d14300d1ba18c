"""TranslationMemo: identical segments on the same route are translated once.

Real corpora repeat themselves (signatures, boilerplate, navigation text). The
translation DoFn asks the memo before queueing a segment: a text translated before
is answered from the memo, and one already queued waits for that first occurrence
instead of being queued again. Either way the occurrence keeps its own place
(document, paragraph, separators, detection results) and takes what translating
the first occurrence changed. A batch holds sources of one token length, and then a
segment's translation does not depend on the other segments of its batch (no padding
changes the int8 GEMMs: inference/batching.py), so the rows are exactly those of a run
without the memo.

The memo lives in the worker and keeps up to `capacity` recently used results, so
memory stays flat however large the corpus: a global GroupByKey by text would hold
the whole corpus in a shuffle. It keeps two generations of half the capacity and
drops the older one whole when the newer is full (a hit copies an entry to the
newer). A generation is two fixed blocks of anonymous memory (`MemoGeneration`):
as Python objects, an entry took about 300 bytes of the heap, and the heap kept
twice that in RSS once entries died among longer-lived objects (bench/README.md
item 4). Repeats are caught within a worker; workers do not share their memos.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import mmap
import struct
from collections.abc import Hashable, Iterator
from typing import Any

from core.metrics import counter
from core.names import Column, Metric
from core.records import Segment

Changes = tuple[dict[str, Any], tuple[str, ...]]

# What translation writes that differs from one segment to the next (a failure's
# message included); the rest of what it changes (status, model, flags, the pieces it
# clears, the failing stage and type) is shared by a whole route, so an entry keeps only
# these and the index of its shared part.
PER_SEGMENT = (Column.TRANSLATED_TEXT, Column.SCORE, Column.TARGET_TOKENS, Column.ERROR)
MAX_SHARED_PARTS = 1024  # distinct shared parts; past it, a new one is not remembered
VALUE_BYTES_PER_ENTRY = 256  # room for values; a generation of long texts holds fewer


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


class MemoGeneration:
    """Up to `entries` packed values by 16-byte key, in an open-addressed table of
    (key, offset, length) slots and a block of values, both anonymous mappings: the
    pages are touched only as entries arrive, and dropping the generation unmaps them."""

    def __init__(self, entries: int) -> None:
        self.capacity = entries
        self.count = 0
        self._slots = entries + entries // 2 + 1
        self._table = memoryview(mmap.mmap(-1, self._slots * 32)).cast("Q")
        self._values = mmap.mmap(-1, entries * VALUE_BYTES_PER_ENTRY)
        self._used = 0

    def get(self, key: bytes) -> bytes | None:
        slot, _, _ = self._find(key)
        if self._table[slot] == 0:
            return None
        offset, length = self._table[slot + 2], self._table[slot + 3]
        return self._values[offset : offset + length]

    def fits(self, value: bytes) -> bool:
        """Whether an empty generation of this size has room for `value`."""
        return len(value) <= len(self._values)

    def put(self, key: bytes, value: bytes) -> bool:
        """False, and nothing stored, when the generation is full."""
        if self.count == self.capacity or self._used + len(value) > len(self._values):
            return False
        slot, high, low = self._find(key)
        self.count += self._table[slot] == 0
        self._values[self._used : self._used + len(value)] = value
        self._table[slot : slot + 4] = memoryview(
            struct.pack("<4Q", high, low, self._used, len(value))
        ).cast("Q")
        self._used += len(value)
        return True

    def _find(self, key: bytes) -> tuple[int, int, int]:
        """Where `key` is, or the empty slot where it goes (as an index into the table),
        and its two words; the high word is never 0, which marks an empty slot."""
        high, low = struct.unpack("<2Q", key)
        high |= 1
        index = low % self._slots
        while True:
            stored = self._table[4 * index]
            if stored == 0 or (stored == high and self._table[4 * index + 1] == low):
                return 4 * index, high, low
            index = (index + 1) % self._slots


class TranslationMemo:
    """Translations by dedup key, and the occurrences waiting for one in flight."""

    def __init__(self, capacity: int) -> None:
        self.generation = max(1, capacity // 2)
        self._recent = MemoGeneration(self.generation)
        self._older: MemoGeneration | None = None
        self._shared: list[tuple[Hashable, ...]] = []
        self._shared_index: dict[tuple[Hashable, ...], int] = {}
        self._waiting: dict[bytes, list[Segment]] = {}
        self.deduplicated = counter(Metric.SEGMENTS_DEDUPLICATED)
        self.tokens_saved = counter(Metric.DEDUP_SOURCE_TOKENS_SAVED)

    def start_bundle(self) -> None:
        """Forgets the segments in flight: a retried bundle sends them all again."""
        self._waiting.clear()

    def known(self, seg: Segment) -> Segment | None:
        """`seg` translated as an identical segment was, when the memo holds its result."""
        key = dedup_key(seg)
        packed = self._recent.get(key)
        if packed is None:
            packed = self._older.get(key) if self._older else None
            if packed is None:
                return None
            self._remember(key, packed)
        self._count(seg)
        return fan_out(seg, self._unpack(packed))

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
        packed = self._pack(changes)
        if packed is not None:
            self._remember(key, packed)
        for occurrence in self._waiting.pop(key, ()):
            yield fan_out(occurrence, changes)

    def _pack(self, changes: Changes) -> bytes | None:
        """The changes as the index of their shared part and the per-segment values;
        None (not remembered) when the shared part is one too many."""
        fields, added_flags = changes
        per_segment = tuple(name for name in PER_SEGMENT if name in fields)
        shared = tuple((name, value) for name, value in fields.items() if name not in PER_SEGMENT)
        part = (shared, per_segment, added_flags)
        index = self._shared_index.get(part)
        if index is None:
            if len(self._shared) == MAX_SHARED_PARTS:
                return None
            index = self._shared_index[part] = len(self._shared)
            self._shared.append(part)
        return marshal.dumps((index, *(fields[name] for name in per_segment)))

    def _unpack(self, packed: bytes) -> Changes:
        index, *values = marshal.loads(packed)
        shared, per_segment, added_flags = self._shared[index]
        return {**dict(shared), **dict(zip(per_segment, values, strict=True))}, added_flags

    def _remember(self, key: bytes, packed: bytes) -> None:
        if not self._recent.put(key, packed) and self._recent.fits(packed):
            self._older, self._recent = self._recent, MemoGeneration(self.generation)
            self._recent.put(key, packed)

    def _count(self, seg: Segment) -> None:
        self.deduplicated.inc()
        self.tokens_saved.inc(seg.source_tokens or 0)
