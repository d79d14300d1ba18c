"""Every check of a configuration, each failing with a message naming the key and the fix.

`check_config` runs when a config is loaded (unknown keys are refused while it is parsed):
routes, models and the fidelity sections must fit together. `check_run` runs before a
local or cluster run starts: model files, values of the wrong type or out of range, a
model directory that does not match its manifest, and settings this machine cannot carry
out (each model's backend says which: `device: cuda` with no GPU, say).
"""

from __future__ import annotations

import codecs
import dataclasses
import logging
import os
import types
import typing
from typing import TYPE_CHECKING, Any

from backends import BACKENDS, MODEL_STYLES, ModelSettings, backend_for
from core.errors import ConfigError
from pipeline.language_codes import check_language_codes
from text.glossary import Glossary, GlossaryError, load_glossary
from text.spans import SPAN_KINDS
from transforms.segment import UNITS

if TYPE_CHECKING:
    from pipeline.config import PipelineConfig

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
    "batch_token_budget": 0,
    "dedup_entries": 1,
    "max_pending_tokens": 0,
    "max_document_bytes": 1,
    "min_letters": 0,
    "min_confidence": 0,
    "max_failed_fraction": 0,
    "unit_documents": 1,
    "unit_bytes": 1,
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


def check_config(config: PipelineConfig) -> None:
    """Fails on combinations no stage could carry out, naming the key to fix."""
    if not config.routes and config.model is None:
        raise ConfigError("no model: set `model.path` (or --model DIR), or `models` + `routes`")
    defined = config.defined_models()
    for index, route in enumerate(config.route_table()):
        if route.model not in defined:
            raise ConfigError(
                f"routes[{index}].model: no model named {route.model!r}; "
                f"defined: {', '.join(sorted(defined)) or 'none'}"
            )
        if route.target not in config.target_lang:
            raise ConfigError(
                f"routes[{index}].target: {route.target!r} is not in target_lang "
                f"{config.target_lang}; add it there or remove the route"
            )
    for name, model in defined.items():
        key = config.model_key(name)
        if model.style not in MODEL_STYLES:
            raise ConfigError(f"{key}.style must be one of {', '.join(MODEL_STYLES)}")
        if model.backend not in BACKENDS:
            raise ConfigError(f"{key}.backend must be one of {', '.join(sorted(BACKENDS))}")
    fraction = config.max_low_confidence_fraction
    if fraction is not None and not (isinstance(fraction, int | float) and 0 <= fraction <= 1):
        raise ConfigError("max_low_confidence_fraction must be a number from 0 to 1")
    if config.segment.unit not in UNITS:
        raise ConfigError(f"segment.unit must be one of {', '.join(UNITS)}")
    check_language_codes(config, check_fidelity(config))
    if config.read.encoding:
        try:
            codecs.lookup(config.read.encoding)
        except (LookupError, TypeError) as exc:
            raise ConfigError(
                f"read.encoding: {config.read.encoding!r} is no encoding Python knows "
                "(e.g. cp1252, iso-8859-2, koi8-r, shift_jis)"
            ) from exc


def check_fidelity(config: PipelineConfig) -> Glossary | None:
    """Raises ConfigError for protect and guard settings no stage can use; returns the
    glossary it loaded, if any."""
    unknown = sorted(set(config.protect.kinds) - set(SPAN_KINDS))
    if unknown:
        raise ConfigError(
            f"protect.kinds: unknown kind {unknown[0]!r}; valid: {', '.join(SPAN_KINDS)}"
        )
    glossary = None
    if config.protect.glossary:
        try:
            glossary = load_glossary(config.protect.glossary)
        except GlossaryError as exc:
            raise ConfigError(f"protect.glossary: {exc}") from exc
    for pair, bounds in config.guard.length_ratios.items():
        if not (isinstance(bounds, list) and len(bounds) == 2 and bounds[0] < bounds[1]):
            raise ConfigError(f"guard.length_ratios.{pair} must be [min, max] with min < max")
    return glossary


def check_run(config: PipelineConfig, local: bool, workers: int) -> None:
    """Before a run starts: raises ConfigError for the first problem found; warns about
    slow settings. Device checks run for local runs only: a launcher of a Dataflow or
    Flink job need not have the workers' GPUs."""
    backends = {name: backend_for(model) for name, model in config.model_table().items()}
    for name, backend in backends.items():
        backend.check_files(config.model_key(name))
    check_values(config)
    for name, backend in backends.items():
        key = config.model_key(name)
        backend.check(key, local)
        if local:
            warn_oversubscription(backend.settings, key, workers)
