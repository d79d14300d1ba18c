"""Every language code a user gives (targets, `source_lang`, routes, glossary lines, a
model's `language_tokens`) must be a known ISO 639 code: `--target_lang english` would
otherwise "translate" every paragraph, English ones too, into a language named english."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import ConfigError
from text.glossary import ANY, Glossary
from text.iso639 import language_code_problem

if TYPE_CHECKING:
    from pipeline.config import PipelineConfig


def _check(code: object, key: str, wildcard: bool = False) -> None:
    if wildcard and code == ANY:
        return
    problem = language_code_problem(code)
    if problem:
        raise ConfigError(f"{key}: {problem}")


def check_language_codes(config: PipelineConfig, glossary: Glossary | None) -> None:
    """Raises ConfigError naming the key of the first unknown language code (`glossary`:
    the configured one, loaded)."""
    targets = config.target_lang
    for code in targets if isinstance(targets, list) else [targets]:
        _check(code, "target_lang")
    if config.language.source_lang is not None:
        _check(config.language.source_lang, "language.source_lang")
    for index, route in enumerate(config.routes):
        _check(route.source, f"routes[{index}].source", wildcard=True)
        _check(route.target, f"routes[{index}].target")
    for name, model in config.defined_models().items():
        for code in model.language_tokens if isinstance(model.language_tokens, dict) else ():
            _check(code, f"{config.model_key(name)}.language_tokens")
    if glossary is not None:
        for entry in glossary.entries:
            where = f"protect.glossary {config.protect.glossary} ({entry.term!r})"
            _check(entry.source_lang, where, wildcard=True)
            _check(entry.target_lang, where, wildcard=True)
