"""The pipeline stages, one module each, every one a PTransform; their order is in
pipeline/graph.py."""

__all__ = [
    "accounting",
    "detect_language",
    "guard",
    "protect",
    "read",
    "report_progress",
    "rebuild",
    "reuse",
    "route",
    "segment",
    "split",
    "translate",
    "write",
]
