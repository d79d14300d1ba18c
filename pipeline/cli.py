"""The command line around `pipeline.run`: grouped `--help`, Beam's options on request
(`--help_beam`), and unknown flags refused before anything runs.

Beam alone only logs "Discarding unparseable args" and runs on, so a mistyped `--modle`
would translate with the config's model. Every flag is therefore checked against the
pipeline's own options and every Beam `PipelineOptions` class; Beam's options pass through.
"""

from __future__ import annotations

import argparse
import difflib
from typing import Any

from apache_beam.options.pipeline_options import PipelineOptions

from core.errors import ConfigError
from pipeline.options import TranslationOptions
from pipeline.progress import ProgressOptions

PROG = "corpus-translate"
OWN_OPTIONS = (TranslationOptions, ProgressOptions)
HELP_FLAGS = ("-h", "--help")
BEAM_HELP_FLAGS = ("--help_beam", "--help-beam")

# help group title → the flags (dests) it lists; a flag in none of them goes to the last
GROUPS: dict[str, tuple[str, ...]] = {
    "input and output": (
        "config", "input", "output", "overwrite", "incremental", "allow_empty_input",
        "write_documents",
    ),
    "languages": ("target_lang", "source_lang"),
    "model": (
        "model", "device", "compute_type", "beam_size", "max_input_tokens", "inter_threads",
        "intra_threads",
    ),
    "reading and splitting": (
        "text_field", "id_field", "lang_field", "encoding", "max_document_bytes",
        "max_paragraphs", "max_paragraph_chars",
    ),
    "translation": ("batch_token_budget", "glossary", "translation_unit"),
    "outcome and progress": (
        "max_failed_fraction", "max_low_confidence_fraction", "progress", "progress_interval",
    ),
    "any config key": ("set",),
    "other pipeline flags": (),
}  # fmt: skip

DESCRIPTION = """\
Translate a document corpus with an Apache Beam pipeline and a CTranslate2 model.

Settings come from --config (YAML; paths in it are relative to the file) and the flags
below (paths relative to the current directory), which override the file's keys.
Every key of the file can be set with --set section.key=value."""

EPILOG = """\
Beam's own pipeline options (--runner, --direct_num_workers, --project, ...) pass
through unchanged; `%(prog)s --help_beam` lists them, and
https://beam.apache.org/releases/pydoc/current/apache_beam.options.pipeline_options.html
describes them. Exit codes: docs/exit-codes.md (0 ok, 1 crashed, 2 configuration,
3 accounting, 4 no input, 5 too many failures, 6 low confidence)."""


class _GroupedParser:
    """Stands in for a parser in `_add_argparse_args`: puts each flag in its help group."""

    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.groups = {title: parser.add_argument_group(title) for title in GROUPS}
        self.group_of = {dest: title for title, dests in GROUPS.items() for dest in dests}

    def add_argument(self, *names: str, **kwargs: Any) -> None:
        dest = kwargs.get("dest") or names[0].lstrip("-").replace("-", "_")
        title = self.group_of.get(dest, list(GROUPS)[-1])
        self.groups[title].add_argument(*names, **kwargs)


def help_text() -> str:
    """`--help`: the pipeline's flags, grouped, with their meanings."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage="%(prog)s [--config FILE] [FLAG ...] [BEAM OPTION ...]",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        *BEAM_HELP_FLAGS, dest="help_beam", action="store_true", help="list Beam's own options"
    )
    grouped = _GroupedParser(parser)
    for options in OWN_OPTIONS:
        options._add_argparse_args(grouped)
    return parser.format_help()


def _beam_option_classes() -> list[type[PipelineOptions]]:
    return [cls for cls in PipelineOptions.__subclasses__() if cls not in OWN_OPTIONS]


def beam_help_text() -> str:
    """`--help_beam`: Beam's pipeline options, one group per options class."""
    parser = argparse.ArgumentParser(prog=PROG, add_help=False, usage=f"{PROG} [BEAM OPTIONS]")
    seen: set[str] = set()
    for cls in _beam_option_classes():
        if cls.__name__ in seen:
            continue
        seen.add(cls.__name__)
        group = parser.add_argument_group(cls.__name__)
        group.add_value_provider_argument = group.add_argument  # type: ignore[attr-defined]
        try:
            cls._add_argparse_args(group)
        except argparse.ArgumentError:
            continue  # an option two classes define: listed once, under the first
    return parser.format_help()


def _known_flags() -> tuple[argparse.ArgumentParser, list[str]]:
    """A parser of every option (Beam's and ours) and all their flag spellings."""
    parser = argparse.ArgumentParser(allow_abbrev=False, add_help=False)
    parser.add_value_provider_argument = parser.add_argument  # type: ignore[attr-defined]
    for cls in {str(cls): cls for cls in PipelineOptions.__subclasses__()}.values():
        cls._add_argparse_args(parser)
    flags = [flag for action in parser._actions for flag in action.option_strings]
    return parser, flags


def _closest(flag: str, known: list[str], own: list[str]) -> str:
    """ " (did you mean --x?)" with the closest known flag, preferring the pipeline's own."""
    name = flag.split("=", 1)[0]
    for candidates in (own, known):
        match = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        if match:
            return f" (did you mean {match[0]}?)"
    return ""


def check_flags(argv: list[str]) -> None:
    """Raises ConfigError naming the first flag that neither the pipeline nor Beam knows,
    or a stray word that belongs to no flag."""
    parser, known = _known_flags()
    own_parser = argparse.ArgumentParser(add_help=False)
    for options in OWN_OPTIONS:
        options._add_argparse_args(own_parser)
    own = [flag for action in own_parser._actions for flag in action.option_strings]
    _, unknown = parser.parse_known_args(argv)
    for arg in unknown:
        if arg == "--":
            break
        if arg.startswith("-"):
            raise ConfigError(
                f"unknown flag {arg.split('=', 1)[0]}{_closest(arg, known, own)}; "
                f"`{PROG} --help` lists the pipeline's flags, `{PROG} --help_beam` Beam's"
            )
        raise ConfigError(
            f"unexpected argument {arg!r}: every value follows its flag "
            "(--input PATTERN, --output DIR, ...)"
        )
