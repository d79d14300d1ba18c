"""ReadDocuments: file patterns in, `SourceDocument`s out, unreadable input to errors.

Patterns are matched through Beam's FileSystems, so gs://, s3:// and hdfs://
work like local paths, and compression (.gz, .bz2, .zst, ...) follows the
extension. `.txt`/`.md` files are one document each, `.jsonl` files one per
line, `.parquet` files one per row.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from transforms.decode import DecodeError, decode_bytes
from transforms.records import ERRORS_TAG, ErrorRecord, SourceDocument, exception_name

STAGE = "read"
TEXT_SUFFIXES = (".txt", ".md")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class ReadSettings:
    text_field: str = "text"
    id_field: str | None = None
    lang_field: str | None = None
    max_document_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True)
class MatchedFile:
    path: str
    relative_path: str
    size_in_bytes: int


def pattern_base(pattern: str) -> str:
    """The directory part of a pattern before its first wildcard: doc ids are relative to it."""
    match = _GLOB_CHARS.search(pattern)
    head = pattern if match is None else pattern[: match.start()]
    return head.rsplit("/", 1)[0] + "/" if "/" in head else ""


def document_format(path: str) -> str | None:
    """'text', 'jsonl' or 'parquet' from the extension under any compression suffix."""
    name = path.lower()
    compression = CompressionTypes.detect_compression_type(name)
    if compression != CompressionTypes.UNCOMPRESSED:
        name = posixpath.splitext(name)[0]
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    if name.endswith(".jsonl"):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    return None


class MatchPatterns(beam.DoFn):
    def process(self, pattern: str) -> Iterator[MatchedFile | beam.pvalue.TaggedOutput]:
        base = pattern_base(pattern)
        try:
            metadata = FileSystems.match([pattern])[0].metadata_list
        except Exception as exc:  # noqa: BLE001 - any filesystem error becomes an error row
            yield _error(pattern, None, exception_name(exc), str(exc))
            return
        if not metadata:
            yield _error(pattern, None, "NoMatch", f"pattern matched no files: {pattern}")
        for item in sorted(metadata, key=lambda m: m.path):
            relative = item.path[len(base) :] if item.path.startswith(base) else item.path
            yield MatchedFile(item.path, relative.lstrip("/"), item.size_in_bytes)


class ReadFile(beam.DoFn):
    """Reads one matched file into documents; every failure becomes an error record."""

    def __init__(self, settings: ReadSettings) -> None:
        self.settings = settings
        self.documents_read = Metrics.counter("corpus", "documents_read")
        self.read_errors = Metrics.counter("corpus", "read_errors")

    def process(self, matched: MatchedFile) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        fmt = document_format(matched.path)
        readers = {
            "text": self._read_text,
            "jsonl": self._read_jsonl,
            "parquet": self._read_parquet,
        }
        if fmt is None:
            results = iter(
                [
                    _error(
                        matched.path,
                        matched.relative_path,
                        "UnsupportedFormat",
                        "extension is not .txt, .md, .jsonl or .parquet",
                    )
                ]
            )
        else:
            results = readers[fmt](matched)
        try:
            for result in results:
                is_document = isinstance(result, SourceDocument)
                (self.documents_read if is_document else self.read_errors).inc()
                yield result
        except Exception as exc:  # noqa: BLE001 - corrupt archives, I/O errors mid-file
            self.read_errors.inc()
            yield _error(matched.path, matched.relative_path, exception_name(exc), str(exc))

    def _read_text(
        self, matched: MatchedFile
    ) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        cap = self.settings.max_document_bytes
        doc_id = matched.relative_path
        compressed = CompressionTypes.detect_compression_type(matched.path) != "uncompressed"
        if not compressed and matched.size_in_bytes > cap:
            yield _oversize(matched.path, doc_id, matched.size_in_bytes, cap)
            return
        with FileSystems.open(matched.path) as handle:
            data = handle.read(cap + 1)
        if len(data) > cap:
            yield _oversize(matched.path, doc_id, len(data), cap)
            return
        try:
            text, encoding = decode_bytes(data)
        except DecodeError as exc:
            yield _error(matched.path, doc_id, exc.error_type, str(exc))
            return
        yield SourceDocument(doc_id, matched.path, text, encoding)

    def _read_jsonl(
        self, matched: MatchedFile
    ) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        settings = self.settings
        seen_ids: set[str] = set()
        with FileSystems.open(matched.path) as handle:
            for line_number, raw in enumerate(iter(handle.readline, b""), start=1):
                doc_id = f"{matched.relative_path}:{line_number}"
                if not raw.strip():
                    continue
                if len(raw) > settings.max_document_bytes:
                    yield _oversize(matched.path, doc_id, len(raw), settings.max_document_bytes)
                    continue
                try:
                    obj = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    yield _error(matched.path, doc_id, "MalformedJSON", str(exc))
                    continue
                yield from self._record(obj, matched.path, doc_id, seen_ids)

    def _read_parquet(
        self, matched: MatchedFile
    ) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        settings = self.settings
        with FileSystems.open(matched.path) as handle:
            parquet = pq.ParquetFile(handle)
            names = set(parquet.schema_arrow.names)
            if settings.text_field not in names:
                message = f"text column {settings.text_field!r} not in {sorted(names)}"
                yield _error(matched.path, matched.relative_path, "MissingColumn", message)
                return
            optional = (settings.id_field, settings.lang_field)
            columns = sorted({settings.text_field, *(c for c in optional if c in names)})
            row_number, seen_ids = 0, set()
            for batch in parquet.iter_batches(columns=columns):
                for obj in batch.to_pylist():
                    doc_id = f"{matched.relative_path}:{row_number}"
                    row_number += 1
                    yield from self._record(obj, matched.path, doc_id, seen_ids)

    def _record(
        self, obj: object, path: str, doc_id: str, seen_ids: set[str]
    ) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        """A JSONL object or Parquet row as a document, or the reason it is not one."""
        settings = self.settings
        if not isinstance(obj, dict):
            yield _error(path, doc_id, "MalformedRecord", "record is not an object")
            return
        text = obj.get(settings.text_field)
        if not isinstance(text, str):
            message = f"field {settings.text_field!r} is missing or not a string"
            yield _error(path, doc_id, "MissingText", message)
            return
        if len(text.encode("utf-8", "surrogatepass")) > settings.max_document_bytes:
            yield _oversize(path, doc_id, len(text), settings.max_document_bytes)
            return
        given_id = obj.get(settings.id_field) if settings.id_field else None
        if given_id is not None:
            given_id = str(given_id)
            if given_id in seen_ids:
                message = f"id {given_id!r} repeats an earlier record of this file"
                yield _error(path, doc_id, "DuplicateId", message)
                return
            seen_ids.add(given_id)
            doc_id = given_id
        hint = obj.get(settings.lang_field) if settings.lang_field else None
        if not all(_is_unicode(value) for value in (text, doc_id, hint) if isinstance(value, str)):
            message = "text, id or language contains lone surrogates: not valid Unicode"
            yield _error(
                path, doc_id.encode("utf-8", "backslashreplace").decode(), "InvalidUnicode", message
            )
            return
        yield SourceDocument(doc_id, path, text, "utf-8", hint if isinstance(hint, str) else None)


def _is_unicode(text: str) -> bool:
    """False for strings with lone surrogates (JSON allows "\\ud800"; UTF-8 does not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _oversize(path: str, doc_id: str, size: int, cap: int) -> beam.pvalue.TaggedOutput:
    return _error(
        path,
        doc_id,
        "DocumentTooLarge",
        f"document is over the {cap}-byte cap (at least {size} bytes); raise "
        "max_document_bytes to read it",
    )


def _error(
    path: str, doc_id: str | None, error_type: str, message: str
) -> beam.pvalue.TaggedOutput:
    return beam.pvalue.TaggedOutput(
        ERRORS_TAG, ErrorRecord(path, doc_id, STAGE, error_type, message)
    )


class ReadDocuments(beam.PTransform):
    """Patterns → documents (main output) and error records (`errors` output)."""

    def __init__(self, patterns: list[str], settings: ReadSettings) -> None:
        super().__init__()
        self.patterns = list(patterns)
        self.settings = settings

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.pvalue.DoOutputsTuple:
        matched = (
            pbegin
            | "Patterns" >> beam.Create(self.patterns)
            | "Match" >> beam.ParDo(MatchPatterns()).with_outputs(ERRORS_TAG, main="files")
        )
        read = (
            matched.files
            | "Spread" >> beam.Reshuffle()
            | "Read"
            >> beam.ParDo(ReadFile(self.settings)).with_outputs(ERRORS_TAG, main="documents")
        )
        errors = (matched[ERRORS_TAG], read[ERRORS_TAG]) | "MergeErrors" >> beam.Flatten()
        return read.documents, errors
