"""The run configuration: a YAML file, with command-line overrides on top.

Each section is the settings dataclass of the stage that uses it, so a key in
the YAML is exactly a field a stage reads; an unknown key fails before the
pipeline starts and names the key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from transforms.detect_language import LanguageSettings
from transforms.glossary import Glossary, GlossaryError, load_glossary
from transforms.guard import GuardSettings
from transforms.model import EXECUTION_SETTINGS, MODEL_STYLES, ModelSettings
from transforms.model_store import recorded_checksums
from transforms.protect import ProtectSettings
from transforms.read import ReadSettings
from transforms.route import Route
from transforms.spans import SPAN_KINDS
from transforms.split import SplitSettings
from transforms.translate import TranslateSettings


class ConfigError(ValueError):
    """A configuration problem the user must fix; the message says which key and how."""


@dataclass(frozen=True)
class PipelineConfig:
    input: list[str]
    output: str
    target_lang: list[str] = field(default_factory=lambda: ["en"])
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

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def model_table(self) -> dict[str, ModelSettings]:
        """Every model a route uses, by name (`default` is the `model` section)."""
        table = dict(self.models)
        if self.model is not None:
            table[DEFAULT_MODEL] = self.model
        return {name: table[name] for name in sorted({route.model for route in self.route_table()})}

    def route_table(self) -> list[Route]:
        if self.routes:
            return list(self.routes)
        return [Route("*", target, DEFAULT_MODEL) for target in self.target_lang]

    def validate(self) -> None:
        """Fails on combinations no stage could carry out, naming the key to fix."""
        if not self.routes and self.model is None:
            raise ConfigError("no model: set `model.path` (or --model DIR), or `models` + `routes`")
        names = set(self.models) | ({DEFAULT_MODEL} if self.model else set())
        for index, route in enumerate(self.route_table()):
            if route.model not in names:
                raise ConfigError(
                    f"routes[{index}].model: no model named {route.model!r}; "
                    f"defined: {', '.join(sorted(names)) or 'none'}"
                )
            if route.target not in self.target_lang:
                raise ConfigError(
                    f"routes[{index}].target: {route.target!r} is not in target_lang "
                    f"{self.target_lang}; add it there or remove the route"
                )
        for name, model in {**self.models, DEFAULT_MODEL: self.model}.items():
            if model is not None and model.style not in MODEL_STYLES:
                raise ConfigError(f"models.{name}.style must be one of {', '.join(MODEL_STYLES)}")
        self._validate_fidelity()

    def _validate_fidelity(self) -> None:
        unknown = sorted(set(self.protect.kinds) - set(SPAN_KINDS))
        if unknown:
            raise ConfigError(
                f"protect.kinds: unknown kind {unknown[0]!r}; valid: {', '.join(SPAN_KINDS)}"
            )
        if self.protect.glossary:
            try:
                load_glossary(self.protect.glossary)
            except GlossaryError as exc:
                raise ConfigError(f"protect.glossary: {exc}") from exc
        for pair, bounds in self.guard.length_ratios.items():
            if not (isinstance(bounds, list) and len(bounds) == 2 and bounds[0] < bounds[1]):
                raise ConfigError(f"guard.length_ratios.{pair} must be [min, max] with min < max")


DEFAULT_MODEL = "default"


def settings_fingerprint(config: PipelineConfig, glossary: Glossary | None = None) -> str:
    """sha256 of everything that decides a translation: targets, language detection,
    splitting, routes, each model's files and decoding settings, protected spans, the
    glossary's content and the guard (not paths, threads or batch sizes, which do not
    change the output). `glossary`: the configured one when the caller has loaded it."""
    if config.protect.glossary and glossary is None:
        glossary = load_glossary(config.protect.glossary)
    models = {
        name: {
            **{k: v for k, v in dataclasses.asdict(model).items() if k not in EXECUTION_SETTINGS},
            "files": recorded_checksums(model.path),
        }
        for name, model in config.model_table().items()
    }
    decisive = {
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
    }
    return hashlib.sha256(json.dumps(decisive, sort_keys=True).encode()).hexdigest()


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown key {where}{unknown[0]!r}; valid keys here: {', '.join(sorted(known))}"
        )
    kwargs = {}
    for name, value in values.items():
        kind = known[name].type
        if kind == "dict[str, ModelSettings]":
            value = {
                key: _section(ModelSettings, item, f"{where}{name}.{key}")
                for key, item in _mapping(value, f"{where}{name}").items()
            }
        elif kind == "list[Route]":
            if not isinstance(value, list):
                raise ConfigError(f"{where}{name} must be a list of {{source, target, model}}")
            value = [_section(Route, item, f"{where}{name}[{i}]") for i, item in enumerate(value)]
        elif kind.removesuffix(" | None") in _SECTION_TYPES:
            value = _section(_SECTION_TYPES[kind.removesuffix(" | None")], value, f"{where}{name}")
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where.rstrip('.') or 'config'}: {exc}") from exc


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a mapping of settings")
    return value


def _section(cls: type, value: Any, where: str) -> Any:
    return _build(cls, _mapping(value, where), f"{where}.")


_SECTION_TYPES = {
    "ReadSettings": ReadSettings,
    "SplitSettings": SplitSettings,
    "LanguageSettings": LanguageSettings,
    "ModelSettings": ModelSettings,
    "TranslateSettings": TranslateSettings,
    "ProtectSettings": ProtectSettings,
    "GuardSettings": GuardSettings,
}


def _set_dotted(values: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = values
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def load_config(path: str | None, overrides: dict[str, Any]) -> PipelineConfig:
    """Reads the YAML file (if any) and applies `overrides` (dotted keys, None = unset)."""
    values: dict[str, Any] = {}
    if path:
        try:
            values = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config {path}: {exc}") from exc
    for dotted, value in overrides.items():
        if value is not None:
            _set_dotted(values, dotted, value)
    if isinstance(values.get("input"), str):
        values["input"] = [values["input"]]
    if isinstance(values.get("target_lang"), str):
        values["target_lang"] = [lang.strip() for lang in values["target_lang"].split(",")]
    for required in ("input", "output"):
        if not values.get(required):
            raise ConfigError(f"{required!r} is not set: give --{required} or set it in the config")
    config = _build(PipelineConfig, values, "")
    config.validate()
    return config
