"""Compressed input (.gz, .bz2, .zst) that must be complete: a stream that ends before its
end marker raises `TruncatedStream`, one that fails its check `CorruptStream`.

Beam's FileSystems decompress by extension but return whatever came out of a stream cut
short, so a gzip file cut in half became a short document. Here the file is read raw and
decompressed by the standard decompressors, whose end-of-stream state says whether it was
complete. Concatenated members (gzip, bzip2) and frames (zstd) are read in turn. Output
is produced in bounded steps, so a decompression bomb is read only as far as the reader
asks (up to `read.max_document_bytes` + 1).
"""

from __future__ import annotations

import bz2
import io
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

import zstandard
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

CHUNK_BYTES = 64 * 1024


class TruncatedStream(OSError):
    """A compressed file that ends before its end-of-stream marker."""


class CorruptStream(OSError):
    """A compressed file whose data or checksum is wrong."""


class _Zstd:
    """zstandard's decompressobj with the `eof`/`unused_data` of the standard ones."""

    def __init__(self) -> None:
        self._inner = zstandard.ZstdDecompressor().decompressobj()

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        return self._inner.decompress(data)

    @property
    def eof(self) -> bool:
        return self._inner.eof

    @property
    def unused_data(self) -> bytes:
        return self._inner.unused_data


# compression type → (format name, new decompressor, its error types)
_FORMATS: dict[str, tuple[str, Callable[[], Any], tuple[type[BaseException], ...]]] = {
    CompressionTypes.GZIP: ("gzip", lambda: zlib.decompressobj(wbits=31), (zlib.error,)),
    CompressionTypes.BZIP2: ("bzip2", bz2.BZ2Decompressor, (OSError, EOFError, ValueError)),
    CompressionTypes.ZSTD: ("zstd", _Zstd, (zstandard.ZstdError,)),
}


class _Decompressing(io.RawIOBase):
    def __init__(self, raw: BinaryIO, path: str, compression: str) -> None:
        self._raw = raw
        self._path = path
        self._name, self._new, self._errors = _FORMATS[compression]
        self._decompressor = self._new()
        self._input = b""  # compressed bytes not yet given to the decompressor
        self._started = False  # the current member has had input
        self._finished = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._finished:
            out = self._step(len(view))
            if out:
                view[: len(out)] = out
                return len(out)
        return 0

    def _step(self, limit: int) -> bytes:
        """Decompresses a little: at most `limit` bytes out (b"" when more input or a new
        member was needed, or the stream ended)."""
        if self._decompressor.eof:
            rest = self._decompressor.unused_data + self._input
            self._input = rest if rest.strip(b"\0") else b""  # zero padding ends a file too
            self._decompressor, self._started = self._new(), False
        if not self._input and not getattr(self._decompressor, "unconsumed_tail", b""):
            if not getattr(self._decompressor, "needs_input", True):
                return self._decompress(b"", limit)
            self._input = self._raw.read(CHUNK_BYTES)
            if not self._input:
                self._finished = True
                if self._started:
                    raise TruncatedStream(
                        f"truncated {self._name} file: {self._path} ends before the end of its "
                        "compressed stream (cut short while copied or downloaded?)"
                    )
                return b""
        data, self._input = self._input, b""
        self._started = True
        return self._decompress(data, limit)

    def _decompress(self, data: bytes, limit: int) -> bytes:
        try:
            if isinstance(self._decompressor, bz2.BZ2Decompressor):
                return self._decompressor.decompress(data, max_length=limit)
            if isinstance(self._decompressor, _Zstd):
                return self._decompressor.decompress(data)
            tail = self._decompressor.unconsumed_tail
            return self._decompressor.decompress(tail + data, limit)
        except self._errors as exc:
            raise CorruptStream(f"corrupt {self._name} file: {self._path}: {exc}") from exc


def open_input(path: str) -> BinaryIO:
    """The file's bytes, decompressed by its extension; compressed streams are checked to
    the end (`TruncatedStream`, `CorruptStream`)."""
    compression = CompressionTypes.detect_compression_type(path)
    if compression not in _FORMATS:
        return FileSystems.open(path)
    raw = FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED)
    return io.BufferedReader(_Decompressing(raw, path, compression), CHUNK_BYTES)


def verify_stream(path: str) -> None:
    """Reads a compressed file to its end, raising `TruncatedStream` or `CorruptStream`; a
    reader whose records would be documents before the damage is found calls it first."""
    if CompressionTypes.detect_compression_type(path) in _FORMATS:
        with open_input(path) as handle:
            while handle.read(CHUNK_BYTES):
                pass
