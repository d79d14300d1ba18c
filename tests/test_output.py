"""The output directory: every table has a shard to read, even one no unit wrote to."""

import duckdb
import pyarrow.parquet as pq

from core.names import Table, table_glob
from core.schemas import TABLE_SCHEMAS
from pipeline.output import EMPTY_SHARD, write_empty_tables


def test_a_table_without_shards_gets_one_empty_shard_with_its_schema(tmp_path):
    (tmp_path / Table.SEGMENTS).mkdir()
    unit = tmp_path / Table.SEGMENTS / "unit-1.parquet"
    pq.write_table(TABLE_SCHEMAS[Table.SEGMENTS].empty_table(), unit)
    write_empty_tables(str(tmp_path))
    assert sorted(p.name for p in (tmp_path / Table.SEGMENTS).iterdir()) == ["unit-1.parquet"]
    for table in (Table.DOCUMENTS, Table.ERRORS):
        assert [p.name for p in (tmp_path / table).iterdir()] == [EMPTY_SHARD]
        assert pq.read_schema(tmp_path / table / EMPTY_SHARD) == TABLE_SCHEMAS[table]
        glob = table_glob(str(tmp_path), table)
        assert duckdb.sql(f"select count(*) from read_parquet('{glob}')").fetchall() == [(0,)]
