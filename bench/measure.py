"""Runs one system in a fresh process and samples the peak RSS of its process tree.

A fresh process per system keeps one system's memory (and warm caches of Python
objects) out of another's figures; the tree sum counts Beam's worker processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

SAMPLE_SECONDS = 0.05


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in (process, *process.children(recursive=True)):
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def measure(
    system: str, args: dict[str, Any], log: Path, timeout: float | None = None
) -> dict[str, Any]:
    """The system's JSON result plus `peak_rss_mb` and `process_seconds` (wall, all of it);
    a system still running after `timeout` seconds is killed (RuntimeError)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w") as errors:
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.systems", system, json.dumps(args)],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        process, peak = psutil.Process(child.pid), 0
        while child.poll() is None:
            if timeout and time.perf_counter() - started > timeout:
                for member in (*process.children(recursive=True), process):
                    member.kill()
                raise RuntimeError(f"{system} ran over {timeout} s and was stopped; see {log}")
            try:
                peak = max(peak, tree_rss(process))
            except psutil.NoSuchProcess:
                break
            time.sleep(SAMPLE_SECONDS)
        output = child.stdout.read() if child.stdout else ""
    if child.wait() != 0:
        raise RuntimeError(f"{system} failed (exit {child.returncode}); see {log}")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(peak / 2**20, 1)
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    return result
