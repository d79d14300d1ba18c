"""The records that flow between stages.

`Segment` is the one record type that travels from paragraph splitting to the
writers; `SourceDocument` is what a reader hands to the splitter and `ErrorRecord`
is what any stage sends to the dead-letter output. Their field names are the
Parquet column names (`core.names.Column`, `core.schemas`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.windowed_value import WindowedValue


def exception_name(exc: BaseException) -> str:
    """The `error_type` of an exception: its class name, with the module where the name
    alone says nothing (`zlib.error`)."""
    name = type(exc).__name__
    return name if name[:1].isupper() else f"{type(exc).__module__}.{name}"


class SegmentStatus(StrEnum):
    TRANSLATED = "translated"
    PASSTHROUGH = "passthrough"
    UNTRANSLATED = "untranslated"
    FAILED = "failed"


class DocumentStatus(StrEnum):
    TRANSLATED = "translated"
    PASSTHROUGH = "passthrough"
    PARTIAL = "partial"
    FAILED = "failed"


@dataclass(frozen=True)
class SourceDocument:
    doc_id: str
    source_path: str
    text: str
    encoding: str
    source_lang_hint: str | None = None
    flags: tuple[str, ...] = ()  # warnings about the document as read (readers.decode)


@dataclass(frozen=True, slots=True)
class Segment:
    """One translatable unit: a sentence (or a paragraph, with `segment.unit: paragraph`).

    `prefix` + `source_text` + `separator`, concatenated over a document's segments
    in (paragraph_index, sentence_index) order, is the document byte for byte.
    """

    doc_id: str
    source_path: str
    encoding: str
    paragraph_index: int
    source_text: str
    separator: str
    paragraph_count: int = 1
    prefix: str = ""
    sentence_index: int = 0
    sentence_count: int = 1  # pieces of this paragraph (transforms.segment)
    segment_index: int = -1
    source_lang: str | None = None
    lang_score: float | None = None
    source_lang_hint: str | None = None
    target_lang: str | None = None
    status: SegmentStatus | None = None
    model_name: str | None = None
    model_id: str | None = None
    translated_text: str | None = None
    score: float | None = None
    source_tokens: int | None = None
    target_tokens: int | None = None
    flags: tuple[str, ...] = ()
    error: str | None = None
    error_stage: str | None = None
    error_type: str | None = None
    document_flags: tuple[str, ...] = ()  # the document's, for its documents/ row
    # the translation was not generated in this run: the dedup memo's or a previous run's
    reused: bool = False
    pieces: tuple[str, ...] = field(default=(), repr=False)
    # (source span, text to restore) per placeholder id while `source_text` is masked
    # (transforms.protect); empty once the spans are restored.
    spans: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def replace(self, **changes: object) -> Segment:
        return dataclasses.replace(self, **changes)

    def fail(self, stage: str, error_type: str, message: str) -> Segment:
        """This segment, failed: its source text stays in the document, the reason in errors/."""
        return dataclasses.replace(
            self,
            status=SegmentStatus.FAILED,
            error=f"{error_type}: {message}",
            error_stage=stage,
            error_type=error_type,
            pieces=(),
        )

    @property
    def order(self) -> tuple[int, int]:
        return (self.paragraph_index, self.sentence_index)


@dataclass(frozen=True)
class TranslatedDocument:
    doc_id: str
    source_path: str
    encoding: str
    source_lang: str | None
    target_lang: str | None
    source_text: str
    translated_text: str
    n_segments: int
    n_translated: int
    n_passthrough: int
    n_untranslated: int
    n_failed: int
    status: DocumentStatus
    content_sha256: str
    settings_sha256: str
    flags: tuple[str, ...] = ()


def content_sha256(text: str) -> str:
    """The fingerprint of a document's text, for incremental runs."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ErrorRecord:
    source_path: str
    doc_id: str | None
    stage: str
    error_type: str
    message: str
    paragraph_index: int | None = None
    sentence_index: int | None = None
    target_lang: str | None = None  # None: the error concerns every target


@dataclass(frozen=True)
class EvaluatedParagraph:
    """A paragraph of a run with its translation, as scored against a reference."""

    doc_id: str
    target_lang: str
    paragraph_index: int
    source_lang: str
    source: str
    hypothesis: str


def in_global_window(value: object) -> WindowedValue:
    """An output of `finish_bundle`, which must carry its window (batch: the global one)."""
    return WindowedValue(value, GlobalWindow().max_timestamp(), (GlobalWindow(),))
