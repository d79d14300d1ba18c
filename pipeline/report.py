"""The run summary, computed with DuckDB from the Parquet files of an output directory.

    python -m pipeline.report out/sample          # the table, as printed after a run
    python -m pipeline.report out/sample --json   # the same data, as in run.json
    python -m pipeline.report out/sample --html   # (re)write out/sample/report.html

Rows are (source language → target language) pairs of the segments table. Throughput is
target tokens per second of the run's wall time (from run.json): pairs share that wall
time, so their rates add up to the total.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import duckdb
from apache_beam.io.filesystems import FileSystems

from pipeline.output import REPORT_HTML, RUN_INFO
from transforms.records import SegmentStatus
from transforms.write import OUTPUT_TABLES

STATUSES = [str(status) for status in SegmentStatus]
COUNT_COLUMNS = ("documents", "segments", *STATUSES, "source_tokens", "target_tokens")


class ReportError(RuntimeError):
    """The directory is not (or not yet) a pipeline output; the message says what is missing."""


def table_glob(output: str, table: str) -> str:
    return FileSystems.join(output, table, "*.parquet")


def connect(output: str) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per output table (`segments`, `documents`, `errors`)."""
    con = duckdb.connect()
    for table in OUTPUT_TABLES:
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
    return ", ".join(f"count(*) filter (where status = '{s}') as {s}" for s in STATUSES)


def summarize(output: str, wall_seconds: float | None) -> dict[str, Any]:
    """Counts by language pair, totals, throughput, errors and where the outputs are."""
    con = connect(output)
    counts = f"""count(distinct doc_id) as documents, count(*) as segments, {_status_columns()},
        coalesce(sum(source_tokens), 0) as source_tokens,
        coalesce(sum(target_tokens), 0) as target_tokens"""
    pairs = rows(
        con,
        f"""select coalesce(source_lang, 'und') as source_lang, target_lang, {counts}
        from segments group by all order by source_lang, target_lang""",
    )
    total = rows(con, f"select {counts} from segments")[0]
    # Documents that were never read have no segments; they are counted from errors/.
    total["documents_unread"] = rows(
        con,
        """select count(distinct doc_id) as n from errors
        where stage = 'read' and doc_id is not null""",
    )[0]["n"]
    for row in (*pairs, total):
        row["target_tokens_per_second"] = (
            round(row["target_tokens"] / wall_seconds, 1) if wall_seconds else None
        )
    return {
        "output": output,
        "wall_seconds": wall_seconds,
        "pairs": pairs,
        "total": total,
        "documents_by_status": rows(
            con, "select status, count(*) as documents from documents group by all order by 1"
        ),
        "untranslated_reasons": rows(
            con,
            f"""select error as reason, count(*) as segments from segments
            where status = '{SegmentStatus.UNTRANSLATED}' group by all order by 2 desc, 1""",
        ),
        "errors": rows(
            con,
            """select stage, error_type, count(*) as count from errors group by all
            order by 3 desc, 1, 2""",
        ),
        "files": {
            table: len(FileSystems.match([table_glob(output, table)])[0].metadata_list)
            for table in OUTPUT_TABLES
        },
    }


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
    header = ["source → target", *COUNT_COLUMNS, "tok/s"]
    header[header.index("source_tokens")] = "source tok"
    header[header.index("target_tokens")] = "target tok"

    def cells(label: str, row: dict[str, Any]) -> list[str]:
        rate = row["target_tokens_per_second"]
        return [label, *(str(row[c]) for c in COUNT_COLUMNS), "-" if rate is None else str(rate)]

    body = [cells(f"{r['source_lang']} → {r['target_lang']}", r) for r in summary["pairs"]]
    body.append(cells("total", summary["total"]))
    wall = summary["wall_seconds"]
    output = summary["output"]
    lines = [
        f"Run summary of {output}"
        + (f" (wall time {wall:.1f} s)" if wall is not None else " (no run.json: no wall time)"),
        *_table(header, body),
    ]
    if summary["total"]["documents_unread"]:
        lines.append(f"documents not read: {summary['total']['documents_unread']} (see errors/)")
    if summary["documents_by_status"]:
        by_status = ", ".join(
            f"{r['documents']} {r['status']}" for r in summary["documents_by_status"]
        )
        lines.append(f"documents by status: {by_status}")
    for reason in summary["untranslated_reasons"]:
        lines.append(f"untranslated: {reason['segments']} × {reason['reason']}")
    for error in summary["errors"]:
        lines.append(f"errors: {error['count']} × {error['stage']}/{error['error_type']}")
    files = ", ".join(
        f"{FileSystems.join(output, t)}/ ({n} files)" for t, n in summary["files"].items()
    )
    lines.append(f"outputs: {files}")
    lines.append(
        f"         {FileSystems.join(output, RUN_INFO)}, {FileSystems.join(output, REPORT_HTML)}"
    )
    return "\n".join(lines)


def read_run_info(output: str) -> dict[str, Any] | None:
    path = FileSystems.join(output, RUN_INFO)
    if not FileSystems.exists(path):
        return None
    with FileSystems.open(path) as handle:
        return json.loads(handle.read())


def main(argv: list[str] | None = None) -> int:
    from pipeline.html_report import write_html_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="output directory of a pipeline run")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--html", action="store_true", help=f"(re)write {REPORT_HTML}")
    args = parser.parse_args(argv)
    info = read_run_info(args.output)
    try:
        summary = summarize(args.output, info["wall_seconds"] if info else None)
        if args.html:
            print(f"wrote {write_html_report(args.output, summary, info)}")
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
