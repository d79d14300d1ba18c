"""After a run: its summary (`python -m reports OUTPUT`), report.html and the evaluation
against references (`python -m reports.evaluate`)."""

from reports.evaluate import evaluate
from reports.html import write_html_report
from reports.summary import ReportError, format_summary, summarize

__all__ = ["ReportError", "evaluate", "format_summary", "summarize", "write_html_report"]
