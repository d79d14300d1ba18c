"""report.html: one self-contained page (inline CSS and SVG, no scripts, nothing fetched)
next to the outputs: the run summary, status per language pair, length and score
distributions, the longest and lowest-scoring segments, and the errors by type.

No per-segment timing is recorded, so the longest segments (in source tokens) stand in
for the slowest: decoding time grows with length.
"""

from __future__ import annotations

import html
from typing import Any

import duckdb
from apache_beam.io.filesystems import FileSystems

from core.names import Column, File, RunKey, SummaryKey, Table
from core.records import SegmentStatus
from reports.confidence import quality_tables
from reports.summary import COUNT_COLUMNS, STATUSES, connect, rows, units_line

C, S = Column, SummaryKey

HISTOGRAM_BINS = 20
TOP_SEGMENTS = 10
TEXT_PREVIEW = 160
STATUS_COLOURS = {
    "translated": "#2e7d32",
    "passthrough": "#90a4ae",
    "untranslated": "#f9a825",
    "failed": "#c62828",
}
STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0}
td,th{padding:.2rem .6rem;border-bottom:1px solid #eee}
th{text-align:left;background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.bar{display:flex;width:24rem;height:.9rem}.bar span{display:block;height:100%}
.text{max-width:40rem;white-space:pre-wrap;word-break:break-word;font-size:12px}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem}
figure{display:inline-block;margin:0 2rem 1rem 0}figcaption{color:#555}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _cell(value: object) -> str:
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return f'<td class="n">{_e(value)}</td>' if numeric else f"<td>{_e(value)}</td>"


def _table(table_id: str, header: list[str] | None, body: list[list[object]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header or [])
    head = f"<thead><tr>{head}</tr></thead>" if header else ""
    lines = "".join("<tr>" + "".join(_cell(v) for v in line) + "</tr>" for line in body)
    return f'<table id="{table_id}">{head}<tbody>{lines}</tbody></table>'


def histogram(
    con: duckdb.DuckDBPyConnection, expr: str, where: str
) -> list[tuple[float, float, int]]:
    """(low, high, count) for HISTOGRAM_BINS equal-width bins of `expr` over segments."""
    low, high = con.execute(
        f"select min({expr}), max({expr}) from {Table.SEGMENTS} where {where}"
    ).fetchone()
    if low is None:
        return []
    if high == low:
        (count,) = con.execute(f"select count(*) from {Table.SEGMENTS} where {where}").fetchone()
        return [(low, high, count)]
    width = (high - low) / HISTOGRAM_BINS
    counts = con.execute(
        f"""select least(floor(({expr} - ?) / ?), ?)::int as bin, count(*)
        from {Table.SEGMENTS} where {where} group by 1 order by 1""",
        [low, width, HISTOGRAM_BINS - 1],
    ).fetchall()
    return [(low + b * width, low + (b + 1) * width, n) for b, n in counts]


def _svg_histogram(bins: list[tuple[float, float, int]], label: str) -> str:
    if not bins:
        return f"<p>No {_e(label)} to show.</p>"
    width, height = 420, 140
    low, high = bins[0][0], bins[-1][1]
    span = high - low or 1.0  # a single value is one bar over the whole width
    peak = max(n for _, _, n in bins)
    rects = "".join(
        f'<rect x="{(lo - low) / span * width:.1f}" y="{height - n / peak * height:.1f}" '
        f'width="{max((hi - lo or span) / span * width - 1, 1):.1f}" '
        f'height="{n / peak * height:.1f}" fill="#1565c0">'
        f"<title>{lo:.3g} to {hi:.3g}: {n}</title></rect>"
        for lo, hi, n in bins
    )
    axis = (
        f'<text x="0" y="{height + 14}" font-size="11">{low:.3g}</text>'
        f'<text x="{width}" y="{height + 14}" font-size="11" text-anchor="end">{high:.3g}</text>'
    )
    return (
        f'<figure><svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 18}"'
        f' role="img" aria-label="{_e(label)}">{rects}{axis}</svg>'
        f"<figcaption>{_e(label)} (highest bar: {peak})</figcaption></figure>"
    )


def _status_bars(pairs: list[dict[str, Any]]) -> str:
    legend = "".join(
        f'<span style="background:{STATUS_COLOURS[s]}"></span>{_e(s)}' for s in STATUSES
    )
    body = []
    for pair in pairs:
        spans = "".join(
            f'<span style="width:{100 * pair[s] / pair[S.SEGMENTS]:.2f}%;'
            f'background:{STATUS_COLOURS[s]}" title="{_e(s)}: {pair[s]}"></span>'
            for s in STATUSES
            if pair[s]
        )
        label = f"{pair[C.SOURCE_LANG]} → {pair[C.TARGET_LANG]}"
        counts = [pair[s] for s in STATUSES]
        body.append(
            f"<tr><td>{_e(label)}</td>{''.join(map(_cell, counts))}"
            f'<td><div class="bar">{spans}</div></td></tr>'
        )
    head = "".join(f"<th>{_e(h)}</th>" for h in ["pair", *STATUSES, "share"])
    return (
        f'<p class="legend">{legend}</p><table id="status"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _segments_table(table_id: str, segments: list[dict[str, Any]]) -> str:
    def preview(text: str | None) -> str:
        text = text or ""
        return text if len(text) <= TEXT_PREVIEW else text[:TEXT_PREVIEW] + "…"

    header = ["doc_id", "segment", "pair", "status", "source tokens", "score", "source", "output"]
    body = "".join(
        "<tr>"
        + "".join(
            _cell(v)
            for v in (
                seg[C.DOC_ID],
                seg[C.SEGMENT_INDEX],
                f"{seg[C.SOURCE_LANG]} → {seg[C.TARGET_LANG]}",
                seg[C.STATUS],
                seg[C.SOURCE_TOKENS],
                None if seg[C.SCORE] is None else round(seg[C.SCORE], 4),
            )
        )
        + f'<td class="text">{_e(preview(seg[C.SOURCE_TEXT]))}</td>'
        + f'<td class="text">{_e(preview(seg[C.TRANSLATED_TEXT] or seg[S.ERROR]))}</td></tr>'
        for seg in segments
    )
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


SEGMENT_COLUMNS = ", ".join(
    (
        C.DOC_ID, C.SEGMENT_INDEX, C.SOURCE_LANG, C.TARGET_LANG, C.STATUS, C.SOURCE_TOKENS,
        C.SCORE, C.SOURCE_TEXT, C.TRANSLATED_TEXT, C.ERROR,
    )
)  # fmt: skip


def render_report(output: str, summary: dict[str, Any], info: dict[str, Any] | None) -> str:
    """The report page for an output directory, from its summary and Parquet files."""
    con = connect(output)
    translated = f"{C.STATUS} = '{SegmentStatus.TRANSLATED}'"
    longest = rows(
        con,
        f"""select {SEGMENT_COLUMNS} from {Table.SEGMENTS} where {C.SOURCE_TOKENS} is not null
        order by {C.SOURCE_TOKENS} desc, {C.DOC_ID}, {C.SEGMENT_INDEX} limit {TOP_SEGMENTS}""",
    )
    lowest = rows(
        con,
        f"""select {SEGMENT_COLUMNS} from {Table.SEGMENTS} where {translated} and {C.SCORE}
        is not null order by {C.SCORE}, {C.DOC_ID}, {C.SEGMENT_INDEX} limit {TOP_SEGMENTS}""",
    )
    errors = rows(
        con,
        f"""select {C.STAGE}, {C.ERROR_TYPE}, count(*) as {S.COUNT},
        any_value({C.MESSAGE}) as {S.EXAMPLE_MESSAGE},
        any_value(coalesce({C.DOC_ID}, {C.SOURCE_PATH})) as {S.EXAMPLE_DOCUMENT}
        from {Table.ERRORS} group by {C.STAGE}, {C.ERROR_TYPE}
        order by {S.COUNT} desc, {C.STAGE}, {C.ERROR_TYPE}""",
    )
    quality = quality_tables(output)
    pairs = summary[S.PAIRS]
    header = ["source → target", *COUNT_COLUMNS, "target tok/s"]
    body = [
        [
            f"{r[C.SOURCE_LANG]} → {r[C.TARGET_LANG]}",
            *(r[c] for c in COUNT_COLUMNS),
            r[S.TARGET_TOKENS_PER_SECOND],
        ]
        for r in pairs
    ]
    total = summary[S.TOTAL]
    body.append(["total", *(total[c] for c in COUNT_COLUMNS), total[S.TARGET_TOKENS_PER_SECOND]])
    wall = summary[S.WALL_SECONDS]
    # a run's report is rendered in its staging directory: name where it is committed
    final = summary.get(S.OUTPUT) or output
    models = (info or {}).get(RunKey.MODELS, {})
    facts = [
        ("output", final),
        ("started", info.get(RunKey.STARTED_AT) if info else None),
        ("wall time", f"{wall:.1f} s" if wall is not None else "unknown (no run.json)"),
        ("state", info.get(RunKey.STATE) if info else None),
        ("models", ", ".join(f"{n}: {m[RunKey.ID]}" for n, m in models.items())),
        (
            "documents by status",
            ", ".join(f"{r[S.DOCUMENTS]} {r[C.STATUS]}" for r in summary[S.DOCUMENTS_BY_STATUS]),
        ),
        ("documents not read", summary[S.TOTAL][S.DOCUMENTS_UNREAD]),
    ]
    if S.UNITS_DONE in summary:
        facts.append(("units of work", units_line(summary).removeprefix("units: ")))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Translation run report: {_e(final)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Translation run report</h1>{_table('run', None, facts)}",
        "<h2>Summary by language pair</h2>",
        "<p>Throughput is target tokens per second of the run's wall time.</p>",
        _table("summary", header, body),
        "<h2>Segment status by language pair</h2>",
        _status_bars(pairs),
        "<h2>Distributions</h2>",
        _svg_histogram(
            histogram(con, f"length({C.SOURCE_TEXT})", "true"), "source length, characters"
        ),
        _svg_histogram(
            histogram(con, C.SCORE, f"{translated} and {C.SCORE} is not null"),
            "score of translated segments (log-probability per token)",
        ),
        "<h2>Longest segments</h2>",
        "<p>No per-segment timing is recorded; decoding time grows with length.</p>",
        _segments_table("longest", longest),
        "<h2>Lowest-scoring translations</h2>",
        _segments_table("lowest", lowest),
        *(f"<h2>{_e(title)}</h2>" + _table(i, head, body) for i, title, head, body in quality),
        "<h2>Untranslated segments by reason</h2>",
        _table(
            "untranslated",
            [S.REASON, S.SEGMENTS],
            [[r[S.REASON], r[S.SEGMENTS]] for r in summary[S.UNTRANSLATED_REASONS]],
        ),
        "<h2>Errors by type</h2>",
        _table(
            Table.ERRORS,
            ["stage", "error type", "count", "example message", "example document"],
            [list(e.values()) for e in errors],
        ),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_html_report(output: str, summary: dict[str, Any], info: dict[str, Any] | None) -> str:
    """Writes `<output>/report.html`; returns its path."""
    path = FileSystems.join(output, File.REPORT_HTML)
    with FileSystems.create(path) as handle:
        handle.write(render_report(output, summary, info).encode("utf-8"))
    return path
