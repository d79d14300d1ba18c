"""Input formats, one module each behind the `Reader` contract (`readers.base`).

A new format: a `Reader` subclass in a new module, and one line in `READERS`.
"""

from __future__ import annotations

import posixpath

from apache_beam.io.filesystem import CompressionTypes

from readers.base import MatchedFile, Reader, ReadSettings, read_error
from readers.jsonl import JsonlReader
from readers.parquet import ParquetReader
from readers.text import TextReader

READERS: tuple[type[Reader], ...] = (TextReader, JsonlReader, ParquetReader)


def reader_class(path: str) -> type[Reader] | None:
    """The reader for a file, by its extension under any compression suffix."""
    name = path.lower()
    if CompressionTypes.detect_compression_type(name) != CompressionTypes.UNCOMPRESSED:
        name = posixpath.splitext(name)[0]
    return next((reader for reader in READERS if name.endswith(reader.suffixes)), None)


def supported_suffixes() -> list[str]:
    return [suffix for reader in READERS for suffix in reader.suffixes]


__all__ = [
    "READERS",
    "MatchedFile",
    "ReadSettings",
    "Reader",
    "read_error",
    "reader_class",
    "supported_suffixes",
]
