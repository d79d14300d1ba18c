"""The CPU-side ceiling: segments per second per core of everything but the model.

A GPU decodes as fast as the CPU stages (read, decode, split, protect, language ID,
segment and tokenize, batch, rebuild, write) feed it, so their speed per core says how
many cores one GPU needs. The pipeline runs in one process on the in-process runner with
a model of one CPU thread, and a sampler reads every thread's stack every millisecond:
a sample of a thread that is processing a bundle counts for the stage (transforms/
module) of its innermost pipeline frame, for the model when it waits in the backend, and
for the runner otherwise. Bundle time less model waits is the CPU side.

    python -m bench.ceiling --config bench/ceiling.yaml --input CORPUS [--gpu_tokens_per_second N]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

INTERVAL = 0.001
MODEL_WAIT = "model (waiting for it)"
RUNNER = "beam runner and the rest"


def where(frame: Any) -> str | None:
    """The stage a stack is in; None when it is not processing a bundle."""
    stage = None
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.name == "bundle_processor.py":
            return stage or RUNNER
        if stage is None and path.parent.name == "transforms":
            stage = path.stem
        if path.name == "ct2.py" and frame.f_code.co_name in ("result", "done"):
            stage = MODEL_WAIT
        frame = frame.f_back
    return None


class Sampler:
    def __init__(self) -> None:
        self.samples: Counter[str] = Counter()
        self.passes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(INTERVAL):
            self.passes += 1
            for ident, frame in sys._current_frames().items():
                stage = where(frame) if ident != me else None
                if stage:
                    self.samples[stage] += 1


def measure(config: str, corpus: str, out: Path, gpu_tokens_per_second: float) -> dict[str, Any]:
    from pipeline.run import run

    argv = [f"--config={config}", f"--input={corpus}", f"--output={out}", "--overwrite"]
    argv += ["--inter_threads=1", "--intra_threads=1"]
    started = time.perf_counter()
    with Sampler() as sampler:
        info = run(argv)
    wall = time.perf_counter() - started
    total = sum(sampler.samples.values())
    counts = info["counts"]
    segments = counts.get("segments_translated", 0) + counts.get("segments_passthrough", 0)
    tokens = counts.get("target_tokens", 0)
    # One thread processes bundles: the passes that saw it busy, over all passes, are
    # its share of the wall time; less the samples waiting for the model.
    bundle_seconds = wall * total / sampler.passes
    cpu_side_seconds = bundle_seconds * (1 - sampler.samples[MODEL_WAIT] / total)
    result = {
        "segments": segments,
        "target_tokens": tokens,
        "wall_seconds": round(wall, 2),
        "bundle_seconds": round(bundle_seconds, 2),
        "cpu_side_seconds": round(cpu_side_seconds, 2),
        "segments_per_second_per_core": round(segments / cpu_side_seconds, 1),
        "target_tokens_per_second_per_core": round(tokens / cpu_side_seconds, 1),
        "shares_of_bundle_time": {
            stage: round(count / total, 3) for stage, count in sampler.samples.most_common()
        },
    }
    if gpu_tokens_per_second:
        result["gpu_tokens_per_second"] = gpu_tokens_per_second
        per_core = tokens / cpu_side_seconds
        result["cores_to_feed_the_gpu"] = round(gpu_tokens_per_second / per_core, 1)
    return result


CONFIG = "bench/ceiling.yaml"
DEV_SET = "../shared/eval/lohelp-dev.jsonl"  # the real model's dev set (bench/ceiling.yaml)


def ceiling_for_bench(out: Path) -> dict[str, Any] | None:
    """The ceiling on the real model's dev set, where it is (`make bench`)."""
    if not Path(DEV_SET).exists():
        return None
    return measure(CONFIG, DEV_SET, out / "ceiling", 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input", required=True, help="corpus pattern")
    parser.add_argument("--config", required=True, help="pipeline config (model, fields)")
    parser.add_argument("--out", type=Path, default=Path("out/bench-ceiling"))
    parser.add_argument("--gpu_tokens_per_second", type=float, default=0.0)
    args = parser.parse_args()
    result = measure(args.config, args.input, args.out, args.gpu_tokens_per_second)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
