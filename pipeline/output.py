"""Atomic output: a run is written beside `--output` and moved into place when complete.

A run killed at any point leaves only `<output>.partial-<run id>/` behind; the
output location keeps the previous complete run, if any. On a local filesystem
the move is two directory renames; on object stores (gs://, s3://), which have
no rename, the files are copied into place and `run.json` is written last, so
a reader that finds `run.json` finds a complete run.
"""

from __future__ import annotations

import os
import shutil
import time
from urllib.parse import urlparse

from apache_beam.io.filesystems import FileSystems

from core.errors import ConfigError
from core.names import RUN_FILES, File, Table, table_glob
from core.schemas import TABLE_SCHEMAS
from transforms.commit import parquet_bytes, write_whole

# The name Beam's Parquet sink gives the one shard of a table written whole.
EMPTY_SHARD = f"part-00000-of-00001{File.PARQUET_SUFFIX}"


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + f"-{os.getpid()}"


class StagedOutput:
    def __init__(self, final: str, run_id: str) -> None:
        self.final = final.rstrip("/")
        self.run_id = run_id
        self.staging = f"{self.final}.partial-{run_id}"
        self.local = urlparse(self.final).scheme in ("", "file")

    def check(self, overwrite: bool) -> None:
        """Refuses to replace a run unless told to, and never replaces anything else."""
        if not FileSystems.exists(self.final):
            return
        entries = self._entries(self.final)
        foreign = sorted(set(entries) - set(Table) - set(RUN_FILES))
        if foreign:
            raise ConfigError(
                f"--output {self.final} holds files that are not a run's ({', '.join(foreign)}); "
                "choose an empty or new directory"
            )
        if entries and not overwrite:
            raise ConfigError(
                f"--output {self.final} already holds a run; pass --overwrite to replace it "
                "or choose another --output"
            )

    def holds_run(self) -> bool:
        return FileSystems.exists(FileSystems.join(self.final, File.RUN_INFO))

    def commit(self) -> None:
        """Moves the finished run into place, replacing the previous one."""
        resume_dir = FileSystems.join(self.staging, File.RESUME_DIR)
        if self.local:
            # The bookkeeping of resume goes first: a run killed between the two steps
            # leaves a complete staged run, not an output with foreign files in it.
            shutil.rmtree(resume_dir, ignore_errors=True)
            replaced = f"{self.final}.replaced-{self.run_id}"
            if os.path.exists(self.final):
                os.rename(self.final, replaced)
            os.rename(self.staging, self.final)
            shutil.rmtree(replaced, ignore_errors=True)
            return
        old = [FileSystems.join(self.final, name) for name in self._entries(self.final)]
        if old:
            FileSystems.delete(old)
        staged = [
            m.path
            for m in FileSystems.match([f"{self.staging}/**"])[0].metadata_list
            if not m.path.startswith(resume_dir + "/")
        ]
        ordered = sorted(staged, key=lambda path: path.endswith(f"/{File.RUN_INFO}"))
        for path in ordered:
            FileSystems.copy([path], [self.final + path[len(self.staging) :]])
        FileSystems.delete([self.staging])

    def _entries(self, directory: str) -> list[str]:
        """Names directly under `directory` (files and sub-directories)."""
        if self.local:
            return os.listdir(directory) if os.path.isdir(directory) else []
        paths = [m.path for m in FileSystems.match([f"{directory}/**"])[0].metadata_list]
        return sorted({path[len(directory) + 1 :].split("/")[0] for path in paths})


def write_empty_tables(directory: str) -> None:
    """An empty shard with the table's schema in each table that has none, so that every
    run, even one that read no document, has every table to read."""
    for table, schema in TABLE_SCHEMAS.items():
        if FileSystems.match([table_glob(directory, table)])[0].metadata_list:
            continue
        write_whole(FileSystems.join(directory, table, EMPTY_SHARD), parquet_bytes([], schema, {}))
