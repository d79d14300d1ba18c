"""How well the segments' scores say which translations are bad, and the `low_confidence`
threshold: calibrated on the runs of one half of a development set's pages, reported on the
other half (runs made by `python -m bench.quality --keep DIR`).

    python -m bench.confidence --calibrate DIR1/short-sentence/out-sentence \\
        --report DIR2/short-sentence/out-sentence --devset ../shared/eval/lohelp-dev.jsonl

Units are paragraphs translated as one segment, so that a segment has its own reference.
A translation is "bad" when its sentence chrF is under `--bad_below`; the threshold is the
score that best separates bad ones (F1) on the calibration half.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from core.names import Column, Table
from core.records import SegmentStatus
from reports.devset import read_devset, references_by_source


def scored_segments(out: Path, references: dict[str, str]) -> list[tuple[float, float]]:
    """(score, sentence chrF) of every translated one-segment paragraph with a reference."""
    import pyarrow.dataset as ds
    from sacrebleu.metrics import CHRF

    chrf = CHRF()
    rows = ds.dataset(out / Table.SEGMENTS, format="parquet").to_table().to_pylist()
    pairs = []
    for row in rows:
        reference = references.get(row[Column.SOURCE_TEXT].strip())
        if row[Column.STATUS] != SegmentStatus.TRANSLATED or reference is None:
            continue
        quality = chrf.sentence_score(row[Column.TRANSLATED_TEXT], [reference]).score
        pairs.append((row[Column.SCORE], quality))
    return pairs


def ranks(values: list[float]) -> list[float]:
    """Ranks from 1, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=values.__getitem__)
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(xs: list[float], ys: list[float]) -> float:
    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else 0.0


def flagged_figures(pairs: list[tuple[float, float]], threshold: float, bad_below: float) -> dict:
    flagged = [quality for score, quality in pairs if score < threshold]
    kept = [quality for score, quality in pairs if score >= threshold]
    bad = sum(quality < bad_below for _, quality in pairs)
    hits = sum(quality < bad_below for quality in flagged)
    return {
        "segments": len(pairs),
        "flagged": len(flagged),
        "flagged_share": round(len(flagged) / len(pairs), 4),
        "bad": bad,
        "precision": round(hits / len(flagged), 3) if flagged else None,
        "recall": round(hits / bad, 3) if bad else None,
        "mean_chrf_flagged": round(sum(flagged) / len(flagged), 1) if flagged else None,
        "mean_chrf_kept": round(sum(kept) / len(kept), 1) if kept else None,
    }


def calibrate(pairs: list[tuple[float, float]], bad_below: float) -> float:
    """The score threshold (rounded to 0.05) with the best F1 at finding bad translations."""
    best, best_f1 = 0.0, -1.0
    for step in range(1, 60):
        threshold = -0.05 * step
        figures = flagged_figures(pairs, threshold, bad_below)
        precision, recall = figures["precision"] or 0.0, figures["recall"] or 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        if f1 > best_f1:
            best, best_f1 = threshold, f1
    return round(best, 2)


def measure(calibration: Path, report: Path, devset: Path, bad_below: float) -> dict[str, Any]:
    references = references_by_source(read_devset(devset))
    tune = scored_segments(calibration, references)
    held_out = scored_segments(report, references)
    threshold = calibrate(tune, bad_below)
    return {
        "bad_below_chrf": bad_below,
        "threshold": threshold,
        "calibration": {
            "spearman": round(spearman(*map(list, zip(*tune, strict=True))), 3),
            **flagged_figures(tune, threshold, bad_below),
        },
        "report": {
            "spearman": round(spearman(*map(list, zip(*held_out, strict=True))), 3),
            **flagged_figures(held_out, threshold, bad_below),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate", type=Path, required=True, help="a run's output directory")
    parser.add_argument("--report", type=Path, required=True, help="a run's output directory")
    parser.add_argument("--devset", type=Path, default=Path("../shared/eval/lohelp-dev.jsonl"))
    parser.add_argument("--bad_below", type=float, default=40.0)
    args = parser.parse_args(argv)
    result = measure(args.calibrate, args.report, args.devset, args.bad_below)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
