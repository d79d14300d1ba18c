"""Live progress of a local run: documents and segments done, target tokens/s, time left.

`pipeline.run()` on the FnApiRunner blocks until the pipeline is done, and its
metrics exist only in the result it returns, so they cannot be polled during a
run. Instead, a counting branch of the graph (`transforms.report_progress`) tallies
documents and segments in each worker process into files of a directory; a monitor
thread in the launching process sums those files. That works the same in `in_memory`,
`multi_threading` and `multi_processing` mode (and for any runner whose workers
share the launcher's disk). It shows one updating tqdm line on a terminal and a
log line every `--progress_interval` seconds otherwise (CI, cron). Other
runners show the `corpus` Beam metrics in their own UI.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from core.records import SegmentStatus
from readers import ReadSettings, reader_class
from transforms.report_progress import DOCUMENTS, TARGET_TOKENS, segments_key

BAR_REFRESH_SECONDS = 0.5
RATE_WINDOW_SECONDS = 10.0
LOG = logging.getLogger(__name__)


class ProgressOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--progress",
            choices=["auto", "bar", "log", "off"],
            default="auto",
            help="auto: an updating line on a terminal, log lines otherwise, local runs only",
        )
        parser.add_argument(
            "--progress_interval",
            "--progress-interval",
            dest="progress_interval",
            type=float,
            default=30.0,
            help="seconds between progress log lines when not on a terminal",
        )


def read_progress(directory: str) -> Counter[str]:
    """The sum of every worker process's latest counts."""
    total: Counter[str] = Counter()
    for name in os.listdir(directory):
        if name.endswith(".json"):
            try:
                with open(os.path.join(directory, name)) as handle:
                    total.update(json.load(handle))
            except (OSError, json.JSONDecodeError):
                continue  # a process's file is replaced atomically; a race only skips a tick
    return total


def count_corpus_documents(patterns: list[str]) -> int:
    """How many documents (or per-document errors) the reader will produce, for the time
    left, as each file's reader counts them (an unsupported file's error row counts one)."""
    total = 0
    for match in FileSystems.match(patterns):
        for item in match.metadata_list:
            reader = reader_class(item.path)
            total += reader(ReadSettings()).count_documents(item.path) if reader else 1
    return total


def format_progress(counts: Counter[str], total: int | None, tokens_per_second: float) -> str:
    """One log line: documents (of total), segments by status, target tokens/s."""
    done = counts[DOCUMENTS]
    documents = (
        f"{done}/{total} documents ({100 * done / total:.0f}%)" if total else (f"{done} documents")
    )
    statuses = ", ".join(f"{counts[segments_key(s)]} {s}" for s in SegmentStatus)
    segments = sum(counts[segments_key(s)] for s in SegmentStatus)
    return f"{documents}, {segments} segments ({statuses}), {tokens_per_second:.0f} target tokens/s"


class ProgressMonitor(threading.Thread):
    """Reads the workers' tallies and shows them, on a tqdm bar or as log lines."""

    def __init__(
        self, directory: str, patterns: list[str], mode: str, interval: float, committed: int = 0
    ) -> None:
        super().__init__(name="progress-monitor", daemon=True)
        self.committed = committed  # documents and read errors an earlier attempt committed
        self.directory = directory
        self.interval = interval
        self.total: int | None = None
        self.started = time.monotonic()
        self.first_document: float | None = None  # the time left is measured from here
        self.token_samples: deque[tuple[float, int]] = deque()
        self.stopped = threading.Event()
        self.bar = _progress_bar() if mode == "bar" else None
        threading.Thread(
            target=self._size_corpus, args=(patterns,), name="progress-sizing", daemon=True
        ).start()

    def _size_corpus(self, patterns: list[str]) -> None:
        try:
            self.total = count_corpus_documents(patterns) - self.committed
        except Exception as exc:  # noqa: BLE001 - no total only means no time-left estimate
            LOG.warning("progress: cannot size the corpus (%s); no time-left estimate", exc)

    def run(self) -> None:
        last_log = time.monotonic()
        while not self.stopped.wait(BAR_REFRESH_SECONDS):
            if self.bar is not None:
                self._show(read_progress(self.directory))
            elif time.monotonic() - last_log >= self.interval:
                last_log = time.monotonic()
                self._show(read_progress(self.directory))

    def stop(self) -> None:
        self.stopped.set()
        self.join()
        self._show(read_progress(self.directory))
        if self.bar is not None:
            self.bar.close()

    def tokens_per_second(self, tokens: int) -> float:
        """Target tokens per second over the last RATE_WINDOW_SECONDS."""
        now = time.monotonic()
        samples = self.token_samples
        samples.append((now, tokens))
        while len(samples) > 2 and now - samples[0][0] > RATE_WINDOW_SECONDS:
            samples.popleft()
        then, before = samples[0] if len(samples) > 1 else (self.started, 0)
        return (tokens - before) / max(now - then, 1e-9)

    def _show(self, counts: Counter[str]) -> None:
        rate = self.tokens_per_second(counts[TARGET_TOKENS])
        done = counts[DOCUMENTS]
        if done and self.first_document is None:
            self.first_document = time.monotonic()
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.update(done - self.bar.n)
            segments = sum(counts[segments_key(s)] for s in SegmentStatus)
            failed = counts[segments_key(SegmentStatus.FAILED)]
            self.bar.set_postfix_str(f"{segments} segments, {failed} failed, {rate:.0f} tok/s")
            return
        line = f"progress: {format_progress(counts, self.total, rate)}"
        now = time.monotonic()
        if self.total and self.first_document is not None and 0 < done < self.total:
            left = (now - self.first_document) * (self.total - done) / done
            line += f", about {tqdm.format_interval(left)} left"
        LOG.info(line + f" ({tqdm.format_interval(now - self.started)} elapsed)")


def _progress_bar() -> tqdm:
    # A terminal that reports no size (some pseudo-terminals) would hide the bar.
    try:
        sized = os.get_terminal_size(sys.stderr.fileno()).columns > 0
    except OSError:
        sized = False
    return tqdm(
        desc="translating",
        unit="doc",
        file=sys.stderr,
        dynamic_ncols=sized,
        **({} if sized else {"ncols": 100, "nrows": 24}),
    )


def progress_mode(options: PipelineOptions, local: bool) -> str | None:
    """'bar', 'log' or None (off). `auto` is on for local runs only: on another runner the
    workers may not share this machine's disk, and its UI shows the Beam metrics."""
    wanted = options.view_as(ProgressOptions).progress
    if wanted == "off" or (wanted == "auto" and not local):
        return None
    if wanted == "auto":
        return "bar" if sys.stderr.isatty() else "log"
    return wanted


@contextmanager
def track_progress(
    options: PipelineOptions, patterns: list[str], local: bool, committed: int = 0
) -> Iterator[str | None]:
    """Shows progress while the body runs; yields the directory the workers report to
    (None when progress is off). `committed`: inputs a resumed run will not read again."""
    mode = progress_mode(options, local)
    if mode is None:
        yield None
        return
    directory = tempfile.mkdtemp(prefix="corpus-progress-")
    interval = options.view_as(ProgressOptions).progress_interval
    monitor = ProgressMonitor(directory, patterns, mode, interval, committed)
    # Log records are written above the bar instead of through it.
    with logging_redirect_tqdm() if mode == "bar" else nullcontext():
        monitor.start()
        try:
            yield directory
        finally:
            monitor.stop()
            shutil.rmtree(directory, ignore_errors=True)
