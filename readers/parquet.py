"""`.parquet` files: one document per row, the text in `read.text_field`."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from core.names import File
from readers.base import MatchedFile, Output, read_error
from readers.records import RecordReader


class ParquetReader(RecordReader):
    suffixes = (File.PARQUET_SUFFIX,)

    def read_file(self, matched: MatchedFile) -> Iterator[Output]:
        settings = self.settings
        with FileSystems.open(matched.path) as handle:
            parquet = pq.ParquetFile(handle)
            names = set(parquet.schema_arrow.names)
            if settings.text_field not in names:
                message = f"text column {settings.text_field!r} not in {sorted(names)}"
                yield read_error(matched.path, matched.relative_path, "MissingColumn", message)
                return
            optional = (settings.id_field, settings.lang_field)
            columns = sorted({settings.text_field, *(c for c in optional if c in names)})
            row_number, seen_ids = 0, set()
            for batch in parquet.iter_batches(columns=columns):
                for obj in batch.to_pylist():
                    doc_id = f"{matched.relative_path}:{row_number}"
                    row_number += 1
                    yield from self.document(obj, matched.path, doc_id, seen_ids)

    def count_documents(self, path: str) -> int:
        with FileSystems.open(path) as handle:
            return pq.ParquetFile(handle).metadata.num_rows
