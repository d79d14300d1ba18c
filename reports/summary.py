"""The run summary, computed with DuckDB from the Parquet files of an output directory.

Rows are (source language → target language) pairs of the segments table. Throughput is
target tokens per second of the run's wall time (from run.json): pairs share that wall
time, so their rates add up to the total. `python -m reports OUTPUT` prints it.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
from apache_beam.io.filesystems import FileSystems

from core.metrics import UNKNOWN_LANGUAGE
from core.names import Column, File, RunKey, Stage, SummaryKey, Table, table_glob
from core.records import SegmentStatus

C, S = Column, SummaryKey
STATUSES = [str(status) for status in SegmentStatus]
COUNT_COLUMNS = (
    S.DOCUMENTS, S.SEGMENTS, *STATUSES, C.SOURCE_TOKENS, C.TARGET_TOKENS,
    S.GENERATED_TARGET_TOKENS, S.REUSED_TARGET_TOKENS,
)  # fmt: skip


class ReportError(RuntimeError):
    """The directory is not (or not yet) a pipeline output; the message says what is missing."""


def connect(output: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per output table (`segments`, `documents`, `errors`)."""
    con = duckdb.connect()
    for table in Table:
        try:
            path = table_glob(output, table).replace("'", "''")
            con.execute(f"create view {table} as select * from read_parquet('{path}')")
            con.execute(f"select count(*) from {table}").fetchone()
        except duckdb.Error as exc:
            raise ReportError(
                f"cannot read {table_glob(output, table)}: {exc}. Is {output} an output "
                "directory of the pipeline? (gs:// and s3:// need DuckDB's httpfs extension "
                "and credentials)"
            ) from exc
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _status_columns() -> str:
    return ", ".join(f"count(*) filter (where {C.STATUS} = '{s}') as {s}" for s in STATUSES)


def summarize(output: str, wall_seconds: float | None) -> dict[str, Any]:
    """Counts by language pair, totals, throughput, errors and where the outputs are."""
    con = connect(output)
    counts = f"""count(distinct {C.DOC_ID}) as {S.DOCUMENTS}, count(*) as {S.SEGMENTS},
        {_status_columns()},
        coalesce(sum({C.SOURCE_TOKENS}), 0) as {C.SOURCE_TOKENS},
        coalesce(sum({C.TARGET_TOKENS}), 0) as {C.TARGET_TOKENS}"""
    pairs = rows(
        con,
        f"""select coalesce({C.SOURCE_LANG}, '{UNKNOWN_LANGUAGE}') as {C.SOURCE_LANG},
        {C.TARGET_LANG}, {counts}
        from {Table.SEGMENTS} group by all order by {C.SOURCE_LANG}, {C.TARGET_LANG}""",
    )
    total = rows(con, f"select {counts} from {Table.SEGMENTS}")[0]
    # Documents that were never read have no segments; they are counted from errors/.
    total[S.DOCUMENTS_UNREAD] = rows(
        con,
        f"""select count(distinct {C.DOC_ID}) as n from {Table.ERRORS}
        where {C.STAGE} = '{Stage.READ}' and {C.DOC_ID} is not null""",
    )[0]["n"]
    for row in (*pairs, total):
        row[S.GENERATED_TARGET_TOKENS], row[S.REUSED_TARGET_TOKENS] = row[C.TARGET_TOKENS], 0
        row[S.TARGET_TOKENS_PER_SECOND] = _rate(row[C.TARGET_TOKENS], wall_seconds)
    return {
        S.OUTPUT: output,
        S.WALL_SECONDS: wall_seconds,
        S.PAIRS: pairs,
        S.TOTAL: total,
        S.DOCUMENTS_BY_STATUS: rows(
            con,
            f"""select {C.STATUS}, count(*) as {S.DOCUMENTS} from {Table.DOCUMENTS}
            group by all order by 1""",
        ),
        S.UNTRANSLATED_REASONS: rows(
            con,
            f"""select {C.ERROR} as {S.REASON}, count(*) as {S.SEGMENTS} from {Table.SEGMENTS}
            where {C.STATUS} = '{SegmentStatus.UNTRANSLATED}' group by all order by 2 desc, 1""",
        ),
        S.ERRORS: rows(
            con,
            f"""select {C.STAGE}, {C.ERROR_TYPE}, count(*) as {S.COUNT} from {Table.ERRORS}
            group by all order by 3 desc, 1, 2""",
        ),
        S.FILES: {
            table: len(FileSystems.match([table_glob(output, table)])[0].metadata_list)
            for table in Table
        },
    }


def _rate(tokens: int, wall_seconds: float | None) -> float | None:
    return round(tokens / wall_seconds, 1) if wall_seconds else None


def with_reused_tokens(summary: dict[str, Any], reused: dict[tuple[str, str], int]) -> dict:
    """The summary with the target tokens each pair reused (from the dedup memo or a previous
    run, `reused[(source, target)]`) told apart from those generated; throughput counts only
    generated tokens."""
    total = summary[S.TOTAL]
    total[S.REUSED_TARGET_TOKENS] = 0
    for row in summary[S.PAIRS]:
        row[S.REUSED_TARGET_TOKENS] = reused.get((row[C.SOURCE_LANG], row[C.TARGET_LANG]), 0)
        total[S.REUSED_TARGET_TOKENS] += row[S.REUSED_TARGET_TOKENS]
    for row in (*summary[S.PAIRS], total):
        row[S.GENERATED_TARGET_TOKENS] = row[C.TARGET_TOKENS] - row[S.REUSED_TARGET_TOKENS]
        row[S.TARGET_TOKENS_PER_SECOND] = _rate(
            row[S.GENERATED_TARGET_TOKENS], summary[S.WALL_SECONDS]
        )
    return summary


def reused_tokens_of(info: dict[str, Any] | None) -> dict[tuple[str, str], int]:
    """run.json's reused target tokens by (source, target)."""
    rows = (info or {}).get(RunKey.REUSED_TARGET_TOKENS, [])
    return {(r[C.SOURCE_LANG], r[C.TARGET_LANG]): r[S.REUSED_TARGET_TOKENS] for r in rows}


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in [header, *body]
    ]


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as a plain-text table with what failed and where the outputs are."""
    header = ["source → target", *COUNT_COLUMNS, "generated tok/s"]
    header[header.index(C.SOURCE_TOKENS)] = "source tok"
    header[header.index(C.TARGET_TOKENS)] = "target tok"
    header[header.index(S.GENERATED_TARGET_TOKENS)] = "generated"
    header[header.index(S.REUSED_TARGET_TOKENS)] = "reused"

    def cells(label: str, row: dict[str, Any]) -> list[str]:
        rate = row[S.TARGET_TOKENS_PER_SECOND]
        return [label, *(str(row[c]) for c in COUNT_COLUMNS), "-" if rate is None else str(rate)]

    body = [cells(f"{r[C.SOURCE_LANG]} → {r[C.TARGET_LANG]}", r) for r in summary[S.PAIRS]]
    body.append(cells("total", summary[S.TOTAL]))
    wall = summary[S.WALL_SECONDS]
    output = summary[S.OUTPUT]
    lines = [
        f"Run summary of {output}"
        + (f" (wall time {wall:.1f} s)" if wall is not None else " (no run.json: no wall time)"),
        *_table(header, body),
    ]
    if summary[S.TOTAL][S.DOCUMENTS_UNREAD]:
        lines.append(f"documents not read: {summary[S.TOTAL][S.DOCUMENTS_UNREAD]} (see errors/)")
    if summary[S.DOCUMENTS_BY_STATUS]:
        by_status = ", ".join(
            f"{r[S.DOCUMENTS]} {r[C.STATUS]}" for r in summary[S.DOCUMENTS_BY_STATUS]
        )
        lines.append(f"documents by status: {by_status}")
    if S.UNITS_DONE in summary:
        lines.append(units_line(summary))
    for reason in summary[S.UNTRANSLATED_REASONS]:
        lines.append(f"untranslated: {reason[S.SEGMENTS]} × {reason[S.REASON]}")
    for error in summary[S.ERRORS]:
        lines.append(f"errors: {error[S.COUNT]} × {error[C.STAGE]}/{error[C.ERROR_TYPE]}")
    files = ", ".join(
        f"{FileSystems.join(output, t)}/ ({n} files)" for t, n in summary[S.FILES].items()
    )
    lines.append(f"outputs: {files}")
    run_info = FileSystems.join(output, File.RUN_INFO)
    lines.append(f"         {run_info}, {FileSystems.join(output, File.REPORT_HTML)}")
    return "\n".join(lines)


def units_line(summary: dict[str, Any]) -> str:
    """How much of the run this attempt did (`pipeline.resume`)."""
    done, reused = summary[S.UNITS_DONE], summary[S.UNITS_REUSED]
    return f"units: {done} done in this attempt, {reused} reused from a killed attempt"


def with_units(summary: dict[str, Any], info: dict[str, Any] | None) -> dict[str, Any]:
    """The summary with the units of the run.json summary, when it has them."""
    recorded = (info or {}).get(RunKey.SUMMARY, {})
    return summary | {k: recorded[k] for k in (S.UNITS_DONE, S.UNITS_REUSED) if k in recorded}


def read_run_info(output: str) -> dict[str, Any] | None:
    path = FileSystems.join(output, File.RUN_INFO)
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path) as handle:
        return json.loads(handle.read())


def summary_of_run(output: str, info: dict[str, Any] | None) -> dict[str, Any]:
    """The summary of a finished run as the run printed it: its wall time, its generated
    and reused tokens apart, its units (`info`: its run.json)."""
    summary = summarize(output, wall_seconds(info))
    return with_units(with_reused_tokens(summary, reused_tokens_of(info)), info)


def wall_seconds(info: dict[str, Any] | None) -> float | None:
    return info[RunKey.WALL_SECONDS] if info else None
