"""`--write_documents DIR`: the translated corpus as files, in the input's layout.

Each translated document is written to `DIR/<target>/<path relative to its --input
pattern>` (a compression suffix dropped): `.txt`/`.md` as UTF-8 text, `.jsonl` and
`.parquet` as the input's records, each with `translated_text` added (null for a record
that was not read or translated). Paths are made of the input's relative path parts only,
so nothing is written outside DIR. The files are written into `DIR.partial-<run id>`
beside DIR and moved into place right after the run's own output, so DIR holds either the
previous complete set or the new one. DIR is a local directory.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
from collections import defaultdict
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from core.errors import ConfigError
from core.names import Column, File, Table, table_glob
from pipeline.config import PipelineConfig
from readers import ReadSettings, reader_class
from readers.compressed import open_input
from readers.jsonl import JsonlReader
from readers.parquet import ParquetReader
from transforms.read import pattern_base

Translations = dict[str, str | None]  # doc_id → translated text


def check_documents_dir(config: PipelineConfig) -> None:
    """Before a run: DIR must be local, and empty unless the run may replace its output
    (--overwrite, --incremental)."""
    target = config.write_documents
    if not target:
        return
    if urlparse(target).scheme not in ("", "file"):
        raise ConfigError(f"write_documents: {target} must be a local directory")
    replacing = config.overwrite or config.incremental
    if os.path.isdir(target) and os.listdir(target) and not replacing:
        raise ConfigError(f"write_documents: {target} is not empty; pass --overwrite to replace it")


def safe_relative(path: str) -> str:
    """`path` as parts that cannot leave a directory (no root, scheme, `..` or `.`)."""
    path = path.split("://", 1)[-1]
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".", "..")]
    return "/".join(parts)


def reader_relative(source_path: str, patterns: list[str]) -> str:
    """The file's path relative to the first --input pattern's directory that holds it, as
    the reader saw it (the prefix of its documents' ids)."""
    for pattern in patterns:
        base = pattern_base(pattern)
        if source_path.startswith(base):
            return source_path[len(base) :].lstrip("/")
    return source_path


def output_relative(relative: str) -> str:
    """Where a file's translation goes under DIR/<target>/: its relative path without a
    compression suffix, made of plain parts."""
    if CompressionTypes.detect_compression_type(relative) != CompressionTypes.UNCOMPRESSED:
        relative = posixpath.splitext(relative)[0]
    return safe_relative(relative)


def _translations(output: str) -> dict[tuple[str, str], Translations]:
    """(source_path, target) → doc_id → translated text, from the run's documents/."""
    columns = [Column.SOURCE_PATH, Column.TARGET_LANG, Column.DOC_ID, Column.TRANSLATED_TEXT]
    found: dict[tuple[str, str], Translations] = defaultdict(dict)
    pattern = table_glob(output, Table.DOCUMENTS)
    directory = os.path.dirname(pattern)
    for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
        if name.endswith(File.PARQUET_SUFFIX):
            for row in pq.read_table(os.path.join(directory, name), columns=columns).to_pylist():
                key = (row[Column.SOURCE_PATH], row[Column.TARGET_LANG])
                found[key][row[Column.DOC_ID]] = row[Column.TRANSLATED_TEXT]
    return found


def _record_id(obj: Any, settings: ReadSettings, fallback: str) -> str:
    """The doc_id the reader gave a record (readers.records)."""
    given = obj.get(settings.id_field) if isinstance(obj, dict) and settings.id_field else None
    return fallback if given is None else str(given)


def _jsonl(source: str, relative: str, settings: ReadSettings, done: Translations) -> bytes:
    lines = []
    with open_input(source) as handle:
        for number, raw in enumerate(iter(handle.readline, b""), start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except ValueError:
                obj = None
            if not isinstance(obj, dict):
                lines.append(raw.rstrip(b"\r\n"))  # kept as it was: it was no document
                continue
            doc_id = _record_id(obj, settings, f"{relative}:{number}")
            obj[Column.TRANSLATED_TEXT] = done.get(doc_id)
            lines.append(json.dumps(obj, ensure_ascii=False).encode())
    return b"\n".join(lines) + b"\n"


def _parquet(source: str, relative: str, settings: ReadSettings, done: Translations) -> bytes:
    with FileSystems.open(source) as handle:
        table = pq.read_table(handle)
    has_ids = settings.id_field in table.column_names
    ids = table.column(settings.id_field).to_pylist() if has_ids else [None] * table.num_rows
    texts = [
        done.get(_record_id({settings.id_field: given}, settings, f"{relative}:{row}"))
        for row, given in enumerate(ids)
    ]
    table = table.append_column(Column.TRANSLATED_TEXT, pa.array(texts, pa.string()))
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def write_documents(config: PipelineConfig, output: str, run_id: str) -> str | None:
    """Writes the translated documents of the run in `output` (its staging directory)
    into `<write_documents>.partial-<run_id>`; returns that directory (None when off)."""
    if not config.write_documents:
        return None
    staging = f"{config.write_documents.rstrip('/')}.partial-{run_id}"
    for (source, target), done in sorted(_translations(output).items()):
        reader = reader_class(source)
        relative = reader_relative(source, config.input)
        if reader is JsonlReader:
            data = _jsonl(source, relative, config.read, done)
        elif reader is ParquetReader:
            data = _parquet(source, relative, config.read, done)
        else:  # one document per file
            data = (next(iter(done.values())) or "").encode("utf-8")
        path = os.path.join(staging, safe_relative(target), output_relative(relative))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    os.makedirs(staging, exist_ok=True)
    return staging


def commit_documents(staging: str | None, final: str | None) -> None:
    """Moves the written documents into place, replacing the previous set."""
    if not staging or not final:
        return
    final = final.rstrip("/")
    replaced = f"{staging}.replaced"
    if os.path.exists(final):
        os.rename(final, replaced)
    os.rename(staging, final)
    shutil.rmtree(replaced, ignore_errors=True)
