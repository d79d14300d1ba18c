"""The Parquet schemas of the outputs: the one place that names output columns.

Each schema's column names are fields of the matching record in
`transforms.records`; `to_row` picks those fields, so a writer never spells a
column name itself.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pyarrow as pa

segment_schema = pa.schema(
    [
        ("doc_id", pa.string()),
        ("segment_index", pa.int32()),
        ("paragraph_index", pa.int32()),
        ("sentence_index", pa.int32()),
        ("source_path", pa.string()),
        ("source_text", pa.string()),
        ("translated_text", pa.string()),
        ("prefix", pa.string()),
        ("separator", pa.string()),
        ("source_lang", pa.string()),
        ("lang_score", pa.float32()),
        ("target_lang", pa.string()),
        ("status", pa.string()),
        ("model_id", pa.string()),
        ("score", pa.float32()),
        ("source_tokens", pa.int32()),
        ("target_tokens", pa.int32()),
        ("flags", pa.list_(pa.string())),
        ("error", pa.string()),
    ]
)

document_schema = pa.schema(
    [
        ("doc_id", pa.string()),
        ("source_path", pa.string()),
        ("encoding", pa.string()),
        ("source_lang", pa.string()),
        ("target_lang", pa.string()),
        ("source_text", pa.string()),
        ("translated_text", pa.string()),
        ("n_segments", pa.int32()),
        ("n_translated", pa.int32()),
        ("n_passthrough", pa.int32()),
        ("n_untranslated", pa.int32()),
        ("n_failed", pa.int32()),
        ("status", pa.string()),
        ("content_sha256", pa.string()),
        ("settings_sha256", pa.string()),
    ]
)

error_schema = pa.schema(
    [
        ("source_path", pa.string()),
        ("doc_id", pa.string()),
        ("target_lang", pa.string()),
        ("stage", pa.string()),
        ("error_type", pa.string()),
        ("message", pa.string()),
        ("paragraph_index", pa.int32()),
        ("sentence_index", pa.int32()),
    ]
)


def to_row(record: Any, schema: pa.Schema) -> dict[str, Any]:
    """The record's values for the schema's columns (enums become their string value)."""
    values = {f.name: getattr(record, f.name) for f in dataclasses.fields(record)}
    row = {}
    for name in schema.names:
        value = values[name]
        row[name] = list(value) if isinstance(value, tuple) else value
    return row
