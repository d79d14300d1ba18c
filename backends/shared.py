"""One CTranslate2 model shared by every worker process of a machine (one GPU, many feeders).

A GPU decodes ~5,000 sentences a second in batches of ~1,000: more than one Python
process can read, split, tokenize and rebuild, and more than one process's buckets can
fill. So the CPU stages run in many worker processes while ONE model sits on the GPU, in
a server process started by the first worker through Beam's `MultiProcessShared` (the
mechanism of RunInference's `large_model`); the others connect to it. Each worker keeps
its own tokenizer and sends token batches; the server merges the batches of all workers
that have the same source length (and decoding) into one GPU batch while the GPU is busy,
so batches stay of one length (no padding) and grow with the number of feeders.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from backends.base import Decoding, Hypothesis, TranslationModel
from backends.ct2 import CTranslate2Backend, CTranslate2Model
from backends.settings import ModelSettings
from backends.store import model_id
from backends.tokenizer import SentencePieceTokenizer

# A worker sends its buckets at this many tokens (the server merges them into GPU batches),
# and keeps up to 2 x CLIENT_WINDOW x that many tokens at the server.
CLIENT_TOKEN_BUDGET = 8192
CLIENT_WINDOW = 8
CLIENT_CALLS = 32  # batches a worker has at the server at once, each waiting in a thread
# A request waiting longer than this goes next, whatever the size of its group.
MAX_WAIT_SECONDS = 1.0
LOG_EVERY = 500  # merged batches between two log lines of the server
LOG = logging.getLogger(__name__)

MergeKey = tuple[int, tuple]  # (source tokens, decoding overrides)


@dataclass
class Request:
    """One worker's batch, waiting at the server for its share of a merged batch."""

    batch: list[list[str]]
    target_langs: list[str]
    decoding: Decoding | None
    arrived: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    result: list[Hypothesis] | Exception | None = None

    def merge_key(self) -> MergeKey:
        decoding = tuple(sorted(self.decoding.overrides().items())) if self.decoding else ()
        return len(self.batch[0]), decoding

    def settle(self, result: list[Hypothesis] | Exception) -> None:
        self.result = result
        self.done.set()


class WaitingRequests:
    """Requests by merge key; a key's place is that of its oldest request."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._by_key: dict[MergeKey, deque[Request]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def add(self, request: Request) -> None:
        self._by_key.setdefault(request.merge_key(), deque()).append(request)

    def take(self, now: float) -> list[Request]:
        """The next GPU batch: the requests of the key that has waited over
        MAX_WAIT_SECONDS, else of the key with the most tokens, up to `max_tokens`."""
        key = next(iter(self._by_key))
        if now - self._by_key[key][0].arrived <= MAX_WAIT_SECONDS:
            key = max(self._by_key, key=self._tokens)
        requests, taken, tokens = self._by_key[key], [], 0
        length = max(1, key[0])
        while requests:
            adds = len(requests[0].batch) * length
            if taken and tokens + adds > self.max_tokens:
                break
            taken.append(requests.popleft())
            tokens += adds
        if not requests:
            del self._by_key[key]
        return taken

    def _tokens(self, key: MergeKey) -> int:
        return sum(len(request.batch) for request in self._by_key[key]) * max(1, key[0])


class MergingTranslator:
    """The server side: a loaded model and a dispatcher thread that sends the model one
    merged batch whenever it has room (`depth` batches in flight): while the GPU is busy,
    requests pile up and the batches grow."""

    def __init__(self, model: CTranslate2Model, max_tokens: int) -> None:
        self.model = model
        self.depth = 2 * model.replicas  # one batch decoding, one queued, per replica
        self._waiting = WaitingRequests(max_tokens)
        self._arrived = threading.Condition()
        self._merged = [0, 0, 0]  # batches sent to the model, requests and segments in them
        threading.Thread(target=self._dispatch, daemon=True, name="merge").start()

    def translate(
        self, batch: list[list[str]], target_langs: list[str], decoding: Decoding | None = None
    ) -> list[Hypothesis]:
        """Called by a worker (one server thread per connection); waits for the result."""
        request = Request(batch, target_langs, decoding)
        with self._arrived:
            self._waiting.add(request)
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
                room = len(in_flight) < self.depth
                if not (room and self._waiting) and not in_flight[0][1].done():
                    self._arrived.wait(timeout=0.001)  # a request comes, or a batch ends
                group = self._waiting.take(time.monotonic()) if room and self._waiting else []
            if group:
                batch = [tokens for request in group for tokens in request.batch]
                langs = [lang for request in group for lang in request.target_langs]
                in_flight.append((group, self.model.submit(batch, langs, group[0].decoding)))
                self._count(len(group), len(batch))
            while in_flight and in_flight[0][1].done():
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
        self._calls = ThreadPoolExecutor(CLIENT_CALLS, thread_name_prefix="shared-model")

    @property
    def replicas(self) -> int:
        """Sets how much a worker keeps at the server (`max_in_flight_tokens`): enough
        for the server to merge while its requests wait."""
        return CLIENT_WINDOW

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

    def token_budget(self) -> int:
        """What a worker's bucket holds before it goes to the server (which merges)."""
        return CLIENT_TOKEN_BUDGET

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
