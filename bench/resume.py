"""What a resume costs: N units, the run SIGKILLed after k are committed, then resumed.

    .venv/bin/python -m bench.resume --model models/swapcase --files 8 --documents 100 \\
        --unit_documents 25 --kills 0.25,0.5,0.75

For each kill point it records the units the resumed attempt reused and did, the segments
it translated (exact, from run.json) and its wall time, each as a fraction of an
uninterrupted run of the same corpus measured in the same invocation. Results go to
bench/results/<date>-resume.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_corpus(corpus: Path, files: int, documents: int) -> None:
    corpus.mkdir(parents=True)
    for f in range(files):
        lines = [
            json.dumps({"text": f"Dokument {f}-{i}: ein Absatz, der übersetzt wird.\n\n"
                        f"Und ein zweiter Absatz {i}-{f} mit mehr Wörtern darin."})
            for i in range(documents)
        ]  # fmt: skip
        (corpus / f"part{f:03}.jsonl").write_text("\n".join(lines) + "\n")


def start(args: argparse.Namespace, corpus: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipeline.run", "--input", f"{corpus}/*", "--output"]
    command += [str(out), "--model", args.model, "--source_lang", "de"]
    command += ["--unit_documents", str(args.unit_documents)]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def finish(args: argparse.Namespace, corpus: Path, out: Path) -> tuple[dict, float]:
    began = time.perf_counter()
    process = start(args, corpus, out)
    if process.wait() != 0:
        raise SystemExit(f"the run into {out} failed")
    return json.loads((out / "run.json").read_text()), time.perf_counter() - began


def committed(out: Path) -> int:
    return len(list(out.parent.glob(f"{out.name}.partial-*/_resume/units/*.json")))


def kill_after(process: subprocess.Popen, out: Path, units: int) -> int:
    while process.poll() is None and committed(out) < units:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return committed(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "swapcase"))
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--documents", type=int, default=100, help="documents per file")
    parser.add_argument("--unit_documents", type=int, default=25)
    parser.add_argument("--kills", default="0.25,0.5,0.75", help="fractions of the units")
    parser.add_argument("--results", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    units = args.files * -(-args.documents // args.unit_documents)
    work = Path(tempfile.mkdtemp(prefix="bench-resume-"))
    corpus = work / "corpus"
    write_corpus(corpus, args.files, args.documents)
    full, full_wall = finish(args, corpus, work / "full")
    full_segments = full["counts"]["segments_translated"]
    rows = []
    for fraction in (float(f) for f in args.kills.split(",")):
        out = work / f"kill-{fraction}"
        k = kill_after(start(args, corpus, out), out, max(1, round(fraction * units)))
        info, wall = finish(args, corpus, out)
        done = info["units"]["units_done"]
        segments = info["counts"]["segments_translated"]
        rows.append(
            {
                "units": units,
                "killed_after_units": k,
                "units_reused": info["units"]["units_reused"],
                "units_done": done,
                "expected_fraction": round((units - k) / units, 4),
                "segments_fraction": round(segments / full_segments, 4),
                "wall_fraction": round(wall / full_wall, 4),
            }
        )
        print(json.dumps(rows[-1]))
    shutil.rmtree(work)
    result = {
        "command": " ".join(["python -m bench.resume", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
        "settings": vars(args),
        "uninterrupted": {"segments_translated": full_segments, "wall_seconds": full_wall},
        "resumes": rows,
    }
    stem = Path(args.results) / f"{time.strftime('%Y-%m-%d')}-resume"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    table = [
        "| units | killed after | reused | done | (N-k)/N | segments | wall |",
        "|---" * 7 + "|",
    ]
    table += [
        f"| {r['units']} | {r['killed_after_units']} | {r['units_reused']} | {r['units_done']} "
        f"| {r['expected_fraction']} | {r['segments_fraction']} | {r['wall_fraction']} |"
        for r in rows
    ]
    stem.with_suffix(".md").write_text(
        f"# Resume cost\n\n`{result['command']}`\n\nFractions of an uninterrupted run "
        f"({full_segments} segments, {full_wall:.1f} s) measured in the same invocation.\n\n"
        + "\n".join(table) + "\n"
    )  # fmt: skip


if __name__ == "__main__":
    main()
