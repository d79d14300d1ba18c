"""Composition of the translation pipeline: the CLI, config and its validation, options,
the graph, staged output and run.json."""

__all__ = [
    "audit",
    "beam_options",
    "config",
    "dataflow_job",
    "graph",
    "options",
    "output",
    "progress",
    "run",
    "run_info",
    "validate",
]
