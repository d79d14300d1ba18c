"""Names the documents behind an accounting violation (`transforms.accounting`).

Runs only after a run whose balance was off: it reads the input again, joins it by
document with the documents and errors the run wrote, and adds an `accounting` error
row per document that breaks the invariant. The join holds every document key, which
is why the run itself only keeps a balance.
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.config import PipelineConfig
from pipeline.report import table_glob
from transforms.accounting import NameViolations
from transforms.read import ReadDocuments
from transforms.rebuild import INCOMPLETE_ERROR
from transforms.schemas import error_schema
from transforms.split import STAGE as REFUSING_STAGE
from transforms.write import WriteTable


def _key(row: dict) -> tuple[str, str]:
    return row["source_path"], row["doc_id"]


def _refusal(row: dict) -> bool:
    """A document refused as a whole; the stage's other rows are failed paragraphs."""
    return row["stage"] == REFUSING_STAGE and row["paragraph_index"] is None


def name_violations(
    config: PipelineConfig, runner: str | beam.runners.PipelineRunner, options: PipelineOptions
) -> None:
    """Writes the rows into `<config.output>/errors/accounting-*.parquet`; `config.output`
    is the run's (staged) output directory."""
    columns = ["source_path", "doc_id", "target_lang"]
    error_columns = [*columns, "stage", "error_type", "paragraph_index"]
    with beam.Pipeline(runner=runner, options=options) as p:
        documents, _ = p | "ReadDocuments" >> ReadDocuments(config.input, config.read)
        written = p | "ReadWritten" >> beam.io.ReadFromParquet(
            table_glob(config.output, "documents"), columns=columns
        )
        errors = p | "ReadErrors" >> beam.io.ReadFromParquet(
            table_glob(config.output, "errors"), columns=error_columns
        )
        keyed = {
            "read": documents | "KeyRead" >> beam.Map(lambda d: ((d.source_path, d.doc_id), None)),
            "written": written | "KeyWritten" >> beam.Map(lambda r: (_key(r), r["target_lang"])),
            "refused": errors
            | "Refused" >> beam.Filter(_refusal)
            | "KeyRefused" >> beam.Map(lambda r: (_key(r), None)),
            "incomplete": errors
            | "Incomplete" >> beam.Filter(lambda r: r["error_type"] == INCOMPLETE_ERROR)
            | "KeyIncomplete" >> beam.Map(lambda r: (_key(r), None)),
        }
        _ = (
            keyed
            | "NameViolations" >> NameViolations(config.target_lang)
            | "Write" >> WriteTable(config.output, "errors", error_schema, shard="accounting")
        )
