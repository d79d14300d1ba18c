"""The run configuration: a YAML file, with command-line overrides on top.

Each section is the settings dataclass of the stage that uses it, so a key in
the YAML is exactly a field a stage reads; an unknown key fails before the
pipeline starts and names the key. Every other check is in `pipeline.validate`.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from backends import EXECUTION_SETTINGS, ModelSettings
from backends.store import recorded_checksums
from core.errors import ConfigError
from pipeline.config_paths import resolve_config_paths
from pipeline.validate import check_config
from readers import ReadSettings
from text.glossary import Glossary, load_glossary
from transforms.commit import CommitSettings
from transforms.detect_language import LanguageSettings
from transforms.guard import GuardSettings
from transforms.protect import ProtectSettings
from transforms.route import Route
from transforms.segment import SegmentSettings
from transforms.split import SplitSettings
from transforms.translate import TranslateSettings

DEFAULT_MODEL = "default"


@dataclass(frozen=True)
class PipelineConfig:
    input: list[str]  # one pattern may be given as a string
    output: str
    # may be given as a comma-separated string
    target_lang: list[str] = field(
        default_factory=lambda: ["en"], metadata={"comma_separated": True}
    )
    overwrite: bool = False
    incremental: bool = False
    read: ReadSettings = field(default_factory=ReadSettings)
    split: SplitSettings = field(default_factory=SplitSettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    # `model` is the model of the default `* → target` routes; `models` names more models
    # for `routes`, which are tried exact source first, then `*`.
    model: ModelSettings | None = None
    models: dict[str, ModelSettings] = field(default_factory=dict)
    routes: list[Route] = field(default_factory=list)
    translate: TranslateSettings = field(default_factory=TranslateSettings)
    # Beam pipeline options (runner, job_endpoint, machine_type, ...), flag name → value
    beam_options: dict[str, Any] = field(default_factory=dict)
    protect: ProtectSettings = field(default_factory=ProtectSettings)
    guard: GuardSettings = field(default_factory=GuardSettings)
    # an --input pattern that matches nothing is allowed (scheduled jobs), not exit 4
    allow_empty_input: bool = False
    # over this fraction of failed documents the run exits 5 (its output is committed)
    max_failed_fraction: float = 0.1
    # also write each translated document as a file under this directory
    write_documents: str | None = None
    resume: bool = False
    commit: CommitSettings = field(default_factory=CommitSettings)
    segment: SegmentSettings = field(default_factory=SegmentSettings)
    # Over this share of low-confidence text the run exits with ExitCode.LOW_CONFIDENCE.
    max_low_confidence_fraction: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def defined_models(self) -> dict[str, ModelSettings]:
        """Every model the config defines, by name (`default` is the `model` section)."""
        return {**self.models, **({DEFAULT_MODEL: self.model} if self.model else {})}

    def model_table(self) -> dict[str, ModelSettings]:
        """Every model a route uses, by name."""
        table = self.defined_models()
        return {name: table[name] for name in sorted({route.model for route in self.route_table()})}

    def route_table(self) -> list[Route]:
        if self.routes:
            return list(self.routes)
        return [Route("*", target, DEFAULT_MODEL) for target in self.target_lang]

    @staticmethod
    def model_key(name: str) -> str:
        """The config section of a model, for messages."""
        return "model" if name == DEFAULT_MODEL else f"models.{name}"


def settings_fingerprint(config: PipelineConfig, glossary: Glossary | None = None) -> str:
    """sha256 of everything that decides a translation (`decisive_settings`)."""
    return fingerprint_of(decisive_settings(config, glossary))


def fingerprint_of(decisive: dict[str, Any]) -> str:
    """sha256 of `decisive_settings`' result."""
    return hashlib.sha256(json.dumps(decisive, sort_keys=True).encode()).hexdigest()


def decisive_settings(config: PipelineConfig, glossary: Glossary | None = None) -> dict[str, Any]:
    """Everything that decides a translation: targets, language detection, splitting,
    routes, each model's files and decoding settings, protected spans, the glossary's
    content and the guard (not paths, threads or batch sizes, which do not change the
    output). `glossary`: the configured one when the caller has loaded it."""
    if config.protect.glossary and glossary is None:
        glossary = load_glossary(config.protect.glossary)
    models = {
        name: {
            **{k: v for k, v in dataclasses.asdict(model).items() if k not in EXECUTION_SETTINGS},
            "files": recorded_checksums(model.path),
        }
        for name, model in config.model_table().items()
    }
    return {
        "target_lang": config.target_lang,
        "language": dataclasses.asdict(config.language),
        "split": dataclasses.asdict(config.split),
        "routes": [dataclasses.asdict(route) for route in config.route_table()],
        "models": models,
        "protect": {
            "kinds": sorted(config.protect.kinds),
            "glossary": glossary.sha256 if glossary else None,
        },
        "guard": dataclasses.asdict(config.guard),
        "segment": dataclasses.asdict(config.segment),
    }


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), list(known), n=1)
        hint = f" (did you mean {where}{close[0]}?)" if close else ""
        raise ConfigError(
            f"unknown key {where}{unknown[0]!r}{hint}; valid keys here: {', '.join(sorted(known))}"
        )
    hints = typing.get_type_hints(cls)
    kwargs = {name: _value(hints[name], value, f"{where}{name}") for name, value in values.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where.rstrip('.') or 'config'}: {exc}") from exc


def _value(hint: Any, value: Any, where: str) -> Any:
    """`value` as the field's type: sections (dataclasses), optional sections, and lists
    and maps of sections are built; other values are checked by `pipeline.validate`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union) and type(None) in args:
        (inner,) = (arm for arm in args if arm is not type(None))
        return None if value is None else _value(inner, value, where)
    if dataclasses.is_dataclass(hint):
        return _build(hint, _mapping(value, where), f"{where}.")
    if origin is dict and dataclasses.is_dataclass(args[1]):
        return {
            key: _value(args[1], item, f"{where}.{key}")
            for key, item in _mapping(value, where).items()
        }
    if origin is list and dataclasses.is_dataclass(args[0]):
        if not isinstance(value, list):
            names = ", ".join(f.name for f in dataclasses.fields(args[0]))
            raise ConfigError(f"{where} must be a list of {{{names}}}")
        return [_value(args[0], item, f"{where}[{i}]") for i, item in enumerate(value)]
    return value


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a mapping of settings")
    return value


_HINTS = typing.get_type_hints(PipelineConfig)


def _required_keys(cls: type) -> list[str]:
    """The fields of `cls` without a default."""
    missing = dataclasses.MISSING
    return [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is missing and f.default_factory is missing
    ]


def _set_dotted(values: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = values
    for index, key in enumerate(parents):
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            section = ".".join(parents[: index + 1])
            raise ConfigError(f"cannot set {dotted}: {section} is not a section")
    node[leaf] = value


def config_text(path: str | None) -> str:
    """The config file's text ("" without one, or when it cannot be read: load_config says
    why)."""
    try:
        return Path(path).read_text() if path else ""
    except OSError:
        return ""


def load_config(path: str | None, overrides: dict[str, Any]) -> PipelineConfig:
    """Reads the YAML file (if any), its relative paths taken from its directory, and
    applies `overrides` (dotted keys, None = unset; paths relative to the current one)."""
    values: dict[str, Any] = {}
    if path:
        try:
            values = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
        if not isinstance(values, dict):
            raise ConfigError(f"config {path} must be a mapping of keys to values")
        values = resolve_config_paths(values, path)
    for dotted, value in overrides.items():
        if value is not None:
            _set_dotted(values, dotted, value)
    for f in dataclasses.fields(PipelineConfig):  # a list given as one string
        value = values.get(f.name)
        if isinstance(value, str) and typing.get_origin(_HINTS[f.name]) is list:
            split = f.metadata.get("comma_separated")
            values[f.name] = [part.strip() for part in value.split(",")] if split else [value]
    for name in _required_keys(PipelineConfig):
        if not values.get(name):
            raise ConfigError(f"{name!r} is not set: give --{name} or set it in the config")
    config = _build(PipelineConfig, values, "")
    check_config(config)
    return config
