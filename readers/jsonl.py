"""`.jsonl` files: one document per non-blank line, a JSON object."""

from __future__ import annotations

import json
from collections.abc import Iterator

from readers.base import MatchedFile, Output, oversize, read_error
from readers.compressed import CorruptStream, TruncatedStream, open_input, verify_stream
from readers.decode import mostly_utf8
from readers.records import RecordReader


class JsonlReader(RecordReader):
    suffixes = (".jsonl",)

    def read_file(self, matched: MatchedFile) -> Iterator[Output]:
        cap = self.settings.max_document_bytes
        verify_stream(matched.path)  # a damaged file gives an error row, and no documents
        seen_ids: set[str] = set()
        for line_number, raw in self._lines(matched.path):
            doc_id = f"{matched.relative_path}:{line_number}"
            if len(raw) > cap:
                yield oversize(matched.path, doc_id, len(raw), cap)
                continue
            try:
                text, flags = raw.decode("utf-8"), ()
            except UnicodeDecodeError as exc:
                lenient = mostly_utf8(raw)  # a few stray bytes: replaced and flagged
                if lenient is None:
                    yield read_error(matched.path, doc_id, "MalformedJSON", str(exc))
                    continue
                text, flags = lenient.text, lenient.flags
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield read_error(matched.path, doc_id, "MalformedJSON", str(exc))
                continue
            yield from self.document(obj, matched.path, doc_id, seen_ids, flags)

    def count_documents(self, path: str) -> int:
        count = 0
        try:
            for _ in self._lines(path):
                count += 1
        except (TruncatedStream, CorruptStream):
            count += 1  # the file's error row
        return count

    @staticmethod
    def _lines(path: str) -> Iterator[tuple[int, bytes]]:
        """(line number, bytes) of each line that is not blank."""
        with open_input(path) as handle:
            for line_number, raw in enumerate(iter(handle.readline, b""), start=1):
                if raw.strip():
                    yield line_number, raw
