"""WriteOutputs: segments/, documents/ and errors/ as zstd Parquet under the output path."""

from __future__ import annotations

import apache_beam as beam
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from core.names import File, Table
from core.schemas import TABLE_SCHEMAS, to_row

# Rows are buffered until a row group is this large: Beam's default (64 MiB per table)
# would grow the memory of a run with the corpus up to that size. 2 MiB (about 7k short
# segments) peaked 10 MB lower than 4 MiB at 200k paragraphs and the same at 10k
# (bench/README.md item 4).
ROW_GROUP_BYTES = 2 << 20


class WriteTable(beam.PTransform):
    """Records → Parquet shards `<output>/<table>/<shard>-SSSSS-of-NNNNN.parquet`."""

    def __init__(self, output: str, table: Table, schema: pa.Schema, shard: str = "part") -> None:
        super().__init__()
        self.prefix = FileSystems.join(output, table, shard)
        self.schema = schema

    def expand(self, records: beam.PCollection) -> beam.pvalue.PDone:
        schema = self.schema
        return (
            records
            | "ToRow" >> beam.Map(to_row, schema)
            | "Parquet"
            >> beam.io.WriteToParquet(
                self.prefix,
                schema,
                codec="zstd",
                row_group_buffer_size=ROW_GROUP_BYTES,
                file_name_suffix=File.PARQUET_SUFFIX,
            )
        )


class WriteOutputs(beam.PTransform):
    """Writes the tables of a dict of PCollections by table name."""

    def __init__(self, output: str) -> None:
        super().__init__()
        self.output = output

    def expand(self, tables: dict[Table, beam.PCollection]) -> dict[Table, beam.pvalue.PDone]:
        return {
            name: records
            | f"Write{name.title()}" >> WriteTable(self.output, name, TABLE_SCHEMAS[name])
            for name, records in tables.items()
        }
