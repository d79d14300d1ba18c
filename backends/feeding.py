"""Which waiting requests the shared model decodes next (the server of backends/shared.py).

Workers send small batches of one source length as they tokenize them ("stream"); the
server keeps them in groups by (source length, decoding) across all workers, and sends
the model, while it has room (two batches per replica in flight):

1. a group holding a due request (waiting `max_wait` seconds, or its worker waits for
   it: that worker holds rows it cannot write, and reads nothing), oldest first;
2. a group holding `batch_tokens` (a full GPU batch), the fullest first;
3. while the model has less than one batch per replica, the fullest group: the GPU does
   not idle while work waits (the end of a run, a slow CPU side), and groups grow while
   it is busy.

A group goes whole up to `batch_tokens` source tokens; the rest waits for the next turn.
With `eager` ("bucket": workers hold GPU-sized buckets), every waiting group goes as soon
as the model has room, longest sources first: the design measured first on an H200.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass

from backends.base import Decoding, Hypothesis

MergeKey = tuple[int, tuple]  # (source tokens, decoding overrides)
FEEDS = ("stream", "bucket")


@dataclass(eq=False)
class Request:
    """One worker's batch at the server, waiting for its share of a model batch."""

    client: str
    number: int  # the client's name for it
    batch: list[list[str]]
    target_langs: list[str]
    decoding: Decoding | None
    arrived: float
    due: bool = False  # its worker waits for it

    def key(self) -> MergeKey:
        decoding = tuple(sorted(self.decoding.overrides().items())) if self.decoding else ()
        return len(self.batch[0]), decoding

    def tokens(self) -> int:
        return len(self.batch) * max(1, len(self.batch[0]))


def settled(
    group: list[Request], result: list[Hypothesis] | Exception
) -> list[tuple[Request, list[Hypothesis] | Exception]]:
    """Each request of a model batch with its slice of the batch's result."""
    shares, start = [], 0
    for request in group:
        end = start + len(request.batch)
        shares.append((request, result if isinstance(result, Exception) else result[start:end]))
        start = end
    return shares


class PendingGroups:
    """The requests of all workers by merge key, and the choice of the next model batch."""

    def __init__(self, batch_tokens: int, max_wait: float, eager: bool = False) -> None:
        self.batch_tokens = batch_tokens
        self.max_wait = max_wait
        self.eager = eager
        self._groups: dict[MergeKey, deque[Request]] = {}
        self._tokens: dict[MergeKey, int] = {}
        self._hurried: set[MergeKey] = set()
        self.reasons: Counter[str] = Counter()  # model batches by the rule that sent them

    def __bool__(self) -> bool:
        return bool(self._groups)

    def tokens(self) -> int:
        return sum(self._tokens.values())

    def add(self, request: Request) -> None:
        key = request.key()
        self._groups.setdefault(key, deque()).append(request)
        self._tokens[key] = self._tokens.get(key, 0) + request.tokens()

    def hurry(self, client: str, numbers: list[int]) -> None:
        """`client` waits for these requests: they are due."""
        wanted = set(numbers)
        for key, group in self._groups.items():
            for request in group:
                if request.client == client and request.number in wanted:
                    request.due = True
                    self._hurried.add(key)

    def next_batches(self, now: float, in_flight: int, replicas: int) -> list[list[Request]]:
        """The groups to send the model now, given `in_flight` batches at its `replicas`."""
        if not self._groups or in_flight >= 2 * replicas:
            return []
        if self.eager:
            batches = []
            for key in sorted(self._groups, key=lambda k: -k[0]):
                while key in self._groups:
                    batches.append(self._take(key))
            self.reasons["eager"] += len(batches)
            return batches
        for reason, key in (("due", self._due(now)), ("full", self._full())):
            if key is not None:
                self.reasons[reason] += 1
                return [self._take(key)]
        if in_flight < replicas:
            self.reasons["idle"] += 1
            return [self._take(max(self._tokens, key=self._tokens.__getitem__))]
        return []

    def _due(self, now: float) -> MergeKey | None:
        """The key whose oldest request waited past `max_wait`, else a hurried one."""
        key = min(self._groups, key=lambda k: self._groups[k][0].arrived)
        if self._groups[key][0].arrived + self.max_wait <= now:
            return key
        return min(self._hurried, key=lambda k: self._groups[k][0].arrived, default=None)

    def _full(self) -> MergeKey | None:
        key = max(self._tokens, key=self._tokens.__getitem__)
        return key if self._tokens[key] >= self.batch_tokens else None

    def _take(self, key: MergeKey) -> list[Request]:
        """The group's oldest requests up to `batch_tokens` (the first one always)."""
        group, taken, tokens = self._groups[key], [], 0
        while group and (not taken or tokens + group[0].tokens() <= self.batch_tokens):
            taken.append(group.popleft())
            tokens += taken[-1].tokens()
        self._tokens[key] -= tokens
        if not group:
            del self._groups[key], self._tokens[key]
        if not any(request.due for request in group):
            self._hurried.discard(key)
        return taken
