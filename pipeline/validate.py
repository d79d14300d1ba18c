"""Checks that fail a run before the pipeline starts, each naming the key and the fix.

Unknown keys are refused by `pipeline.config` and missing model files by
`pipeline.run.check_models`; here: values of the wrong type or out of range, a model
directory that does not match its manifest, and settings this machine cannot carry
out (`device: cuda` with no GPU, a compute type the device does not support).
Device checks run for local runs only: a launcher of a Dataflow or Flink job need not
have the workers' GPUs.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import types
import typing
from pathlib import Path
from typing import Any

from pipeline.config import DEFAULT_MODEL, ConfigError, PipelineConfig
from transforms.model import MANIFEST, ModelSettings
from transforms.model_store import (
    ModelVerificationError,
    is_local,
    read_manifest,
    verify_model_dir,
)

LOG = logging.getLogger(__name__)

# key (relative to its section) → smallest allowed value
MINIMUMS = {
    "beam_size": 1,
    "max_input_tokens": 1,
    "max_decoding_length": 1,
    "decoding_length_ratio": 0,
    "decoding_length_slack": 0,
    "inter_threads": 0,
    "intra_threads": 0,
    "max_batch_size": 0,
    "batch_token_budget": 1,
    "dedup_entries": 1,
    "max_pending_tokens": 1,
    "max_document_bytes": 1,
    "min_letters": 0,
    "min_confidence": 0,
}
TYPE_NAMES = {int: "integer", float: "number", str: "string", bool: "boolean"}


def _matches(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if origin in (types.UnionType, typing.Union):
        return any(_matches(value, arm) for arm in typing.get_args(hint))
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if origin is dict:
        key, item = typing.get_args(hint)
        return isinstance(value, dict) and all(
            _matches(k, key) and _matches(v, item) for k, v in value.items()
        )
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def describe_type(hint: Any) -> str:
    """A type as the YAML user sees it: `integer`, `list of string`, `string or null`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(describe_type(arm) for arm in args)
    if origin is list:
        return f"list of {describe_type(args[0])}"
    if origin is dict:
        return f"map of {describe_type(args[0])} → {describe_type(args[1])}"
    if hint is type(None):
        return "null"
    if dataclasses.is_dataclass(hint):
        return "section"
    return TYPE_NAMES.get(hint, getattr(hint, "__name__", str(hint)))


def check_values(settings: Any, where: str = "") -> None:
    """Every field of the config (recursively) has its declared type and a sane value."""
    hints = typing.get_type_hints(type(settings))
    for field in dataclasses.fields(settings):
        value = getattr(settings, field.name)
        key = f"{where}{field.name}"
        if dataclasses.is_dataclass(value):
            check_values(value, f"{key}.")
            continue
        if not _matches(value, hints[field.name]):
            raise ConfigError(
                f"{key}: expected {describe_type(hints[field.name])}, got {value!r}; "
                "fix the value in the config file or on the command line"
            )
        if field.name in MINIMUMS and value is not None and value < MINIMUMS[field.name]:
            raise ConfigError(f"{key}: {value} is below the minimum {MINIMUMS[field.name]}")
        for index, item in enumerate(value if isinstance(value, list) else []):
            if dataclasses.is_dataclass(item):
                check_values(item, f"{key}[{index}].")
        for name, item in (value if isinstance(value, dict) else {}).items():
            if dataclasses.is_dataclass(item):
                check_values(item, f"{key}.{name}.")


def check_manifest(model: ModelSettings, key: str) -> None:
    """A model directory with a manifest.json must hold exactly the files it lists, and
    the settings must fit the model it describes."""
    if not is_local(model.path):
        return  # workers verify their copy (transforms.model_store)
    manifest = read_manifest(model.path)
    if manifest is None:
        return
    try:
        verify_model_dir(Path(model.path), manifest)
    except ModelVerificationError as exc:
        raise ConfigError(
            f"{key}.path: {exc}: the model directory is incomplete or was changed after "
            "conversion; copy it again or re-run `make convert`"
        ) from exc
    if "style" in manifest and manifest["style"] != model.style:
        raise ConfigError(
            f"{key}.style: {model.style!r}, but {model.path}/{MANIFEST} says the model is "
            f"{manifest['style']!r}; set `style: {manifest['style']}`"
        )
    for setting in ("max_input_tokens", "max_decoding_length"):
        limit, value = manifest.get(setting), getattr(model, setting)
        if limit is not None and value > limit:
            raise ConfigError(
                f"{key}.{setting}: {value} is more than the model takes ({limit}, from its "
                f"{MANIFEST}); set it to {limit} or less"
            )


def check_device(model: ModelSettings, key: str) -> None:
    """The device exists here and supports the compute type."""
    import ctranslate2

    gpus = ctranslate2.get_cuda_device_count()
    if model.device == "cuda" and gpus == 0:
        raise ConfigError(
            f"{key}.device: cuda, but CTranslate2 sees no CUDA device on this machine; "
            "set `device: cpu` (--device cpu) or run where a GPU is visible"
        )
    device = "cuda" if model.device == "cuda" or (model.device == "auto" and gpus) else "cpu"
    wanted = model.resolved_compute_type()
    supported = sorted(ctranslate2.get_supported_compute_types(device))
    if wanted not in ("auto", "default") and wanted not in supported:
        raise ConfigError(
            f"{key}.compute_type: {wanted} is not supported on {device} here; "
            f"use one of {', '.join(supported)} (or `default`)"
        )


def warn_oversubscription(model: ModelSettings, key: str, workers: int) -> None:
    cores = len(os.sched_getaffinity(0))
    threads = workers * model.inter_threads * model.intra_threads
    if threads > cores:
        LOG.warning(
            "%s: %d workers × inter_threads %d × intra_threads %d = %d threads on %d cores: "
            "OpenMP oversubscription slows translation; lower %s.intra_threads (0 shares the "
            "cores evenly) or --direct_num_workers",
            key, workers, model.inter_threads, model.intra_threads, threads, cores, key,
        )  # fmt: skip


def validate_config(config: PipelineConfig, local: bool, workers: int) -> None:
    """Raises ConfigError for the first problem found; warns about slow settings."""
    check_values(config)
    for name, model in config.model_table().items():
        key = "model" if name == DEFAULT_MODEL else f"models.{name}"
        check_manifest(model, key)
        if local:
            check_device(model, key)
            warn_oversubscription(model, key, workers)
