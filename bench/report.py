"""Benchmark results: the machine description, the JSON file and its Markdown table."""

from __future__ import annotations

import json
import os
import platform
import socket
import time
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("apache-beam", "ctranslate2", "torch", "transformers", "sentencepiece", "pyarrow")
COLUMNS = (
    ("segments", "segments"),
    ("target_tokens", "target tokens"),
    ("seconds", "seconds"),
    ("wall_seconds", "run.json wall s"),
    ("process_seconds", "whole process s"),
    ("tokens_per_second", "target tokens/s"),
    ("paragraphs_per_second", "paragraphs/s"),
    ("peak_rss_mb", "peak RSS MB"),
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    """What the figures were measured on; the load average shows other work on the cores."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "hostname": socket.gethostname(),
        "cpu": cpu_model(),
        "cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(memory / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "versions": versions,
    }


def markdown(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"# Benchmark {results['date']} on {machine['cpu']} ({machine['cores']} cores)",
        "",
        *([f"GPU: {machine['gpu']}", ""] if machine.get("gpu") else []),
        "| system | " + " | ".join(title for _, title in COLUMNS) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    for name, figures in results["systems"].items():
        cells = [str(figures.get(key, "")) for key, _ in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    by_round = results.get("ratios_by_round", {})
    lines += ["", "| ratio | value | by round (the value: their median) |", "|---|---|---|"]
    lines += [
        f"| {name} | {value} | {', '.join(map(str, by_round.get(name, [])))} |"
        for name, value in results["ratios"].items()
    ]
    if "dedup_identical_outputs" in results:
        identical = json.dumps(results["dedup_identical_outputs"])
        lines += ["", f"`dedup_identical_outputs`: `{identical}`"]
    lines += timeline_lines(results["systems"])
    lines += compute_type_lines(results.get("compute_types"))
    if "note" in results:
        lines += ["", results["note"]]
    lines += ["", f"Settings: `{json.dumps(results['settings'])}`", ""]
    return "\n".join(lines)


def timeline_lines(systems: dict[str, Any]) -> list[str]:
    """Where the time of a timed run went (bench/timeline.py)."""
    return [
        f"\nWhere the time of `{name}` went (bench/timeline.py): start-up "
        f"{t['startup_seconds']} s, the model {t['model_seconds']} s (its replicas idle "
        f"{100 * t['replica_idle_fraction']:.1f}% of it; the guard's retries waited "
        f"{t['retry_seconds']} s), the end {t['end_seconds']} s; run.json "
        f"{t['wall_seconds']} s, whole process {t.get('process_seconds')} s."
        for name, t in systems.items()
        if "startup_seconds" in t
    ]


def compute_type_lines(figures: dict[str, Any] | None) -> list[str]:
    """The compute types of a real model (bench/compute_types.py), as a table."""
    if not figures:
        return []
    lines = [
        "",
        f"Compute types of `{figures['model']}` on {figures['device']} "
        f"(beam {figures['beam_size']}): default by measurement **{figures['default']}**",
        "",
        "| compute type | chrF | BLEU | target tokens/s | outputs changed by halved batches |",
        "|---|---|---|---|---|",
    ]
    for name, f in figures["types"].items():
        cells = ("chrf", "bleu", "target_tokens_per_second", "differ_when_batches_halved")
        lines.append(f"| {name} | " + " | ".join(str(f.get(key, "")) for key in cells) + " |")
    return lines


def write_results(results: dict[str, Any], directory: Path, suffix: str = "") -> Path:
    """`<directory>/<date>-<machine><suffix>.json` and the `.md` table beside it."""
    results["date"] = time.strftime("%Y-%m-%d")
    machine = results["machine"]
    stem = f"{results['date']}-{machine['hostname']}-{machine['cores']}cpu{suffix}"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    if "systems" in results:
        (directory / f"{stem}.md").write_text(markdown(results))
    return path
