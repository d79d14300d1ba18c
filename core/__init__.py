"""The records that flow between stages, and every name of the outputs (tables, columns,
files, run.json keys, metrics)."""

from core.errors import ConfigError
from core.names import (
    Column,
    ExitCode,
    File,
    Metric,
    RunKey,
    Stage,
    SummaryKey,
    Table,
    Tag,
    UnitKey,
)
from core.records import (
    DocumentStatus,
    ErrorRecord,
    EvaluatedParagraph,
    Segment,
    SegmentStatus,
    SourceDocument,
    TranslatedDocument,
)
from core.schemas import TABLE_SCHEMAS, document_schema, error_schema, segment_schema

__all__ = [
    "TABLE_SCHEMAS",
    "Column",
    "ExitCode",
    "ConfigError",
    "DocumentStatus",
    "ErrorRecord",
    "EvaluatedParagraph",
    "File",
    "Metric",
    "RunKey",
    "Segment",
    "SegmentStatus",
    "SourceDocument",
    "Stage",
    "SummaryKey",
    "Table",
    "Tag",
    "TranslatedDocument",
    "UnitKey",
    "document_schema",
    "error_schema",
    "segment_schema",
]
