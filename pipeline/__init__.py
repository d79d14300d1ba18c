"""Composition of the translation pipeline: the CLI, config and its validation, options,
the graph, staged output and run.json."""

from pipeline.lazy_gcp import hide_gcp

hide_gcp()  # before anything imports apache_beam: a local run needs no Google Cloud client

__all__ = [
    "audit",
    "beam_options",
    "cli",
    "config",
    "config_paths",
    "dataflow_job",
    "graph",
    "hide_gcp",
    "language_codes",
    "lazy_gcp",
    "options",
    "outcome",
    "output",
    "progress",
    "run",
    "run_info",
    "validate",
    "write_documents",
]
