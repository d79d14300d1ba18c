"""`.txt` and `.md` files: one document each, decoded (readers.decode)."""

from __future__ import annotations

from collections.abc import Iterator

from apache_beam.io.filesystem import CompressionTypes

from core.records import SourceDocument
from readers.base import MatchedFile, Output, Reader, oversize, read_error
from readers.compressed import open_input
from readers.decode import DecodeError, decode_bytes


class TextReader(Reader):
    suffixes = (".txt", ".md")

    def read_file(self, matched: MatchedFile) -> Iterator[Output]:
        cap = self.settings.max_document_bytes
        doc_id = matched.relative_path
        compressed = (
            CompressionTypes.detect_compression_type(matched.path) != CompressionTypes.UNCOMPRESSED
        )
        if not compressed and matched.size_in_bytes > cap:
            yield oversize(matched.path, doc_id, matched.size_in_bytes, cap)
            return
        with open_input(matched.path) as handle:
            data = handle.read(cap + 1)
        if len(data) > cap:
            yield oversize(matched.path, doc_id, len(data), cap)
            return
        try:
            decoded = decode_bytes(data, self.settings.encoding)
        except DecodeError as exc:
            yield read_error(matched.path, doc_id, exc.error_type, str(exc))
            return
        yield SourceDocument(
            doc_id, matched.path, decoded.text, decoded.encoding, flags=decoded.flags
        )
