"""The generated parts of docs/: config keys, flags, metrics and output columns, from the code.

    python -m tools.config_docs --write   # rewrite the generated blocks in docs/
    python -m tools.config_docs --check   # exit 1 if docs/ differ from the code (a test runs it)

Keys, types and defaults come from the config dataclasses (`pipeline.config`), flags from
the PipelineOptions classes that parse them, metrics from `core.names.Metric` and columns
from `core.schemas`. Only the one-line meanings are written by hand (tools/descriptions.py);
a key, flag, metric or column without one fails `--check`, naming it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import typing
from pathlib import Path
from typing import Any

from core.metrics import NAMESPACE
from core.names import Metric
from core.schemas import TABLE_SCHEMAS
from pipeline.config import PipelineConfig
from pipeline.options import CONFIG_KEYS, TranslationOptions
from pipeline.progress import ProgressOptions
from pipeline.validate import describe_type
from tools.descriptions import COLUMNS, KEYS, METRICS

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN GENERATED {name}: python -m tools.config_docs --write -->"
END = "<!-- END GENERATED {name} -->"


class MissingDescription(LookupError):
    pass


def _describe_default(field: dataclasses.Field) -> str:
    if field.default is not dataclasses.MISSING:
        return f"`{json.dumps(field.default)}`"
    if field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
        return "(section)" if dataclasses.is_dataclass(value) else f"`{json.dumps(value)}`"
    return "required"


def _meaning(table: dict[str, str], key: str, what: str) -> str:
    if key not in table:
        raise MissingDescription(f"{what} {key!r} has no description in tools/descriptions.py")
    return table[key]


def _key_rows(cls: type, prefix: str) -> list[str]:
    hints = typing.get_type_hints(cls)
    lookup = prefix.replace("models.NAME.", "model.")
    return [
        f"| `{prefix}{f.name}` | {describe_type(hints[f.name])} | {_describe_default(f)} | "
        f"{_meaning(KEYS, lookup + f.name, 'config key')} |"
        for f in dataclasses.fields(cls)
    ]


def sections() -> dict[str, type]:
    """Config section → the dataclass whose fields are its keys, from PipelineConfig."""
    found = {}
    for field in dataclasses.fields(PipelineConfig):
        hint = typing.get_type_hints(PipelineConfig)[field.name]
        args = [arm for arm in typing.get_args(hint) if arm is not type(None)]
        if dataclasses.is_dataclass(hint):
            found[field.name] = hint
        elif typing.get_origin(hint) is dict and dataclasses.is_dataclass(args[1]):
            found[f"{field.name}.NAME"] = args[1]
        elif typing.get_origin(hint) is list and dataclasses.is_dataclass(args[0]):
            found[f"{field.name}[]"] = args[0]
        elif len(args) == 1 and dataclasses.is_dataclass(args[0]):
            found[field.name] = args[0]
    return found


def config_keys() -> set[str]:
    """Every dotted key the config accepts (`models.NAME.x` as `model.x`)."""
    keys = {f.name for f in dataclasses.fields(PipelineConfig)}
    for section, cls in sections().items():
        keys.update(f"{section}.{f.name}" for f in dataclasses.fields(cls))
    return keys


def keys_block() -> str:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    lines += _key_rows(PipelineConfig, "")
    for section, cls in sections().items():
        lines += _key_rows(cls, f"{section}.")
    return "\n".join(lines)


def flags_block() -> str:
    parser = argparse.ArgumentParser(add_help=False)
    for options in (TranslationOptions, ProgressOptions):
        options._add_argparse_args(parser)
    lines = ["| flag | config key | meaning |", "|---|---|---|"]
    keys = config_keys()
    for action in parser._actions:
        key = CONFIG_KEYS.get(action.dest, "")
        if key and key not in keys:
            raise MissingDescription(f"flag --{action.dest} sets {key!r}, which is no config key")
        meaning = action.help or _meaning(KEYS, key, "flag")
        lines.append(
            f"| {', '.join(f'`{s}`' for s in dict.fromkeys(action.option_strings))} | "
            f"{f'`{key}`' if key else ''} | {meaning} |"
        )
    return "\n".join(lines)


def metrics_block() -> str:
    lines = [f"| metric (namespace `{NAMESPACE}`) | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {_meaning(METRICS, name, 'metric')} |" for name in sorted(Metric)]
    return "\n".join(lines)


def columns_block() -> str:
    lines = []
    for table, schema in TABLE_SCHEMAS.items():
        lines += [f"**{table}/**", "", "| column | type | meaning |", "|---|---|---|"]
        lines += [
            f"| `{f.name}` | {f.type} | {_meaning(COLUMNS, f.name, 'column')} |" for f in schema
        ]
        lines.append("")
    return "\n".join(lines).rstrip()


BLOCKS = {  # doc file → generated block name → content
    "docs/configuration.md": {"keys": keys_block, "flags": flags_block, "metrics": metrics_block},
    "docs/outputs.md": {"columns": columns_block},
}


def render(text: str, blocks: dict[str, Any]) -> str:
    for name, make in blocks.items():
        begin, end = BEGIN.format(name=name), END.format(name=name)
        if begin not in text or end not in text:
            raise MissingDescription(f"the document has no {begin!r} … {end!r} block")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n{make()}\n{end}{tail}"
    return text


def stale_documents() -> list[str]:
    """The docs whose generated blocks differ from what the code gives now."""
    return [
        name
        for name, blocks in BLOCKS.items()
        if (ROOT / name).read_text() != render((ROOT / name).read_text(), blocks)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the generated blocks")
    parser.add_argument("--check", action="store_true", help="fail if docs/ are out of date")
    args = parser.parse_args(argv)
    try:
        if args.write:
            for name, blocks in BLOCKS.items():
                path = ROOT / name
                path.write_text(render(path.read_text(), blocks))
        stale = stale_documents()
    except MissingDescription as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if stale:
        print(f"out of date: {', '.join(stale)}; run python -m tools.config_docs --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
