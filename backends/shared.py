"""One CTranslate2 model shared by every worker process of a machine (one GPU, many feeders).

A GPU decodes ~5,000 sentences a second in batches of ~1,000: more than one Python
process can read, split, tokenize and rebuild, and more than one process's buckets can
fill. So the CPU stages run in many worker processes while ONE model sits on the GPU, in
a server process started by the first worker through Beam's `MultiProcessShared` (the
mechanism of RunInference's `large_model`); the others connect to it. Each worker keeps
its own tokenizer and sends token batches; the server builds the GPU batches from the
batches of all workers that have the same source length (and decoding), so batches stay
of one length (no padding) and grow with the number of feeders. Which waiting batches
go when is backends/feeding.py (`model.shared_feed`).

Measured on an H200 with 14 worker processes (bench/README.md, GPU), with workers holding
GPU-sized buckets ("bucket"): 3.2x the speed of a model in each process, 0.48 of raw
CTranslate2, the workers submitting most of their batches at the end of their bundle.
"stream" (workers send small batches as they tokenize) is the default, not yet measured
on a GPU.

A worker does not hold a thread per batch at the server: it sends batches from one
thread and receives the results of all of them in another, so it may keep hundreds of
small batches there while the server waits for their length groups to fill.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
import queue
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from backends.base import Decoding, Hypothesis, PendingBatch, TranslationModel
from backends.ct2 import CTranslate2Backend, CTranslate2Model
from backends.feeding import FEEDS, PendingGroups, Request, settled
from backends.settings import ModelSettings
from backends.store import model_id
from backends.tokenizer import SentencePieceTokenizer
from core.errors import ConfigError

# "stream": source tokens of the batches a worker sends (its buckets go at this size);
# small, so that segments reach the server soon after they are tokenized.
SUBMIT_TOKENS = 1024
# "stream": GPU budgets' worth of tokens a worker keeps at the server before it waits for
# the oldest; the server holds at most the workers' windows (memory stays bounded).
WINDOW_BUDGETS = 8
POLL_SECONDS = 0.001  # the dispatcher looks for finished model batches this often
LOG_EVERY = 100  # model batches between two log lines of the server
LOG = logging.getLogger(__name__)

Result = list[Hypothesis] | Exception
Outgoing = tuple[int, list[list[str]], list[str], Decoding | None]


class SharedTranslator:
    """The server side: the loaded model, the waiting requests of every worker, and a
    dispatcher thread that sends the model the batches `PendingGroups` chooses."""

    def __init__(self, model: TranslationModel, groups: PendingGroups) -> None:
        self.model = model
        self._groups = groups
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._settled = threading.Condition(self._lock)
        self._results: dict[str, list[tuple[int, Result]]] = defaultdict(list)
        self._sent = [0, 0, 0]  # model batches, requests and segments in them
        self._logged = 0  # model batches at the last log line
        threading.Thread(target=self._dispatch, daemon=True, name="feed").start()

    def replica_count(self) -> int:
        return self.model.replicas

    def send(self, client: str, requests: list[Outgoing], hurry: list[int]) -> None:
        """A worker's batches, and the numbers of those it waits for."""
        now = time.monotonic()
        with self._lock:
            for number, batch, langs, decoding in requests:
                self._groups.add(Request(client, number, batch, langs, decoding, now))
            if hurry:
                self._groups.hurry(client, hurry)
            self._arrived.notify()

    def results(self, client: str, timeout: float) -> list[tuple[int, Result]]:
        """The results for `client` settled since its last call; waits up to `timeout`
        for one."""
        with self._lock:
            self._settled.wait_for(lambda: self._results.get(client), timeout)
            return self._results.pop(client, [])

    def _dispatch(self) -> None:
        in_flight: list[tuple[list[Request], PendingBatch]] = []
        replicas = self.model.replicas
        while True:
            finished = [batch for batch in in_flight if batch[1].done()]
            in_flight = [batch for batch in in_flight if all(batch is not f for f in finished)]
            # Results (detokenized) apart from the lock, which the workers' sends wait for.
            shares = [share for group, done in finished for share in settled(group, done.result())]
            with self._lock:
                for request, share in shares:
                    self._results[request.client].append((request.number, share))
                if shares:
                    self._settled.notify_all()
                groups = self._groups.next_batches(time.monotonic(), len(in_flight), replicas)
                if not groups:
                    if not in_flight and self._sent[0] > self._logged:
                        self._log("idle")  # the end of a run, or the CPU side is behind
                    self._arrived.wait(POLL_SECONDS if in_flight else None)
            for group in groups:
                batch = [tokens for request in group for tokens in request.batch]
                langs = [lang for request in group for lang in request.target_langs]
                in_flight.append((group, self.model.submit(batch, langs, group[0].decoding)))
                self._count(len(group), len(batch))

    def _count(self, requests: int, segments: int) -> None:
        sent = self._sent
        sent[0], sent[1], sent[2] = sent[0] + 1, sent[1] + requests, sent[2] + segments
        if sent[0] % LOG_EVERY == 0:
            self._log("running")

    def _log(self, state: str) -> None:
        """Batch sizes so far (the figure that decides GPU throughput)."""
        batches, requests, segments = self._sent
        self._logged = batches
        LOG.info(
            "shared model (%s): %d batches, on average %.1f segments from %.1f worker "
            "batches; sent by rule: %s",
            state, batches, segments / batches, requests / batches,
            dict(self._groups.reasons),
        )  # fmt: skip


def serve(settings: ModelSettings) -> SharedTranslator:
    """The server's constructor (runs in the server process, where no logging is set
    up: its batch sizes go to stderr)."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    stream = settings.shared_feed == "stream"
    # "bucket" merges up to four worker buckets, as measured on the H200.
    budget = settings.resolved_token_budget() * (1 if stream else 4)
    groups = PendingGroups(budget, settings.shared_max_wait, eager=not stream)
    return SharedTranslator(CTranslate2Model(settings), groups)


@dataclass
class RemoteBatch:
    """A batch at the server (a `PendingBatch`)."""

    future: Future
    client: SharedModelClient
    number: int

    def done(self) -> bool:
        return self.future.done()

    def result(self) -> Result:
        if not self.future.done():
            self.client.hurry(self.number)
        return self.future.result()


class SharedModelClient(TranslationModel):
    """A worker's handle on the shared model: its own tokenizer, batches sent to the server
    by one thread, results received by another."""

    def __init__(
        self,
        settings: ModelSettings,
        connect: Callable[[], Any],
        window_tokens: int | None = None,
    ) -> None:
        self.model_id = model_id(settings.path)
        self.tokenizer = SentencePieceTokenizer(settings)
        self._server = connect()
        self._replicas = self._server.replica_count()
        self._window_tokens = window_tokens
        self._name = uuid.uuid4().hex
        self._numbers = itertools.count()
        self._futures: dict[int, Future] = {}
        # Batches to send, and the numbers of those waited for.
        self._outbox: queue.SimpleQueue[Outgoing | int] = queue.SimpleQueue()
        self._broken: Exception | None = None
        for loop in (self._send, self._receive):
            threading.Thread(target=self._failing_all, args=(loop,), daemon=True).start()

    @property
    def replicas(self) -> int:
        return self._replicas

    def max_in_flight_tokens(self, token_budget: int) -> int:
        """With "stream", a window of its own: the server holds batches until their length
        group fills, so a worker keeps many there."""
        return self._window_tokens or super().max_in_flight_tokens(token_budget)

    def submit(
        self, batch: list[list[str]], target_langs: list[str], decoding: Decoding | None = None
    ) -> RemoteBatch:
        number, future = next(self._numbers), Future()
        if self._broken:
            future.set_result(self._broken)
        else:
            self._futures[number] = future
            self._outbox.put((number, batch, target_langs, decoding))
        return RemoteBatch(future, self, number)

    def hurry(self, number: int) -> None:
        """The batch `number` is waited for: the server sends it next (through the same
        thread as the batches, so never before the batch itself)."""
        self._outbox.put(number)

    def _send(self) -> None:
        while True:
            items = [self._outbox.get()]
            while not self._outbox.empty():
                items.append(self._outbox.get())
            hurry = [item for item in items if isinstance(item, int)]
            batches = [item for item in items if not isinstance(item, int)]
            self._server.send(self._name, batches, hurry)

    def _receive(self) -> None:
        while True:
            for number, result in self._server.results(self._name, 1.0):
                self._futures.pop(number).set_result(result)

    def _failing_all(self, loop: Callable[[], None]) -> None:
        """Runs `loop`; if the server is lost, every batch waiting for it fails (a worker
        never waits forever), and so do later ones."""
        try:
            loop()
        except Exception as exc:  # noqa: BLE001 - each batch gets it as its result
            self._broken = RuntimeError(f"shared model server lost: {exc!r}")
            while self._futures:
                self._futures.popitem()[1].set_result(self._broken)


class SharedCTranslate2Backend(CTranslate2Backend):
    """`model.backend: ctranslate2_shared`: one model per machine, however many worker
    processes feed it."""

    name = "ctranslate2_shared"

    def __init__(self, settings: ModelSettings) -> None:
        super().__init__(settings)
        # The workers of one run share a server; another run gets its own.
        self.run_scope = uuid.uuid4().hex[:12]

    def token_budget(self) -> int:
        """The tokens of a worker's batches: small with "stream" (the server builds the
        GPU batches), the device's budget with "bucket"."""
        stream = self.settings.shared_feed == "stream"
        return SUBMIT_TOKENS if stream else super().token_budget()

    def check(self, key: str, local: bool) -> None:
        super().check(key, local)
        if self.settings.shared_feed not in FEEDS:
            raise ConfigError(f"{key}.shared_feed must be one of {', '.join(FEEDS)}")

    def load_model(self) -> SharedModelClient:
        from apache_beam.utils.multi_process_shared import MultiProcessShared

        local = self._on_local_disk()
        digest = hashlib.sha256(self.share_key().encode()).hexdigest()[:16]
        shared = MultiProcessShared(
            functools.partial(serve, local),
            tag=f"corpus-translate-{digest}-{self.run_scope}",
            always_proxy=True,
            spawn_process=True,  # the model in a process of its own, not a worker's
        )
        stream = local.shared_feed == "stream"
        window = WINDOW_BUDGETS * local.resolved_token_budget() if stream else None
        return SharedModelClient(local, shared.acquire, window)
