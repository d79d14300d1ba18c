"""One CTranslate2 model shared by every worker process of a machine (one GPU, many feeders).

A GPU decodes ~5,000 sentences a second in batches of ~1,000: more than one Python
process can read, split, tokenize and rebuild, and more than one process's buckets can
fill. So the CPU stages run in many worker processes while ONE model sits on the GPU, in
a server process started by the first worker through Beam's `MultiProcessShared` (the
mechanism of RunInference's `large_model`); the others connect to it. Each worker keeps
its own tokenizer and sends token batches; the server merges the batches of all workers
that have the same source length (and decoding) into one GPU batch while the GPU is busy,
so batches stay of one length (no padding) and grow with the number of feeders.

Measured on an H200 with 14 worker processes (bench/README.md, GPU): 3.2x the speed of a
model in each process, 0.48 of raw CTranslate2. Workers still submit most of their
batches at the end of a bundle, when their own buckets do not reach the GPU budget; a
server that batched dynamically as requests came measured slower (smaller GPU batches).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from backends.base import Decoding, Hypothesis, TranslationModel
from backends.ct2 import CTranslate2Backend, CTranslate2Model
from backends.settings import ModelSettings
from backends.store import model_id
from backends.tokenizer import SentencePieceTokenizer

# Batches a worker has at the server at once (each waits in a thread of its own).
CLIENT_CALLS = 32
LOG_EVERY = 500  # merged batches between two log lines of the server
LOG = logging.getLogger(__name__)


@dataclass
class Request:
    """One worker's batch, waiting at the server for its share of a merged batch."""

    batch: list[list[str]]
    target_langs: list[str]
    decoding: Decoding | None
    done: threading.Event = field(default_factory=threading.Event)
    result: list[Hypothesis] | Exception | None = None

    def merge_key(self) -> tuple[int, tuple]:
        decoding = tuple(sorted(self.decoding.overrides().items())) if self.decoding else ()
        return len(self.batch[0]), decoding

    def settle(self, result: list[Hypothesis] | Exception) -> None:
        self.result = result
        self.done.set()


def merged_groups(requests: list[Request], max_tokens: int) -> list[list[Request]]:
    """Requests of one source length and decoding together, each group up to `max_tokens`
    source tokens (a larger request alone), longest sources first."""
    groups: dict[tuple[int, tuple], list[list[Request]]] = defaultdict(list)
    for request in requests:
        key = request.merge_key()
        open_groups = groups[key]
        if not open_groups or (
            (segments_in(open_groups[-1]) + len(request.batch)) * max(1, key[0]) > max_tokens
        ):
            open_groups.append([])
        open_groups[-1].append(request)
    return [group for key in sorted(groups, key=lambda k: -k[0]) for group in groups[key]]


def segments_in(group: list[Request]) -> int:
    return sum(len(request.batch) for request in group)


class MergingTranslator:
    """The server side: a loaded model and a dispatcher thread that merges the waiting
    requests whenever the model has room for another batch (`depth` in flight)."""

    def __init__(self, model: CTranslate2Model, max_tokens: int) -> None:
        self.model = model
        self.max_tokens = max_tokens
        self.depth = 2 * model.replicas  # one batch decoding, one queued, per replica
        self._waiting: deque[Request] = deque()
        self._arrived = threading.Condition()
        self._merged = [0, 0, 0]  # batches sent to the model, requests and segments in them
        threading.Thread(target=self._dispatch, daemon=True, name="merge").start()

    def replica_count(self) -> int:
        return self.model.replicas

    def translate(
        self, batch: list[list[str]], target_langs: list[str], decoding: Decoding | None = None
    ) -> list[Hypothesis]:
        """Called by a worker (one server thread per connection); waits for the result."""
        request = Request(batch, target_langs, decoding)
        with self._arrived:
            self._waiting.append(request)
            self._arrived.notify()
        request.done.wait()
        if isinstance(request.result, Exception):
            raise request.result
        return request.result

    def _dispatch(self) -> None:
        in_flight: deque = deque()
        while True:
            with self._arrived:
                while not self._waiting and not in_flight:
                    self._arrived.wait()
                if not self._waiting and not in_flight[0][1].done():
                    self._arrived.wait(timeout=0.002)  # a request, or the oldest batch ends
                taken = list(self._waiting) if len(in_flight) < self.depth else []
                if taken:
                    self._waiting.clear()
            for group in merged_groups(taken, self.max_tokens):
                decoding = group[0].decoding
                batch = [tokens for request in group for tokens in request.batch]
                langs = [lang for request in group for lang in request.target_langs]
                in_flight.append((group, self.model.submit(batch, langs, decoding)))
                self._count(len(group), len(batch))
            while in_flight and (in_flight[0][1].done() or len(in_flight) >= self.depth):
                group, pending = in_flight.popleft()
                result = pending.result()
                start = 0
                for request in group:
                    end = start + len(request.batch)
                    request.settle(result if isinstance(result, Exception) else result[start:end])
                    start = end

    def _count(self, requests: int, segments: int) -> None:
        merged = self._merged
        merged[0], merged[1], merged[2] = merged[0] + 1, merged[1] + requests, merged[2] + segments
        if merged[0] % LOG_EVERY == 0:
            LOG.info(
                "shared model: %d batches, on average %.1f segments from %.1f worker batches",
                merged[0], merged[2] / merged[0], merged[1] / merged[0],
            )  # fmt: skip


def serve(settings: ModelSettings, max_tokens: int) -> MergingTranslator:
    """The server's constructor (runs in the server process)."""
    return MergingTranslator(CTranslate2Model(settings), max_tokens)


@dataclass
class RemoteBatch:
    """A batch at the server (a `PendingBatch`)."""

    future: Future

    def done(self) -> bool:
        return self.future.done()

    def result(self) -> list[Hypothesis] | Exception:
        exception = self.future.exception()
        return exception if isinstance(exception, Exception) else self.future.result()


class SharedModelClient(TranslationModel):
    """A worker's handle on the shared model: its own tokenizer, batches sent to the server."""

    def __init__(self, settings: ModelSettings, connect: Callable[[], MergingTranslator]) -> None:
        self.model_id = model_id(settings.path)
        self.tokenizer = SentencePieceTokenizer(settings)
        self._server = connect()
        self._replicas = self._server.replica_count()
        self._calls = ThreadPoolExecutor(CLIENT_CALLS, thread_name_prefix="shared-model")

    @property
    def replicas(self) -> int:
        return self._replicas

    def submit(
        self, batch: list[list[str]], target_langs: list[str], decoding: Decoding | None = None
    ) -> RemoteBatch:
        call = self._calls.submit(self._server.translate, batch, target_langs, decoding)
        return RemoteBatch(call)


class SharedCTranslate2Backend(CTranslate2Backend):
    """`model.backend: ctranslate2_shared`: one model per machine, however many worker
    processes feed it."""

    name = "ctranslate2_shared"

    def __init__(self, settings: ModelSettings) -> None:
        super().__init__(settings)
        # The workers of one run share a server; another run gets its own.
        self.run_scope = uuid.uuid4().hex[:12]

    def load_model(self) -> SharedModelClient:
        from apache_beam.utils.multi_process_shared import MultiProcessShared

        local = self._on_local_disk()
        digest = hashlib.sha256(self.share_key().encode()).hexdigest()[:16]
        shared = MultiProcessShared(
            functools.partial(serve, local, 4 * local.resolved_token_budget()),
            tag=f"corpus-translate-{digest}-{self.run_scope}",
            always_proxy=True,
            spawn_process=True,  # the model in a process of its own, not a worker's
        )
        return SharedModelClient(local, shared.acquire)
