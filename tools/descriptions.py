"""The one-line meanings of config keys, metrics and output columns, for docs/ (written by
`python -m tools.config_docs`)."""

from __future__ import annotations

from core.names import Column, Metric, Stage

KEYS = {
    "input": "file patterns (list); local, gs://, s3://, hdfs:// through Beam FileSystems",
    "output": "output directory: segments/, documents/, errors/, run.json, report.html",
    "target_lang": "languages to translate into (ISO 639-1); one output row per target",
    "allow_empty_input": "an `input` pattern that matches no file is an errors/ row, not "
    "exit 4 (scheduled jobs whose input may be empty)",
    "max_failed_fraction": "over this fraction of failed documents the run exits 5 "
    "(docs/exit-codes.md); 1 never, 0 on the first",
    "write_documents": "also write each translated document as a file under this directory "
    "(README: Getting documents back)",
    "read.encoding": "decode every text file with this codec (cp1252, koi8-r, ...): no "
    "detection, undecodable files are errors",
    "overwrite": "replace a run already in `output` (otherwise the run is refused)",
    "incremental": "reuse the run in `output` for documents unchanged since (same text, "
    "settings and models); translate only new or changed ones",
    "split": "safety caps on paragraphs (section below)",
    "protect": "protected spans and glossary (section below)",
    "protect.kinds": "spans replaced by {N} placeholders: code, url, email, number, markup, "
    "identifier",
    "protect.glossary": "tab-separated glossary file: source, target, term, translation",
    "guard": "degenerate-output guard and its retry (section below)",
    "segment": "the unit the model translates (section below)",
    "max_low_confidence_fraction": "exit with status 6 (the output committed) when text "
    "flagged low_confidence is over this share of the translated text; null: no gate",
    "segment.unit": "`sentence` (default: measured best with a real model, docs/quality.md) "
    "or `paragraph` (cut into sentences only over max_input_tokens)",
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
    "guard.low_confidence_score": "translations scoring under this (mean log-probability per "
    "token) are flagged low_confidence; null: never",
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
    "model.backend": "what loads and runs the model: ctranslate2 (one model per worker "
    "process), or ctranslate2_shared (one model per machine shared by its worker processes: "
    "one GPU fed by many; backends/)",
    "model.path": "CTranslate2 model directory (model.bin, SentencePiece files)",
    "model.device": "cpu, cuda or auto; cuda needs a GPU CTranslate2 can see",
    "model.device_index": "GPUs a process uses, one model copy on each, batches spread over "
    "them; empty: every GPU it sees",
    "model.compute_type": "default (int8 on CPU, float16 on GPU) or any type the device supports",
    "model.beam_size": "beam search width",
    "model.max_input_tokens": "longer units are cut (at words), never truncated; unset: a local "
    "model's manifest limit, at most 512",
    "model.max_decoding_length": "hard cap on output tokens per segment; unset: a local model's "
    "manifest limit, at most 1024",
    "model.source_languages": "languages the model translates from (ISO 639-1 or its language "
    "tokens); others are left `untranslated`; unset: a local model's manifest's, [] any",
    "model.target_languages": "languages it translates into; unset: its manifest's, [] any",
    "model.decoding_length_ratio": "output limit = ratio × source tokens + slack ...",
    "model.decoding_length_slack": "... capped at max_decoding_length; hitting it flags "
    "`output_length_limit`",
    "model.min_decoding_ratio": "force outputs to at least ratio × source tokens (benchmarks "
    "only: every system then does the same work)",
    "translate.max_pending_tokens": "source tokens a worker holds in buckets; over it, the "
    "bucket holding the oldest segment is translated (bounds memory and document latency); "
    "0: 16 batches of the token budget",
    "translate.dedup": "translate identical (route, text) segments once and fan out",
    "translate.dedup_entries": "translations each worker remembers for dedup (most recently "
    "used; memory stays flat)",
    "model.inter_threads": "model replicas per worker, each translating its own batch; 0 = one "
    "per core on CPU (one on GPU)",
    "model.intra_threads": "threads per replica; 0 = the cores of this machine, shared by the "
    "local workers, divided by inter_threads",
    "model.max_batch_size": "segments CTranslate2 decodes at once (a bucket is split into "
    "batches of it, and queued once it holds one); 0 = 128 on CPU, the whole bucket on GPU",
    "model.shared_feed": "ctranslate2_shared only: stream (workers send small batches as "
    "they tokenize; the server sends the GPU a length once it holds the GPU budget, or the "
    "fullest when the GPU idles) or bucket (workers hold GPU-sized buckets; the server "
    "merges what waits)",
    "model.shared_max_wait": "ctranslate2_shared only: seconds a worker's batch waits at the "
    "server before it goes next, whatever the size of its length group",
    "model.source_spm": "SentencePiece model of the source side, in the model directory",
    "model.target_spm": "SentencePiece model of the target side, in the model directory",
    "model.style": "pair (OPUS-MT), nllb or m2m (language tokens around the text)",
    "model.language_tokens": "ISO 639-1 code → model language token, adding or overriding",
    "routes[].source": "source language (ISO 639-1) or `*`",
    "routes[].target": "target language; must be in `target_lang`",
    "routes[].model": "`default` (the `model` section) or a name under `models`",
    "translate.batch_token_budget": "source tokens per translation batch (equal-length "
    "batches); 0: by the model's device, 8192 on CPU, 65536 on GPU (with ctranslate2_shared "
    "and shared_feed stream, 1024: the batches a worker sends; the server builds the GPU's)",
    "resume": "continue the killed run of `output` (a run with the same settings and input "
    "does so anyway); refused, with the reason, when its settings or input differ",
    "commit": "committed units, the granularity of resume (section below)",
    "commit.unit_documents": "documents per committed unit (a block of one JSONL/Parquet file, "
    "or that many text files): the most work a killed run loses per worker",
    "commit.unit_bytes": "input bytes per unit at most (text file sizes, or the UTF-8 text of "
    "JSONL/Parquet documents): a unit's rows are held in memory until it is committed",
}
METRICS = {
    Metric.DOCUMENTS_READ: "documents read (one per text file, JSONL line or Parquet row)",
    Metric.READ_ERRORS: "inputs that could not be read (rows in errors/)",
    Metric.DOCUMENTS_REFUSED: "documents empty, whitespace-only or over split.max_paragraphs "
    "(rows in errors/)",
    Metric.DOCUMENTS_INCOMPLETE: "documents whose segments did not all arrive (rows in errors/)",
    Metric.ACCOUNTING_VIOLATIONS: "documents lost or written twice: the run fails",
    Metric.GLOSSARY_TERMS: "glossary terms replaced by placeholders",
    Metric.PARAGRAPHS_CODE_BLOCK: "paragraphs that are code blocks, passed through",
    Metric.SPANS_PROTECTED: "spans replaced by placeholders",
    Metric.SEGMENTS_PLACEHOLDER_DAMAGED: "translations that dropped or repeated a placeholder",
    Metric.SEGMENTS_DEGENERATE: "translations the guard flagged",
    Metric.SEGMENTS_RETRIED: "segments retried with safer decoding",
    Metric.SEGMENTS_DEGENERATE_AFTER_RETRY: "segments still degenerate after the retry",
    Metric.SEGMENTS_LOW_CONFIDENCE: "translations flagged low_confidence (score under "
    "guard.low_confidence_score)",
    Metric.SEGMENTS_DEDUPLICATED: "segments not translated because an identical one was",
    Metric.DEDUP_SOURCE_TOKENS_SAVED: "source tokens dedup saved from translation",
    Metric.DOCUMENTS_REUSED: "incremental runs: documents taken from the previous run",
    Metric.DOCUMENTS_NEW_OR_CHANGED: "incremental runs: documents translated again",
    Metric.PARAGRAPHS: "paragraphs split from read documents",
    Metric.LANGUAGE_DOCUMENT_FALLBACKS: "paragraphs that took the document's language",
    Metric.PARAGRAPHS_SENTENCE_SPLIT: "paragraphs translated as several pieces (sentences)",
    Metric.SEGMENTS_PASSTHROUGH: "segments already in the target language, or with no letters",
    Metric.SEGMENTS_UNTRANSLATED: "segments with no route (reason in the `error` column)",
    Metric.SEGMENTS_TRANSLATED: "segments written with status translated (as in the summary)",
    Metric.SEGMENTS_FAILED: "segments written with status failed (rows in errors/)",
    Metric.SEGMENTS_DECODED: "segments the model decoded (dedup copies and guard retries "
    "not counted)",
    Metric.SEGMENTS_MODEL_ERRORS: "segments the model raised on",
    Metric.TARGET_TOKENS_REUSED: "per pair (`target_tokens_reused:<source>:<target>`): "
    "target tokens taken from the dedup memo or a previous run, not generated; run.json "
    "`reused_target_tokens`",
    Metric.TARGET_TOKENS: "target tokens of the model's first decodings in this run",
    Metric.BATCHES: "batches the model translated",
    Metric.BATCH_SIZE: "(distribution) segments per batch",
    Metric.UNITS_READ: "units of work read in this attempt (a block of commit.unit_documents "
    "documents of one file)",
    Metric.UNITS_COMMITTED: "units whose rows were written and marked done in this attempt",
    Metric.DOCUMENTS_WRITTEN: "rows written to documents/ (one per document and target)",
    Metric.SEGMENTS_BY_ROUTE: "`segments_by_route:SOURCE:TARGET:STATUS`: final segments by "
    "language pair and status",
}
COLUMNS = {
    Column.DOC_ID: "document id: path relative to the pattern, `:line`/`:row`, or `id_field`",
    Column.SEGMENT_INDEX: "position of the segment in its document (0-based)",
    Column.PARAGRAPH_INDEX: "paragraph of the document (0-based)",
    Column.SENTENCE_INDEX: "sentence of an over-long paragraph (0 otherwise)",
    Column.SOURCE_PATH: "the input file",
    Column.SOURCE_TEXT: "the text as read",
    Column.TRANSLATED_TEXT: "the translation (passthrough: the source; failed/untranslated: null)",
    Column.PREFIX: "text before the segment (kept as is)",
    Column.SEPARATOR: "text after the segment up to the next one (kept as is)",
    Column.SOURCE_LANG: "detected (or given) source language, ISO 639-1",
    Column.LANG_SCORE: "language detection confidence",
    Column.TARGET_LANG: "language translated into",
    Column.STATUS: "translated, passthrough, untranslated, failed (documents: partial too)",
    Column.MODEL_ID: "manifest model_id of the model that translated it",
    Column.SCORE: "hypothesis log-probability per token (0 is best)",
    Column.SOURCE_TOKENS: "model input tokens",
    Column.TARGET_TOKENS: "model output tokens",
    Column.FLAGS: "warnings: on a segment lang_from_document, lang_script_bound, no_letters, "
    "no_words, sentence_split, forced_split, output_length_limit, code_block, glossary, "
    "repetition, retried, low_confidence, ...; on a document invalid_utf8_bytes:N (bad bytes "
    "replaced by U+FFFD), encoding_guessed, encoding_uncertain",
    Column.ERROR: "why a segment failed or was not translated",
    Column.ENCODING: "encoding the file was decoded with (detected, or read.encoding)",
    Column.N_SEGMENTS: "segments of the document",
    Column.N_TRANSLATED: "... translated",
    Column.N_PASSTHROUGH: "... passed through",
    Column.N_UNTRANSLATED: "... not translated (no route)",
    Column.N_FAILED: "... failed",
    Column.STAGE: "the stage that failed: " + ", ".join(Stage),
    Column.CONTENT_SHA256: "sha256 of the document's text (incremental runs)",
    Column.SETTINGS_SHA256: "fingerprint of the translation settings and model files",
    Column.ERROR_TYPE: "short class of the error (DocumentTooLarge, MalformedJSON, "
    "DegenerateOutput, IncompleteDocument, or the class of the exception raised)",
    Column.MESSAGE: "what happened",
}
