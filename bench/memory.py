"""`make bench-memory`: peak RSS of the pipeline as the corpus grows, with a tiny model.

The model is the hand-built `copy` test model (`make models`), so the figures are
the pipeline's own memory, not the model's; paragraphs are short sentences so that
200k paragraphs run in minutes on 2 cores.

    python -m bench.memory [--sizes 10000 200000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import yaml

from bench.corpus import short_paragraphs, write_documents
from bench.measure import measure
from bench.report import machine_info, write_results
from bench.run import RESULTS


def run(sizes: list[int], out: Path, model: str, repeats: int) -> dict[str, Any]:
    config = out / "memory.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    settings = {"target_lang": "en", "read": {"text_field": "text", "id_field": "id"}}
    settings["model"] = {"path": model, "beam_size": 1}
    config.write_text(yaml.safe_dump(settings))
    runs = {}
    for size in sizes:
        corpus = out / "corpus" / f"memory-{size}.jsonl"
        write_documents(corpus, short_paragraphs(size), per_document=10)
        args = {"config": str(config), "input": str(corpus), "output": str(out / f"mem-{size}")}
        results = []
        for repeat in range(repeats):
            print(f"[bench-memory] {size} paragraphs, run {repeat + 1} ...", flush=True)
            result = measure("this_pipeline", args, out / "logs" / f"memory-{size}.log")
            result.pop("counts", None)
            result["paragraphs_per_second"] = round(size / result["seconds"], 1)
            print(f"[bench-memory] {size}: {result}", flush=True)
            results.append(result)
        # The peak of one run varies by tens of MB: the median run stands for the size.
        median = sorted(results, key=lambda r: r["peak_rss_mb"])[len(results) // 2]
        runs[str(size)] = median | {"peak_rss_mb_runs": [r["peak_rss_mb"] for r in results]}
    first, last = runs[str(sizes[0])], runs[str(sizes[-1])]
    return {
        "settings": {"sizes": sizes, "model": model, "repeats": repeats, **settings},
        "memory": runs,
        "ratios": {"peak_rss_growth": round(last["peak_rss_mb"] / first["peak_rss_mb"], 3)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 200000])
    parser.add_argument("--out", type=Path, default=Path("out/bench-memory"))
    parser.add_argument("--model", default="models/copy")
    parser.add_argument("--repeats", type=int, default=3, help="runs per size (median kept)")
    args = parser.parse_args()
    started = time.time()
    results = run(args.sizes, args.out, args.model, args.repeats)
    results["machine"] = machine_info()
    results["bench_seconds"] = round(time.time() - started, 1)
    print(f"[bench-memory] wrote {write_results(results, RESULTS, '-memory')}")


if __name__ == "__main__":
    main()
