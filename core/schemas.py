"""The Parquet schemas of the output tables.

Each schema's column names (`core.names.Column`) are fields of the matching record in
`core.records`; `to_row` picks those fields, so a writer never spells a column name itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa

from core.names import Column, Table

segment_schema = pa.schema(
    [
        (Column.DOC_ID, pa.string()),
        (Column.SEGMENT_INDEX, pa.int32()),
        (Column.PARAGRAPH_INDEX, pa.int32()),
        (Column.SENTENCE_INDEX, pa.int32()),
        (Column.SOURCE_PATH, pa.string()),
        (Column.SOURCE_TEXT, pa.string()),
        (Column.TRANSLATED_TEXT, pa.string()),
        (Column.PREFIX, pa.string()),
        (Column.SEPARATOR, pa.string()),
        (Column.SOURCE_LANG, pa.string()),
        (Column.LANG_SCORE, pa.float32()),
        (Column.TARGET_LANG, pa.string()),
        (Column.STATUS, pa.string()),
        (Column.MODEL_ID, pa.string()),
        (Column.SCORE, pa.float32()),
        (Column.SOURCE_TOKENS, pa.int32()),
        (Column.TARGET_TOKENS, pa.int32()),
        (Column.FLAGS, pa.list_(pa.string())),
        (Column.ERROR, pa.string()),
    ]
)

document_schema = pa.schema(
    [
        (Column.DOC_ID, pa.string()),
        (Column.SOURCE_PATH, pa.string()),
        (Column.ENCODING, pa.string()),
        (Column.SOURCE_LANG, pa.string()),
        (Column.TARGET_LANG, pa.string()),
        (Column.SOURCE_TEXT, pa.string()),
        (Column.TRANSLATED_TEXT, pa.string()),
        (Column.N_SEGMENTS, pa.int32()),
        (Column.N_TRANSLATED, pa.int32()),
        (Column.N_PASSTHROUGH, pa.int32()),
        (Column.N_UNTRANSLATED, pa.int32()),
        (Column.N_FAILED, pa.int32()),
        (Column.STATUS, pa.string()),
        (Column.CONTENT_SHA256, pa.string()),
        (Column.SETTINGS_SHA256, pa.string()),
        (Column.FLAGS, pa.list_(pa.string())),
    ]
)

error_schema = pa.schema(
    [
        (Column.SOURCE_PATH, pa.string()),
        (Column.DOC_ID, pa.string()),
        (Column.TARGET_LANG, pa.string()),
        (Column.STAGE, pa.string()),
        (Column.ERROR_TYPE, pa.string()),
        (Column.MESSAGE, pa.string()),
        (Column.PARAGRAPH_INDEX, pa.int32()),
        (Column.SENTENCE_INDEX, pa.int32()),
    ]
)

TABLE_SCHEMAS = {
    Table.SEGMENTS: segment_schema,
    Table.DOCUMENTS: document_schema,
    Table.ERRORS: error_schema,
}


def to_row(record: Any, schema: pa.Schema) -> dict[str, Any]:
    """The record's values for the schema's columns (enums become their string value)."""
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    row = {}
    for name in schema.names:
        value = values[name]
        row[name] = list(value) if isinstance(value, tuple) else value
    return row
