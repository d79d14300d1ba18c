"""ReportProgress: a branch of the graph that tallies documents and segments done in each
worker process into `<dir>/<host>-<pid>.json`, at most every `FLUSH_SECONDS`, for the
launcher's progress monitor (`pipeline.progress`). It outputs nothing, so it changes no
result.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import apache_beam as beam

from core.names import Column, Tag
from core.records import ErrorRecord, Segment
from transforms.commit import write_whole

FLUSH_SECONDS = 0.5
DOCUMENTS = Tag.DOCUMENTS
TARGET_TOKENS = Column.TARGET_TOKENS


def segments_key(status: str) -> str:
    """The tally's key for segments that ended with `status`."""
    return f"{Tag.SEGMENTS}_{status}"


# What each counted element adds. A read error with a doc_id is a document the
# reader refused, so it counts as done like a read one: the total includes it.
def count_document(_: object) -> dict[str, int]:
    return {DOCUMENTS: 1}


def count_read_error(error: ErrorRecord) -> dict[str, int]:
    return {DOCUMENTS: 1} if error.doc_id is not None else {}


def count_segment(seg: Segment) -> dict[str, int]:
    """Its status, and the target tokens the model generated for it (none when reused)."""
    generated = 0 if seg.reused else seg.target_tokens or 0
    return {segments_key(seg.status): 1, TARGET_TOKENS: generated}


COUNTERS: dict[str, Callable[[Any], dict[str, int]]] = {
    Tag.DOCUMENTS: count_document,
    Tag.READ_ERRORS: count_read_error,
    Tag.SEGMENTS: count_segment,
}


class ProcessTally:
    """This process's progress counts, written atomically to one file per process."""

    _tallies: dict[tuple[str, int], ProcessTally] = {}
    _tallies_lock = threading.Lock()

    def __init__(self, directory: str) -> None:
        self.path = os.path.join(directory, f"{socket.gethostname()}-{os.getpid()}.json")
        self.counts: Counter[str] = Counter()
        self.flushed_at = 0.0
        self.lock = threading.Lock()

    @classmethod
    def of(cls, directory: str) -> ProcessTally:
        """One tally per (directory, process), shared by every DoFn instance and thread."""
        key = (directory, os.getpid())
        with cls._tallies_lock:
            if key not in cls._tallies:
                cls._tallies[key] = cls(directory)
            return cls._tallies[key]

    def add(self, counts: dict[str, int]) -> None:
        with self.lock:
            self.counts.update(counts)
            if time.monotonic() - self.flushed_at >= FLUSH_SECONDS:
                self._write()

    def flush(self) -> None:
        with self.lock:
            self._write()

    def _write(self) -> None:
        self.flushed_at = time.monotonic()
        write_whole(self.path, json.dumps(self.counts).encode())


class CountProgress(beam.DoFn):
    def __init__(self, directory: str, count: Callable[[Any], dict[str, int]]) -> None:
        self.directory = directory
        self.count = count

    def setup(self) -> None:
        self._tally = ProcessTally.of(self.directory)

    def process(self, element: object) -> None:
        self._tally.add(self.count(element))

    def finish_bundle(self) -> None:
        self._tally.flush()


class ReportProgress(beam.PTransform):
    """Counts `documents`, `read_errors` and `segments` (a dict of PCollections) into
    `directory`; a branch that outputs nothing, so it changes no result."""

    def __init__(self, directory: str) -> None:
        super().__init__()
        self.directory = directory

    def expand(self, pcolls: dict[str, beam.PCollection]) -> dict[str, beam.PCollection]:
        return {
            name: pcoll
            | f"Count{name.title()}" >> beam.ParDo(CountProgress(self.directory, COUNTERS[name]))
            for name, pcoll in pcolls.items()
        }
