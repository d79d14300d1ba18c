"""After a run: its summary (`python -m reports OUTPUT`), report.html, confidence, and the
evaluation against references (`python -m reports.evaluate`, `python -m reports.devset`).

The package imports none of its modules itself: `python -m reports.evaluate` would otherwise
find its own module imported before it runs (runpy warns about that)."""

__all__ = ["confidence", "devset", "evaluate", "html", "summary"]
