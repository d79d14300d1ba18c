"""Paths in a config file are relative to the file, as in most tools that read one
(docker-compose, Cargo, tsconfig): `configs/local.yaml` works from any directory. Paths
given as flags stay relative to the current directory, where the user typed them.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse

# The path-valued keys: top-level keys, and keys of each model section.
TOP_LEVEL_PATHS = ("input", "output", "write_documents")
MODEL_PATHS = ("path",)
SECTION_PATHS = {"protect": ("glossary",)}


def _is_relative_local(path: str) -> bool:
    return urlparse(path).scheme in ("", "file") and not os.path.isabs(path) and "://" not in path


def _resolved(value: Any, base: str) -> Any:
    if isinstance(value, list):
        return [_resolved(item, base) for item in value]
    if isinstance(value, str) and value and _is_relative_local(value):
        return os.path.normpath(os.path.join(base, value))
    return value


def resolve_config_paths(values: dict[str, Any], config_path: str) -> dict[str, Any]:
    """`values` (a config file's mapping) with its relative local paths joined to the file's
    directory; URLs (gs://, s3://, ...) and absolute paths are kept."""
    base = os.path.dirname(config_path)
    out = dict(values)
    for key in TOP_LEVEL_PATHS:
        if key in out:
            out[key] = _resolved(out[key], base)
    if isinstance(out.get("model"), dict):
        out["model"] = _section(out["model"], MODEL_PATHS, base)
    if isinstance(out.get("models"), dict):
        out["models"] = {
            name: _section(model, MODEL_PATHS, base) if isinstance(model, dict) else model
            for name, model in out["models"].items()
        }
    for section, keys in SECTION_PATHS.items():
        if isinstance(out.get(section), dict):
            out[section] = _section(out[section], keys, base)
    return out


def _section(section: dict[str, Any], keys: tuple[str, ...], base: str) -> dict[str, Any]:
    return {key: _resolved(value, base) if key in keys else value for key, value in section.items()}
