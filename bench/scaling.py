"""Raw CTranslate2's own scaling from one process to two: the reference for the worker
target. Two processes on two cores share the memory bus and caches, so even the bare
model gains less than 2x; the pipeline's 1-vs-2 ratio is read against this one."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.corpus import shard_paths

RunSystem = Callable[[str, str, dict[str, Any]], dict[str, Any]]


def split_alternately(path: Path, parts: int) -> list[Path]:
    """`path`'s lines dealt into `shard_paths(path, parts)`, as worker processes share a
    corpus."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    shards = shard_paths(path, parts)
    for part, shard in enumerate(shards):
        shard.write_text("".join(lines[part::parts]), encoding="utf-8")
    return shards


def raw_processes(run_system: RunSystem, raw: dict[str, Any], segments: Path) -> dict[str, Any]:
    """`raw_1_process`: every segment in one process with one thread; `raw_2_processes`:
    half of them in each of two such processes started together (seconds: the slower)."""
    single = raw | {"inter_threads": 1, "intra_threads": 1, "max_batch_size": 0}
    one = run_system("raw_ctranslate2", "raw_1_process", single | {"segments": str(segments)})
    halves = split_alternately(segments, 2)
    with ThreadPoolExecutor(len(halves)) as pool:
        parts = list(
            pool.map(
                lambda part: run_system(
                    "raw_ctranslate2",
                    f"raw_2_processes_{part.stem}",
                    single | {"segments": str(part)},
                ),
                halves,
            )
        )
    two = {
        "seconds": max(part["seconds"] for part in parts),
        "part_seconds": [round(part["seconds"], 2) for part in parts],
        "segments": sum(part["segments"] for part in parts),
        "target_tokens": sum(part["target_tokens"] for part in parts),
        "peak_rss_mb": round(sum(part["peak_rss_mb"] for part in parts), 1),
    }
    two["tokens_per_second"] = round(two["target_tokens"] / two["seconds"], 1)
    return {"raw_1_process": one, "raw_2_processes": two}
