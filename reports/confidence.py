"""Low-confidence text in a run: the share per language pair of the translated text whose
segments the guard flagged `low_confidence`, the lowest-scoring segments, and the report's
quality tables (with the scores of `python -m reports.evaluate`, when it ran)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from apache_beam.io.filesystems import FileSystems

from core.names import Column, EvalKey, File, SummaryKey, Table
from core.records import SegmentStatus
from reports.summary import connect, rows
from transforms.guard import LOW_CONFIDENCE_FLAG

C = Column


def _translated_rows(output: str | Path) -> list[dict[str, Any]]:
    columns = (C.DOC_ID, C.SOURCE_LANG, C.TARGET_LANG, C.SOURCE_TEXT, C.TRANSLATED_TEXT, C.SCORE)
    return rows(
        connect(str(output)),
        f"select {', '.join(columns)}, {C.FLAGS} from {Table.SEGMENTS} where {C.STATUS} = ?",
        [SegmentStatus.TRANSLATED.value],
    )


def low_confidence_by_pair(output: str | Path) -> dict[str, dict[str, Any]]:
    """{pair: {segments, low_confidence segments, share of source characters}}, and "all"."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in _translated_rows(output):
        low = LOW_CONFIDENCE_FLAG in (row[C.FLAGS] or [])
        chars = len(row[C.SOURCE_TEXT])
        for pair in (f"{row[C.SOURCE_LANG]}-{row[C.TARGET_LANG]}", SummaryKey.TOTAL):
            counts = totals[pair]
            counts[0] += 1
            counts[1] += low
            counts[2] += chars
            counts[3] += chars * low
    return {
        pair: {
            SummaryKey.SEGMENTS: segments,
            SummaryKey.LOW_CONFIDENCE: low,
            SummaryKey.LOW_CONFIDENCE_SHARE: round(low_chars / chars, 4) if chars else 0.0,
        }
        for pair, (segments, low, chars, low_chars) in sorted(totals.items())
    }


def lowest_confidence(output: str | Path, count: int) -> list[dict[str, Any]]:
    """The `count` translated segments with the lowest scores, lowest first."""
    scored = [row for row in _translated_rows(output) if row[C.SCORE] is not None]
    scored.sort(key=lambda row: row[C.SCORE])
    keep = (C.DOC_ID, C.SOURCE_LANG, C.TARGET_LANG, C.SCORE, C.SOURCE_TEXT, C.TRANSLATED_TEXT)
    return [{key: row[key] for key in keep} for row in scored[:count]]


def quality_tables(output: str) -> list[tuple[str, str, list[str], list[list[Any]]]]:
    """(id, title, header, rows) of the report's quality tables: low-confidence text per
    pair and, when the run was evaluated (eval.json beside it), its scores."""
    tables = []
    shares = low_confidence_by_pair(output)
    if shares:
        tables.append(
            (
                SummaryKey.LOW_CONFIDENCE,
                "Low-confidence translations by language pair",
                ["pair", "translated segments", "low_confidence", "share of source text"],
                [
                    [pair, f[SummaryKey.SEGMENTS], f[SummaryKey.LOW_CONFIDENCE],
                     f"{100 * f[SummaryKey.LOW_CONFIDENCE_SHARE]:.1f} %"]
                    for pair, f in shares.items()
                ],
            )
        )  # fmt: skip
    evaluation = FileSystems.join(output, File.EVAL_JSON)
    if FileSystems.exists(evaluation):
        with FileSystems.open(evaluation) as handle:
            result = json.loads(handle.read())
        scored = [*result[EvalKey.PAIRS].items(), (SummaryKey.TOTAL, result[EvalKey.OVERALL])]
        tables.append(
            (
                EvalKey.OVERALL,
                f"Scores against {result[EvalKey.REFERENCES]} (sacreBLEU)",
                ["pair", EvalKey.PARAGRAPHS, "BLEU", "chrF"],
                [[p, f[EvalKey.PARAGRAPHS], f[EvalKey.BLEU], f[EvalKey.CHRF]] for p, f in scored],
            )
        )
    return tables
