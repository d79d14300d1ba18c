"""The run summary of an output directory, as printed after a run.

python -m reports out/sample          # the table, as printed after a run
python -m reports out/sample --json   # the same data, as in run.json
python -m reports out/sample --html   # (re)write out/sample/report.html
"""

from __future__ import annotations

import argparse
import json
import sys

from core.names import File
from reports.html import write_html_report
from reports.summary import ReportError, format_summary, read_run_info, summary_of_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports", description=__doc__.splitlines()[0])
    parser.add_argument("output", help="output directory of a pipeline run")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--html", action="store_true", help=f"(re)write {File.REPORT_HTML}")
    args = parser.parse_args(argv)
    info = read_run_info(args.output)
    try:
        summary = summary_of_run(args.output, info)
        if args.html:
            print(f"wrote {write_html_report(args.output, summary, info)}")
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2, default=str) if args.json else format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
