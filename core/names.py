"""Every name the outputs and the run's bookkeeping use: tables, columns, files, run.json
keys, stage tags and metrics. Code elsewhere refers to these members, never to the strings,
so renaming one is one edit here (tests/test_layout.py checks that no other module spells
them).

Members are `StrEnum`s: they compare, hash and format as their string value, so they work
as dict keys, Parquet column names and in f-strings of SQL alike.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

from apache_beam.io.filesystems import FileSystems


class ExitCode(IntEnum):
    """The CLI's exit status: what a scheduler (cron, Airflow) may conclude from it."""

    OK = 0  # the run completed and its output is in place
    CRASHED = 1  # an unexpected error: the run did not complete, the output is unchanged
    CONFIG = 2  # the run did not start: a flag, config key, model or path to fix
    ACCOUNTING = 3  # documents lost or written twice: the output is not committed
    NO_INPUT = 4  # an --input pattern matched no file
    TOO_MANY_FAILURES = 5  # committed, but failed documents are over the allowed fraction
    LOW_CONFIDENCE = 6  # committed, but low-confidence text is over the allowed fraction


class Table(StrEnum):
    """The output tables, one directory of Parquet shards each."""

    SEGMENTS = "segments"
    DOCUMENTS = "documents"
    ERRORS = "errors"


class Column(StrEnum):
    """Columns of the output tables (core.schemas gives each table its own)."""

    DOC_ID = "doc_id"
    SEGMENT_INDEX = "segment_index"
    PARAGRAPH_INDEX = "paragraph_index"
    SENTENCE_INDEX = "sentence_index"
    SOURCE_PATH = "source_path"
    SOURCE_TEXT = "source_text"
    TRANSLATED_TEXT = "translated_text"
    PREFIX = "prefix"
    SEPARATOR = "separator"
    ENCODING = "encoding"
    SOURCE_LANG = "source_lang"
    LANG_SCORE = "lang_score"
    TARGET_LANG = "target_lang"
    STATUS = "status"
    MODEL_ID = "model_id"
    SCORE = "score"
    SOURCE_TOKENS = "source_tokens"
    TARGET_TOKENS = "target_tokens"
    FLAGS = "flags"
    ERROR = "error"
    N_SEGMENTS = "n_segments"
    N_TRANSLATED = "n_translated"
    N_PASSTHROUGH = "n_passthrough"
    N_UNTRANSLATED = "n_untranslated"
    N_FAILED = "n_failed"
    CONTENT_SHA256 = "content_sha256"
    SETTINGS_SHA256 = "settings_sha256"
    STAGE = "stage"
    ERROR_TYPE = "error_type"
    MESSAGE = "message"


class File(StrEnum):
    """Files a run writes beside its tables, and those a model directory holds."""

    RUN_INFO = "run.json"
    REPORT_HTML = "report.html"
    EVAL_JSON = "eval.json"
    EVAL_MARKDOWN = "eval.md"
    EVAL_WORST = "eval_worst.jsonl"
    MODEL_MANIFEST = "manifest.json"
    PARQUET_SUFFIX = ".parquet"
    # a staged run's bookkeeping for --resume (removed before the run is moved into place)
    RESUME_DIR = "_resume"
    RESUME_STATE = "state.json"
    UNIT_MARKERS = "units"
    ATTEMPT_RECORDS = "attempts"
    UNIT_PREFIX = "unit-"
    MARKER_SUFFIX = ".done.json"


# Files at the top of an output directory besides the tables.
RUN_FILES = (File.RUN_INFO, File.REPORT_HTML)


def table_glob(output: str, table: Table) -> str:
    """The pattern of a table's Parquet shards under an output directory."""
    return FileSystems.join(output, table, f"*{File.PARQUET_SUFFIX}")


class RunKey(StrEnum):
    """Keys of run.json (top level, `accounting` and `models` entries)."""

    OUTPUT = "output"
    STATE = "state"
    STARTED_AT = "started_at"
    WALL_SECONDS = "wall_seconds"
    CONFIG = "config"
    PIPELINE_OPTIONS = "pipeline_options"
    MODELS = "models"
    VERSIONS = "versions"
    COUNTS = "counts"
    SEGMENTS_BY_ROUTE = "segments_by_route"
    REUSED_TARGET_TOKENS = "reused_target_tokens"
    ACCOUNTING = "accounting"
    SUMMARY = "summary"
    DATAFLOW_JOB = "dataflow_job"
    # accounting
    DOCUMENTS_READ = "documents_read"
    DOCUMENTS_WRITTEN = "documents_written"
    DOCUMENTS_REFUSED = "documents_refused"
    DOCUMENTS_INCOMPLETE = "documents_incomplete"
    READ_ERRORS = "read_errors"
    VIOLATIONS = "violations"
    OK = "ok"
    # models
    ID = "id"
    PATH = "path"
    SHA256 = "sha256"
    # committed units and attempts (--resume)
    UNITS = "units"
    ATTEMPTS = "attempts"
    RUN_ID = "run_id"
    UNITS_REUSED = "units_reused"
    UNITS_DONE = "units_done"
    UNITS_COMMITTED = "units_committed"
    UNIT_DOCUMENTS = "unit_documents"
    STAGING = "staging"


class SummaryKey(StrEnum):
    """Keys of the run summary (run.json `summary`, `python -m reports --json`)."""

    OUTPUT = "output"
    WALL_SECONDS = "wall_seconds"
    PAIRS = "pairs"
    TOTAL = "total"
    DOCUMENTS_BY_STATUS = "documents_by_status"
    UNTRANSLATED_REASONS = "untranslated_reasons"
    ERRORS = "errors"
    FILES = "files"
    ERROR = "error"
    DOCUMENTS = "documents"
    SEGMENTS = "segments"
    DOCUMENTS_UNREAD = "documents_unread"
    TARGET_TOKENS_PER_SECOND = "target_tokens_per_second"
    GENERATED_TARGET_TOKENS = "generated_target_tokens"
    REUSED_TARGET_TOKENS = "reused_target_tokens"
    REASON = "reason"
    COUNT = "count"
    EXAMPLE_MESSAGE = "example_message"
    EXAMPLE_DOCUMENT = "example_document"
    UNITS_REUSED = "units_reused"
    UNITS_DONE = "units_done"
    LOW_CONFIDENCE = "low_confidence"
    LOW_CONFIDENCE_SHARE = "low_confidence_share"


class ManifestKey(StrEnum):
    """Keys of a model directory's manifest.json."""

    MODEL_ID = "model_id"
    FILES = "files"
    STYLE = "style"
    LANGUAGES = "languages"
    MAX_INPUT_TOKENS = "max_input_tokens"
    MAX_DECODING_LENGTH = "max_decoding_length"
    SOURCE_LANGUAGES = "source_languages"
    TARGET_LANGUAGES = "target_languages"


class EvalKey(StrEnum):
    """Keys of eval.json (`python -m reports.evaluate`)."""

    RUN = "run"
    REFERENCES = "references"
    PAIRS = "pairs"
    OVERALL = "overall"
    MISALIGNED = "misaligned"
    UNREFERENCED_DOCUMENTS = "unreferenced_documents"
    MISSING_DOCUMENTS = "missing_documents"
    PARAGRAPHS = "paragraphs"
    BLEU = "bleu"
    CHRF = "chrf"
    BLEU_SIGNATURE = "bleu_signature"
    CHRF_SIGNATURE = "chrf_signature"
    UNREFERENCED_PARAGRAPHS = "unreferenced_paragraphs"


class DevKey(StrEnum):
    """Fields of a development set's records (a references file in that format)."""

    LANG = "lang"
    SOURCE = "source"
    REFERENCE = "reference"
    PAGE = "page"
    ID = "id"


class Tag(StrEnum):
    """Names of the outputs of a stage with several (Beam tagged outputs)."""

    ERRORS = "errors"
    FILES = "files"
    DOCUMENTS = "documents"
    PARAGRAPHS = "paragraphs"
    SEGMENTS = "segments"
    INCOMPLETE = "incomplete"
    REUSED = "reused"
    READ_ERRORS = "read_errors"
    TRANSLATE = "translate"
    REFUSED = "refused"


class Stage(StrEnum):
    """The `stage` of an error row and of a failed segment."""

    READ = "read"
    SPLIT = "split"
    SEGMENT = "segment"
    TRANSLATE = "translate"
    GUARD = "guard"
    REBUILD = "rebuild"
    ACCOUNTING = "accounting"


class Metric(StrEnum):
    """The pipeline's Beam counters (namespace `core.metrics.NAMESPACE`)."""

    DOCUMENTS_READ = "documents_read"
    READ_ERRORS = "read_errors"
    DOCUMENTS_REUSED = "documents_reused"
    DOCUMENTS_NEW_OR_CHANGED = "documents_new_or_changed"
    PARAGRAPHS = "paragraphs"
    DOCUMENTS_REFUSED = "documents_refused"
    SPANS_PROTECTED = "spans_protected"
    PARAGRAPHS_CODE_BLOCK = "paragraphs_code_block"
    LANGUAGE_DOCUMENT_FALLBACKS = "language_document_fallbacks"
    SEGMENTS_PASSTHROUGH = "segments_passthrough"
    SEGMENTS_UNTRANSLATED = "segments_untranslated"
    GLOSSARY_TERMS = "glossary_terms"
    PARAGRAPHS_SENTENCE_SPLIT = "paragraphs_sentence_split"
    BATCHES = "batches"
    BATCH_SIZE = "batch_size"  # a distribution
    SEGMENTS_TRANSLATED = "segments_translated"  # final status, as in the summary
    SEGMENTS_FAILED = "segments_failed"  # final status, as in the summary
    SEGMENTS_DECODED = "segments_decoded"  # outputs of the model's first decoding
    SEGMENTS_MODEL_ERRORS = "segments_model_errors"  # the model raised on them
    TARGET_TOKENS = "target_tokens"
    # `target_tokens_reused:<source>:<target>`: tokens of translations not generated in this
    # run (the dedup memo's, a previous run's), one counter per pair
    TARGET_TOKENS_REUSED = "target_tokens_reused"
    SEGMENTS_DEDUPLICATED = "segments_deduplicated"
    DEDUP_SOURCE_TOKENS_SAVED = "dedup_source_tokens_saved"
    SEGMENTS_DEGENERATE = "segments_degenerate"
    SEGMENTS_RETRIED = "segments_retried"
    SEGMENTS_DEGENERATE_AFTER_RETRY = "segments_degenerate_after_retry"
    SEGMENTS_PLACEHOLDER_DAMAGED = "segments_placeholder_damaged"
    DOCUMENTS_WRITTEN = "documents_written"
    DOCUMENTS_INCOMPLETE = "documents_incomplete"
    ACCOUNTING_VIOLATIONS = "accounting_violations"
    SEGMENTS_LOW_CONFIDENCE = "segments_low_confidence"
    # `segments_by_route:<source>:<target>:<status>`, one counter per combination
    SEGMENTS_BY_ROUTE = "segments_by_route"
    UNITS_READ = "units_read"
    UNITS_COMMITTED = "units_committed"


class UnitKey(StrEnum):
    """Keys of a committed unit's marker and of a staged run's resume state (`_resume/`)."""

    UNIT = "unit"
    BLOCK = "block"
    INPUTS = "inputs"  # the input files of a unit
    INPUT_LISTING = "input_listing"  # sha256 of the matched files and their sizes
    LAST = "last"
    FILES = "files"
    COUNTS = "counts"
    RUN_ID = "run_id"
    STARTED_AT = "started_at"
    SETTINGS_SHA256 = "settings_sha256"
    SETTINGS = "settings"
    INPUT = "input"
    UNIT_DOCUMENTS = "unit_documents"
    UNIT_BYTES = "unit_bytes"
