"""The docs say what the code does: generated tables match the code, every key, flag,
metric and column is described, and the DuckDB queries in docs/outputs.md run."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import duckdb
import pytest

from core.names import Metric
from core.schemas import TABLE_SCHEMAS
from tests.conftest import ROOT
from tools import config_docs


def test_generated_docs_match_the_code():
    assert config_docs.stale_documents() == [], "run: python -m tools.config_docs --write"


def test_an_undescribed_key_fails_the_check(monkeypatch):
    @dataclass(frozen=True)
    class NewSettings:
        shiny_new_option: int = 3

    sections = config_docs.sections()
    monkeypatch.setattr(config_docs, "sections", lambda: {**sections, "translate": NewSettings})
    with pytest.raises(config_docs.MissingDescription, match="translate.shiny_new_option"):
        config_docs.stale_documents()


def test_every_flag_overrides_a_real_config_key(monkeypatch):
    monkeypatch.setitem(config_docs.CONFIG_KEYS, "beam_size", "model.beam_width")
    with pytest.raises(config_docs.MissingDescription, match="model.beam_width"):
        config_docs.flags_block()


def test_documented_metrics_are_the_ones_the_transforms_emit(report_run):
    assert set(config_docs.METRICS) == set(Metric)
    counted = json.loads((report_run / "run.json").read_text())["counts"]
    assert {name.split(":")[0] for name in counted} <= set(config_docs.METRICS)


def test_output_columns_are_all_described():
    assert config_docs.columns_block().count("| `") == sum(
        len(schema) for schema in TABLE_SCHEMAS.values()
    )


def test_the_duckdb_queries_in_the_docs_run_on_a_real_output(report_run, tmp_path, monkeypatch):
    text = (ROOT / "docs" / "outputs.md").read_text()
    queries = re.findall(r"```sql\n(.*?)```", text, re.S)
    assert len(queries) >= 5
    monkeypatch.chdir(tmp_path)  # the export query writes translated.parquet here
    for query in queries:
        duckdb.sql(query.replace("out/sample", str(report_run))).fetchall()
    statuses = duckdb.sql(queries[0].replace("out/sample", str(report_run))).fetchall()
    assert {row[2] for row in statuses} == {"translated", "passthrough", "untranslated"}
    assert duckdb.sql("select count(*) from 'translated.parquet'").fetchall()[0][0] > 0
