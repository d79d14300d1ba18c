"""Where a pipeline run's time goes: start-up, the model's work, the end; the share of
it the model's replicas stood idle, and the guard's retries.

Runs the pipeline in this process with the model's `submit` and the guard's retry
wrapped to note times (nothing else changes), then reads them against the run's own clock:

- start-up: from the start of `pipeline.run.run` to the first batch queued (graph, runner,
  model and language-ID loading, the first documents read, split and tokenized);
- model: from the first batch queued to the last batch decoded; within it, replica-seconds
  with no batch to decode (`replica_idle_fraction`);
- end: from the last batch decoded to the run's end (rebuilding, writing, committing, the
  summary).

    python -m bench.timeline --config C --input I --output O [pipeline flags]
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

POLL_SECONDS = 0.002


class Timeline:
    """Times noted from one run: batches queued and decoded, retries."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.queued: list[float] = []
        self.decoded: list[float] = []
        self.retry_seconds = 0.0
        self._watching: list[Any] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._watch, daemon=True, name="timeline").start()

    def now(self) -> float:
        return time.perf_counter() - self.started

    def batch_queued(self, pending: Any) -> None:
        with self._lock:
            self.queued.append(self.now())
            self._watching.append(pending)

    def _watch(self) -> None:
        """Notes when each queued batch is decoded (asks `done()`, as the stage does)."""
        while True:
            with self._lock:
                waiting = [pending for pending in self._watching if not _done(pending)]
                self.decoded.extend(self.now() for _ in range(len(self._watching) - len(waiting)))
                self._watching = waiting
            time.sleep(POLL_SECONDS)

    def replica_idle_seconds(self, replicas: int) -> float:
        """Replica-seconds with fewer batches in flight than replicas, first batch to last."""
        steps = sorted([(t, 1) for t in self.queued] + [(t, -1) for t in self.decoded])
        idle, in_flight, previous = 0.0, 0, steps[0][0]
        for moment, change in steps:
            idle += max(0, replicas - in_flight) * (moment - previous)
            in_flight, previous = in_flight + change, moment
        return idle


def _done(pending: Any) -> bool:
    """A batch whose result was taken can no longer be asked: it is done."""
    try:
        return pending.done()
    except RuntimeError:
        return True


def timeline(argv: list[str]) -> dict[str, Any]:
    """Runs the pipeline with `argv` and returns where its time went."""
    from backends.ct2 import CTranslate2Model
    from pipeline.run import run
    from transforms.guard import GuardSegments

    submit, retry = CTranslate2Model.submit, GuardSegments._retry
    notes = Timeline()
    replicas: list[int] = []

    def timed_submit(self: CTranslate2Model, *args: Any, **kwargs: Any) -> Any:
        pending = submit(self, *args, **kwargs)
        replicas.append(self.replicas)
        notes.batch_queued(pending)
        return pending

    def timed_retry(self: GuardSegments, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return retry(self, *args)
        finally:
            notes.retry_seconds += time.perf_counter() - started

    CTranslate2Model.submit, GuardSegments._retry = timed_submit, timed_retry
    try:
        info = run(argv)
    finally:
        CTranslate2Model.submit, GuardSegments._retry = submit, retry
    ended = notes.now()
    time.sleep(4 * POLL_SECONDS)  # the watcher's last look
    first, last = notes.queued[0], max(notes.decoded)
    model_seconds = last - first
    return {
        "wall_seconds": info["wall_seconds"],  # the run's own clock (run.json)
        "in_process_seconds": round(ended, 3),
        "startup_seconds": round(first, 3),
        "model_seconds": round(model_seconds, 3),
        "end_seconds": round(ended - last, 3),
        "replica_idle_fraction": round(
            notes.replica_idle_seconds(max(replicas)) / (max(replicas) * model_seconds), 4
        ),
        "batches": len(notes.queued),
        "retry_seconds": round(notes.retry_seconds, 3),
        "counts": info["counts"],
    }


if __name__ == "__main__":
    print(json.dumps(timeline(sys.argv[1:])))
