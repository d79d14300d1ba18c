"""Names the documents behind an accounting violation (`transforms.accounting`).

Runs only after a run whose balance was off: it reads the input again, joins it by
document with the documents and errors the run wrote, and adds an `accounting` error
row per document that breaks the invariant. The join holds every document key, which
is why the run itself only keeps a balance.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from core.names import Column, Stage, Table, table_glob
from core.schemas import error_schema
from pipeline.config import PipelineConfig
from transforms.accounting import NameViolations
from transforms.read import ReadDocuments
from transforms.rebuild import INCOMPLETE_ERROR
from transforms.write import WriteTable


def _key(row: dict) -> tuple[str, str]:
    return row[Column.SOURCE_PATH], row[Column.DOC_ID]


def _refusal(row: dict) -> bool:
    """A document refused as a whole; the stage's other rows are failed paragraphs."""
    return row[Column.STAGE] == Stage.SPLIT and row[Column.PARAGRAPH_INDEX] is None


def name_violations(
    config: PipelineConfig, runner: str | beam.runners.PipelineRunner, options: PipelineOptions
) -> None:
    """Writes the rows into `<config.output>/errors/accounting-*.parquet`; `config.output`
    is the run's (staged) output directory."""
    columns = [Column.SOURCE_PATH, Column.DOC_ID, Column.TARGET_LANG]
    error_columns = [*columns, Column.STAGE, Column.ERROR_TYPE, Column.PARAGRAPH_INDEX]
    with beam.Pipeline(runner=runner, options=options) as p:
        documents, _ = p | "ReadDocuments" >> ReadDocuments(config.input, config.read)
        written = p | "ReadWritten" >> beam.io.ReadFromParquet(
            table_glob(config.output, Table.DOCUMENTS), columns=columns
        )
        errors = p | "ReadErrors" >> beam.io.ReadFromParquet(
            table_glob(config.output, Table.ERRORS), columns=error_columns
        )
        keyed = {
            "read": documents | "KeyRead" >> beam.Map(lambda d: ((d.source_path, d.doc_id), None)),
            "written": written
            | "KeyWritten" >> beam.Map(lambda r: (_key(r), r[Column.TARGET_LANG])),
            "refused": errors
            | "Refused" >> beam.Filter(_refusal)
            | "KeyRefused" >> beam.Map(lambda r: (_key(r), None)),
            "incomplete": errors
            | "Incomplete" >> beam.Filter(lambda r: r[Column.ERROR_TYPE] == INCOMPLETE_ERROR)
            | "KeyIncomplete" >> beam.Map(lambda r: (_key(r), None)),
        }
        _ = (
            keyed
            | "NameViolations" >> NameViolations(config.target_lang)
            | "Write"
            >> WriteTable(config.output, Table.ERRORS, error_schema, shard=Stage.ACCOUNTING)
        )
