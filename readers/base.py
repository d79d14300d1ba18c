"""The reader contract: one input format, one `Reader` subclass with one `read_file`.

A reader turns one matched file into `SourceDocument`s, and whatever it cannot read into
`ErrorRecord`s in their place; it never raises for bad input (an exception midway, a corrupt
archive say, becomes one error row for the file in `transforms.read`). Files are opened
through Beam's FileSystems, so gs://, s3:// and hdfs:// work like local paths, and
compression (.gz, .bz2, .zst, ...) follows the extension.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from core.names import Stage
from core.records import ErrorRecord, SourceDocument

Output = SourceDocument | ErrorRecord


@dataclass(frozen=True)
class ReadSettings:
    text_field: str = "text"
    id_field: str | None = None
    lang_field: str | None = None
    max_document_bytes: int = 10 * 1024 * 1024
    encoding: str | None = None  # forces the encoding of text files (no detection)


@dataclass(frozen=True)
class MatchedFile:
    path: str
    relative_path: str  # to the pattern's directory: a document id, or its prefix
    size_in_bytes: int


class Reader(ABC):
    """Reads the files whose name (under any compression suffix) ends in `suffixes`."""

    suffixes: ClassVar[tuple[str, ...]]

    def __init__(self, settings: ReadSettings) -> None:
        self.settings = settings

    @abstractmethod
    def read_file(self, matched: MatchedFile) -> Iterator[Output]:
        """The file's documents, and an error record for each one it cannot read."""

    def count_documents(self, path: str) -> int:
        """How many documents or per-document errors `read_file` will give (for the time
        left of a run; a file-level error counts as one)."""
        return 1


def read_error(path: str, doc_id: str | None, error_type: str, message: str) -> ErrorRecord:
    return ErrorRecord(path, doc_id, Stage.READ, error_type, message)


def oversize(path: str, doc_id: str, size: int, cap: int) -> ErrorRecord:
    return read_error(
        path,
        doc_id,
        "DocumentTooLarge",
        f"document is over the {cap}-byte cap (at least {size} bytes); raise "
        "max_document_bytes to read it",
    )
