"""Beam's Google Cloud I/O, imported only by runs that use it.

`import apache_beam` imports its GCS file system, BigQuery and Pub/Sub modules, and with
them the Google Cloud client stack (hundreds of modules, a second of start-up, and
"apitools not found" warnings where the gcp extras are missing), though a local run uses
none of it. Beam guards those imports against a missing package, so the CLI hides them
until a run names gs:// or Dataflow (`enable_gcp_if_needed`), which then imports the GCS
file system. `google.cloud` itself is a namespace package that the gcp extras' `.pth`
file creates at start-up; its client packages (`google.cloud.storage`, ...) are hidden.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import sys
from collections.abc import Iterable
from typing import Any

HIDDEN = ("apache_beam.io.gcp", "apache_beam.internal.gcp", "google.cloud", "apitools")
# Beam's Write transform always imports its Pub/Sub module (which guards its client import)
NEEDED = ("apache_beam.io.gcp", "apache_beam.io.gcp.pubsub", "google.cloud")
GCP_MARKERS = ("gs://", "Dataflow")


class _HideGcp(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        hidden = any(name == prefix or name.startswith(prefix + ".") for prefix in HIDDEN)
        if hidden and name not in NEEDED:
            raise ModuleNotFoundError(f"{name} is imported only by runs on Google Cloud", name=name)


_FINDER = _HideGcp()


def hide_gcp() -> None:
    """Until `enable_gcp`, Beam's Google Cloud modules cannot be imported (Beam skips them).
    Only before apache_beam is imported does this change anything."""
    if "apache_beam" not in sys.modules and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def enable_gcp() -> None:
    """Lets the Google Cloud modules load again and registers the gs:// file system."""
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
        # without the gcp extras, gs:// fails later as it would anyway
        with contextlib.suppress(ImportError):
            importlib.import_module("apache_beam.io.gcp.gcsfilesystem")


def enable_gcp_if_needed(texts: Iterable[str]) -> None:
    """Enables GCP when any of `texts` (the command line, the config file) names gs:// or
    a Dataflow runner."""
    if any(marker in text for text in texts for marker in GCP_MARKERS):
        enable_gcp()
