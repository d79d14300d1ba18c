"""The run configuration: a YAML file, with command-line overrides on top.

Each section is the settings dataclass of the stage that uses it, so a key in
the YAML is exactly a field a stage reads; an unknown key fails before the
pipeline starts and names the key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from transforms.detect_language import LanguageSettings
from transforms.model import ModelSettings
from transforms.read import ReadSettings


class ConfigError(ValueError):
    """A configuration problem the user must fix; the message says which key and how."""


@dataclass(frozen=True)
class TranslateSettings:
    batch_token_budget: int = 8192
    dedup: bool = True  # translate identical (route, text) segments once per run


@dataclass(frozen=True)
class PipelineConfig:
    input: list[str]
    output: str
    target_lang: str = "en"
    overwrite: bool = False
    read: ReadSettings = field(default_factory=ReadSettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    model: ModelSettings = field(default_factory=lambda: ModelSettings(path="models/copy"))
    translate: TranslateSettings = field(default_factory=TranslateSettings)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown key {where}{unknown[0]!r}; valid keys here: {', '.join(sorted(known))}"
        )
    kwargs = {}
    for name, value in values.items():
        nested = known[name].type
        section = _SECTION_TYPES.get(nested)
        if section is not None:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}{name} must be a mapping of settings")
            value = _build(section, value, f"{where}{name}.")
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where.rstrip('.') or 'config'}: {exc}") from exc


_SECTION_TYPES = {
    "ReadSettings": ReadSettings,
    "LanguageSettings": LanguageSettings,
    "ModelSettings": ModelSettings,
    "TranslateSettings": TranslateSettings,
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
    for required in ("input", "output"):
        if not values.get(required):
            raise ConfigError(f"{required!r} is not set: give --{required} or set it in the config")
    return _build(PipelineConfig, values, "")
