"""The generated parts of docs/: config keys, flags, metrics and output columns, from the code.

    python -m tools.config_docs --write   # rewrite the generated blocks in docs/
    python -m tools.config_docs --check   # exit 1 if docs/ differ from the code (a test runs it)

Keys, types and defaults come from the config dataclasses (`pipeline.config`), flags from
the PipelineOptions classes that parse them, metrics from the `Metrics.counter(...)` calls
in transforms/, and columns from `transforms.schemas`. Only the one-line meanings are
written here; a key, flag, metric or column without one fails `--check`, naming it.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
import typing
from pathlib import Path
from typing import Any

from pipeline.config import PipelineConfig, TranslateSettings
from pipeline.options import CONFIG_KEYS, TranslationOptions
from pipeline.progress import ProgressOptions
from pipeline.validate import describe_type
from transforms.detect_language import LanguageSettings
from transforms.guard import GuardSettings
from transforms.model import ModelSettings
from transforms.protect import ProtectSettings
from transforms.read import ReadSettings
from transforms.route import Route
from transforms.split import SplitSettings
from transforms.write import OUTPUT_TABLES

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN GENERATED {name}: python -m tools.config_docs --write -->"
END = "<!-- END GENERATED {name} -->"
SECTIONS = {  # config section → the dataclass whose fields are its keys
    "read": ReadSettings,
    "split": SplitSettings,
    "protect": ProtectSettings,
    "guard": GuardSettings,
    "language": LanguageSettings,
    "model": ModelSettings,
    "models.NAME": ModelSettings,
    "routes[]": Route,
    "translate": TranslateSettings,
}
KEYS = {
    "input": "file patterns (list); local, gs://, s3://, hdfs:// through Beam FileSystems",
    "output": "output directory: segments/, documents/, errors/, run.json, report.html",
    "target_lang": "languages to translate into (ISO 639-1); one output row per target",
    "overwrite": "replace a run already in `output` (otherwise the run is refused)",
    "incremental": "reuse the run in `output` for documents unchanged since (same text, "
    "settings and models); translate only new or changed ones",
    "split": "safety caps on paragraphs (section below)",
    "protect": "protected spans and glossary (section below)",
    "protect.kinds": "spans replaced by {N} placeholders: code, url, email, number, markup",
    "protect.glossary": "tab-separated glossary file: source, target, term, translation",
    "guard": "degenerate-output guard and its retry (section below)",
    "guard.enabled": "check translations for loops, length ratio, language, length limit",
    "guard.repeat_min_times": "a repeated n-gram this many times is a loop ...",
    "guard.repeat_min_chars": "... when the repeats cover at least this many characters",
    "guard.min_length_ratio": "output/source length below this is degenerate",
    "guard.max_length_ratio": "output/source length above this is degenerate",
    "guard.length_ratios": "per pair `src-tgt: [min, max]` overrides of the two ratios",
    "guard.ratio_min_source_chars": "shorter sources skip the length-ratio check",
    "guard.check_language": "the output must be detected as the target language "
    "(off by default: the test models do not translate)",
    "guard.retry": "retry a degenerate segment once with safer decoding",
    "guard.retry_beam_size": "beam size of the retry",
    "guard.retry_repetition_penalty": "repetition_penalty of the retry",
    "guard.retry_no_repeat_ngram_size": "no_repeat_ngram_size of the retry (0 = off)",
    "guard.fail_degenerate": "a retry still degenerate fails the segment (source kept)",
    "beam_options": "Beam pipeline options (runner, project, ...) by name; the command line "
    "overrides them",
    "split.max_paragraphs": "a document with more paragraphs is refused (row in errors/)",
    "split.max_paragraph_chars": "a longer paragraph stays untranslated (status failed)",
    "read": "how documents are read (section below)",
    "language": "language detection (section below)",
    "model": "the model of the default `* → target` routes (section below)",
    "models": "more models by name, for `routes`; each takes the keys of `model`",
    "routes": "(source, target, model) routes; exact source first, then `*`",
    "translate": "batching (section below)",
    "read.text_field": "JSONL field / Parquet column holding the text",
    "read.id_field": "JSONL field / Parquet column holding the document id (else path:line)",
    "read.lang_field": "JSONL field / Parquet column holding a source-language hint",
    "read.max_document_bytes": "larger documents are refused with an error row",
    "language.source_lang": "skip detection: every paragraph is in this language",
    "language.min_letters": "paragraphs with fewer letters take the document's language",
    "language.min_confidence": "less certain paragraphs take the document's language",
    "model.path": "CTranslate2 model directory (model.bin, SentencePiece files)",
    "model.device": "cpu, cuda or auto; cuda needs a GPU CTranslate2 can see",
    "model.compute_type": "default (int8 on CPU, int8_float16 on GPU) or any type the "
    "device supports",
    "model.beam_size": "beam search width",
    "model.max_input_tokens": "longer paragraphs are split into sentences, never truncated",
    "model.max_decoding_length": "hard cap on output tokens per segment",
    "model.decoding_length_ratio": "output limit = ratio × source tokens + slack ...",
    "model.decoding_length_slack": "... capped at max_decoding_length; hitting it flags "
    "`output_length_limit`",
    "model.min_decoding_ratio": "force outputs to at least ratio × source tokens (benchmarks "
    "only: every system then does the same work)",
    "translate.max_pending_tokens": "source tokens a worker holds in buckets; over it, the "
    "bucket holding the oldest segment is translated (bounds memory and document latency)",
    "translate.dedup": "translate identical (route, text) segments once and fan out",
    "translate.dedup_entries": "translations each worker remembers for dedup (most recently "
    "used; memory stays flat)",
    "model.inter_threads": "model replicas per worker, each translating its own batch; 0 = one "
    "per core on CPU (one on GPU)",
    "model.intra_threads": "threads per replica; 0 = the cores of this machine, shared by the "
    "local workers, divided by inter_threads",
    "model.max_batch_size": "segments CTranslate2 decodes at once (a bucket is split into "
    "batches of it, and queued once it holds one); 0 = 128 on CPU, the whole bucket on GPU",
    "model.source_spm": "SentencePiece model of the source side, in the model directory",
    "model.target_spm": "SentencePiece model of the target side, in the model directory",
    "model.style": "pair (OPUS-MT), nllb or m2m (language tokens around the text)",
    "model.language_tokens": "ISO 639-1 code → model language token, adding or overriding",
    "routes[].source": "source language (ISO 639-1) or `*`",
    "routes[].target": "target language; must be in `target_lang`",
    "routes[].model": "`default` (the `model` section) or a name under `models`",
    "translate.batch_token_budget": "source tokens per translation batch (equal-length batches)",
}
METRICS = {
    "documents_read": "documents read (one per text file, JSONL line or Parquet row)",
    "read_errors": "inputs that could not be read (rows in errors/)",
    "documents_refused": "documents empty, whitespace-only or over split.max_paragraphs "
    "(rows in errors/)",
    "documents_incomplete": "documents whose segments did not all arrive (rows in errors/)",
    "accounting_violations": "documents lost or written twice: the run fails",
    "glossary_terms": "glossary terms replaced by placeholders",
    "paragraphs_code_block": "paragraphs that are code blocks, passed through",
    "spans_protected": "spans replaced by placeholders",
    "segments_placeholder_damaged": "translations that dropped or repeated a placeholder",
    "segments_degenerate": "translations the guard flagged",
    "segments_retried": "segments retried with safer decoding",
    "segments_degenerate_after_retry": "segments still degenerate after the retry",
    "segments_deduplicated": "segments not translated because an identical one was",
    "dedup_source_tokens_saved": "source tokens dedup saved from translation",
    "documents_reused": "incremental runs: documents taken from the previous run",
    "documents_new_or_changed": "incremental runs: documents translated again",
    "paragraphs": "paragraphs split from read documents",
    "language_document_fallbacks": "paragraphs that took the document's language",
    "paragraphs_sentence_split": "paragraphs over max_input_tokens, split into sentences",
    "segments_passthrough": "segments already in the target language, or with no letters",
    "segments_untranslated": "segments with no route (reason in the `error` column)",
    "segments_translated": "segments the model translated",
    "segments_failed": "segments the model raised on (rows in errors/)",
    "target_tokens": "tokens the model produced",
    "batches": "translate_batch calls",
    "batch_size": "(distribution) segments per translate_batch call",
    "documents_written": "rows written to documents/ (one per document and target)",
}
ROUTE_METRIC = "segments_by_route:SOURCE:TARGET:STATUS"
COLUMNS = {
    "doc_id": "document id: path relative to the pattern, `:line`/`:row`, or `id_field`",
    "segment_index": "position of the segment in its document (0-based)",
    "paragraph_index": "paragraph of the document (0-based)",
    "sentence_index": "sentence of an over-long paragraph (0 otherwise)",
    "source_path": "the input file",
    "source_text": "the text as read",
    "translated_text": "the translation (passthrough: the source; failed/untranslated: null)",
    "prefix": "text before the segment (kept as is)",
    "separator": "text after the segment up to the next one (kept as is)",
    "source_lang": "detected (or given) source language, ISO 639-1",
    "lang_score": "language detection confidence",
    "target_lang": "language translated into",
    "status": "translated, passthrough, untranslated, failed (documents: partial too)",
    "model_id": "manifest model_id of the model that translated it",
    "score": "hypothesis log-probability per token (0 is best)",
    "source_tokens": "model input tokens",
    "target_tokens": "model output tokens",
    "flags": "lang_from_document, no_letters, sentence_split, forced_split, output_length_limit",
    "error": "why a segment failed or was not translated",
    "encoding": "detected encoding of the file",
    "n_segments": "segments of the document",
    "n_translated": "... translated",
    "n_passthrough": "... passed through",
    "n_untranslated": "... not translated (no route)",
    "n_failed": "... failed",
    "stage": "read, split, segment, translate, rebuild or accounting",
    "content_sha256": "sha256 of the document's text (incremental runs)",
    "settings_sha256": "fingerprint of the translation settings and model files",
    "error_type": "short class of the error (DocumentTooLarge, TranslationFailed, ...)",
    "message": "what happened",
}
_METRIC_CALL = re.compile(r"Metrics\.(?:counter|distribution)\(\s*[\w.\"]+,\s*\"(\w+)\"")
# A metric whose name other code reads is a module constant: `NAME_METRIC = "name"`.
_METRIC_CONSTANT = re.compile(r"^\w+_METRIC = \"(\w+)\"", re.MULTILINE)


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
        raise MissingDescription(f"{what} {key!r} has no description in tools/config_docs.py")
    return table[key]


def _key_rows(cls: type, prefix: str) -> list[str]:
    hints = typing.get_type_hints(cls)
    lookup = prefix.replace("models.NAME.", "model.")
    return [
        f"| `{prefix}{f.name}` | {describe_type(hints[f.name])} | {_describe_default(f)} | "
        f"{_meaning(KEYS, lookup + f.name, 'config key')} |"
        for f in dataclasses.fields(cls)
    ]


def config_keys() -> set[str]:
    """Every dotted key the config accepts (`models.NAME.x` as `model.x`)."""
    keys = {f.name for f in dataclasses.fields(PipelineConfig)}
    for section, cls in SECTIONS.items():
        keys.update(f"{section}.{f.name}" for f in dataclasses.fields(cls))
    return keys


def keys_block() -> str:
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    lines += _key_rows(PipelineConfig, "")
    for section, cls in SECTIONS.items():
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


def emitted_metrics() -> list[str]:
    """Metric names the transforms declare (`Metrics.counter(namespace, "name")`, or a
    `NAME_METRIC = "name"` constant)."""
    names = set()
    for path in sorted((ROOT / "transforms").glob("*.py")):
        text = path.read_text()
        names.update(_METRIC_CALL.findall(text), _METRIC_CONSTANT.findall(text))
    return sorted(names)


def metrics_block() -> str:
    lines = ["| metric (namespace `corpus`) | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {_meaning(METRICS, name, 'metric')} |" for name in emitted_metrics()]
    lines.append(f"| `{ROUTE_METRIC}` | final segments by language pair and status |")
    return "\n".join(lines)


def columns_block() -> str:
    lines = []
    for table, schema in OUTPUT_TABLES.items():
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
