"""TranslationOptions: the pipeline's own command-line flags, as Beam PipelineOptions.

Every other flag (`--runner`, `--direct_num_workers`, ...) is Beam's. Each flag
here overrides one config key (`CONFIG_KEYS`), so the YAML file and the command
line cannot drift apart.
"""

from __future__ import annotations

import argparse
from typing import Any

import yaml
from apache_beam.options.pipeline_options import PipelineOptions

from core.errors import ConfigError

# flag dest → dotted config key it overrides
CONFIG_KEYS = {
    "input": "input",
    "output": "output",
    "overwrite": "overwrite",
    "incremental": "incremental",
    "target_lang": "target_lang",
    "source_lang": "language.source_lang",
    "model": "model.path",
    "device": "model.device",
    "compute_type": "model.compute_type",
    "beam_size": "model.beam_size",
    "max_input_tokens": "model.max_input_tokens",
    "inter_threads": "model.inter_threads",
    "intra_threads": "model.intra_threads",
    "batch_token_budget": "translate.batch_token_budget",
    "text_field": "read.text_field",
    "id_field": "read.id_field",
    "lang_field": "read.lang_field",
    "max_document_bytes": "read.max_document_bytes",
    "max_paragraphs": "split.max_paragraphs",
    "max_paragraph_chars": "split.max_paragraph_chars",
    "glossary": "protect.glossary",
    "allow_empty_input": "allow_empty_input",
    "max_failed_fraction": "max_failed_fraction",
    "write_documents": "write_documents",
    "encoding": "read.encoding",
    "resume": "resume",
    "unit_documents": "commit.unit_documents",
    "translation_unit": "segment.unit",
    "max_low_confidence_fraction": "max_low_confidence_fraction",
    "backend": "model.backend",
}


class TranslationOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        def flag(name: str, **kwargs: Any) -> None:
            spellings = dict.fromkeys([f"--{name}", f"--{name.replace('_', '-')}"])
            parser.add_argument(*spellings, dest=name, **kwargs)

        flag("config", help="YAML run configuration (see configs/local.yaml)")
        flag("input", action="append", help="file pattern; repeat for several (gs://, s3://, ...)")
        flag("output", help="output directory (local or any Beam FileSystems path)")
        flag(
            "overwrite",
            action="store_true",
            default=None,
            help="replace the outputs already in --output",
        )
        flag(
            "incremental",
            action="store_true",
            default=None,
            help="reuse the translations of documents unchanged since the run in --output",
        )
        flag("target_lang", help="language to translate into (ISO 639-1, e.g. en)")
        flag("source_lang", help="skip detection: every paragraph is in this language")
        flag("model", help="CTranslate2 model directory with source.spm/target.spm")
        flag("device", choices=["cpu", "cuda", "auto"], help="where the model runs")
        flag("compute_type", help="int8, int8_float16, float16, float32, ... (default: by device)")
        flag("beam_size", type=int, help="beam search width (1: greedy)")
        flag("max_input_tokens", type=int, help="longer paragraphs are split into sentences")
        flag("inter_threads", type=int, help="0: one model replica per core (CPU)")
        flag("intra_threads", type=int, help="0: the worker's cores / inter_threads")
        flag("batch_token_budget", type=int, help="source tokens per translation batch")
        flag("text_field", help="JSONL field / Parquet column holding the text")
        flag("id_field", help="JSONL field / Parquet column holding the document id")
        flag("lang_field", help="JSONL field / Parquet column holding a source-language hint")
        flag("max_document_bytes", type=int, help="larger documents are refused")
        flag("max_paragraphs", type=int, help="documents with more paragraphs are refused")
        flag("max_paragraph_chars", type=int, help="longer paragraphs are left untranslated")
        flag("glossary", help="tab-separated glossary file (README: Fidelity)")
        flag(
            "allow_empty_input",
            action="store_true",
            default=None,
            help="an --input pattern that matches no file is not an error (scheduled jobs)",
        )
        flag(
            "max_failed_fraction",
            type=float,
            help="exit 5 when more of the documents failed (default 0.1; 1 never)",
        )
        flag("write_documents", metavar="DIR", help="also write each translated document there")
        flag("encoding", help="decode every text file with this encoding (no detection)")
        flag(
            "set",
            action="append",
            metavar="KEY=VALUE",
            help="set any config key, e.g. --set model.max_decoding_length=512 (repeatable; "
            "VALUE is YAML)",
        )
        flag(
            "resume",
            action="store_true",
            default=None,
            help="continue the killed run of --output; refused if its settings differ",
        )
        flag("unit_documents", type=int, help="documents per committed unit (resume granularity)")
        flag(
            "translation_unit",
            choices=["sentence", "paragraph"],
            help="what the model is given at once (default sentence)",
        )
        flag(
            "max_low_confidence_fraction",
            type=float,
            help="exit 6 when low-confidence text is over this share of the translated text",
        )
        flag("backend", help="ctranslate2, or ctranslate2_shared: one model per machine")

    def config_overrides(self) -> dict[str, Any]:
        """Dotted config key → value: the `--set` pairs, then the flags given (which win)."""
        flags = {key: getattr(self, dest) for dest, key in CONFIG_KEYS.items()}
        return {**parse_set(self.set or []), **{k: v for k, v in flags.items() if v is not None}}


def parse_set(pairs: list[str]) -> dict[str, Any]:
    """`--set section.key=value` pairs as {dotted key: value}; the value is read as YAML
    (`512` a number, `true` a boolean, `[code, url]` a list)."""
    values = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {pair!r}: expected KEY=VALUE, e.g. model.beam_size=4")
        try:
            values[key.strip()] = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {pair!r}: the value is not valid YAML: {exc}") from exc
    return values
