"""ReadDocuments: file patterns in, `SourceDocument`s out, unreadable input to errors.

Patterns are matched through Beam's FileSystems; each file is read by the reader of its
format (`readers`), and every failure becomes an error record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from core.metrics import counter
from core.names import Metric, Tag
from core.records import ErrorRecord, SourceDocument, exception_name
from readers import MatchedFile, ReadSettings, read_error, reader_class, supported_suffixes

_GLOB_CHARS = re.compile(r"[*?\[]")


def pattern_base(pattern: str) -> str:
    """The directory part of a pattern before its first wildcard: doc ids are relative to it."""
    match = _GLOB_CHARS.search(pattern)
    head = pattern if match is None else pattern[: match.start()]
    return head.rsplit("/", 1)[0] + "/" if "/" in head else ""


def _tagged(error: ErrorRecord) -> beam.pvalue.TaggedOutput:
    return beam.pvalue.TaggedOutput(Tag.ERRORS, error)


class MatchPatterns(beam.DoFn):
    def process(self, pattern: str) -> Iterator[MatchedFile | beam.pvalue.TaggedOutput]:
        base = pattern_base(pattern)
        try:
            metadata = FileSystems.match([pattern])[0].metadata_list
        except Exception as exc:  # noqa: BLE001 - any filesystem error becomes an error row
            yield _tagged(read_error(pattern, None, exception_name(exc), str(exc)))
            return
        if not metadata:
            message = f"pattern matched no files: {pattern}"
            yield _tagged(read_error(pattern, None, "NoMatch", message))
        for item in sorted(metadata, key=lambda m: m.path):
            relative = item.path[len(base) :] if item.path.startswith(base) else item.path
            yield MatchedFile(item.path, relative.lstrip("/"), item.size_in_bytes)


class ReadFile(beam.DoFn):
    """Reads one matched file into documents with the reader of its format."""

    def __init__(self, settings: ReadSettings) -> None:
        self.settings = settings
        self.documents_read = counter(Metric.DOCUMENTS_READ)
        self.read_errors = counter(Metric.READ_ERRORS)

    def process(self, matched: MatchedFile) -> Iterator[SourceDocument | beam.pvalue.TaggedOutput]:
        for result in self.results(matched):
            yield self.output(result)

    def output(
        self, result: SourceDocument | ErrorRecord
    ) -> SourceDocument | beam.pvalue.TaggedOutput:
        """A document (main output) or a read error (`errors`), counted."""
        if isinstance(result, SourceDocument):
            self.documents_read.inc()
            return result
        self.read_errors.inc()
        return _tagged(result)

    def results(self, matched: MatchedFile) -> Iterator[SourceDocument | ErrorRecord]:
        """The file's documents and read errors, in file order."""
        reader = reader_class(matched.path)
        if reader is None:
            *others, last = supported_suffixes()
            message = f"extension is not {', '.join(others)} or {last}"
            yield read_error(matched.path, matched.relative_path, "UnsupportedFormat", message)
            return
        try:
            yield from reader(self.settings).read_file(matched)
        except Exception as exc:  # noqa: BLE001 - corrupt archives, I/O errors mid-file
            yield read_error(matched.path, matched.relative_path, exception_name(exc), str(exc))


class ReadDocuments(beam.PTransform):
    """Patterns → documents (main output) and error records (`errors` output)."""

    def __init__(
        self,
        patterns: list[str],
        settings: ReadSettings,
        units: tuple[MatchPatterns, ReadFile] | None = None,
    ) -> None:
        super().__init__()
        self.patterns = list(patterns)
        self.settings = settings
        # `transforms.commit_units`: matched and read by units of work, committed as read
        self.match, self.read_file = units or (MatchPatterns(), ReadFile(settings))

    def expand(self, pbegin: beam.pvalue.PBegin) -> tuple[beam.PCollection, beam.PCollection]:
        matched = (
            pbegin
            | "Patterns" >> beam.Create(self.patterns)
            | "Match" >> beam.ParDo(self.match).with_outputs(Tag.ERRORS, main=Tag.FILES)
        )
        read = (
            matched[Tag.FILES]
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.ParDo(self.read_file).with_outputs(Tag.ERRORS, main=Tag.DOCUMENTS)
        )
        errors = (matched[Tag.ERRORS], read[Tag.ERRORS]) | "MergeErrors" >> beam.Flatten()
        return read[Tag.DOCUMENTS], errors
