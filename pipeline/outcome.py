"""What a run's exit status says to a scheduler (docs/exit-codes.md): no input before the
run starts, too many failed documents after it."""

from __future__ import annotations

from dataclasses import dataclass

from apache_beam.io.filesystems import FileSystems

from core.names import Column, Stage, Table
from core.records import DocumentStatus
from pipeline.config import PipelineConfig
from reports.summary import ReportError, connect

MAX_FAILED_FRACTION = "max_failed_fraction"  # the config key


class NoInputError(RuntimeError):
    """An --input pattern matched no file; nothing ran."""


def check_inputs(config: PipelineConfig) -> None:
    """Raises NoInputError naming each pattern that matches no file, unless
    `allow_empty_input` (a scheduled job whose input is sometimes empty)."""
    if config.allow_empty_input:
        return
    empty = []
    for pattern in config.input:
        try:
            matched = FileSystems.match([pattern])[0].metadata_list
        except Exception:  # noqa: BLE001 - a missing directory or bucket matches nothing
            matched = []
        if not matched:
            empty.append(pattern)
    if empty:
        raise NoInputError(
            f"--input {', '.join(repr(p) for p in empty)} matched no file; nothing was run. "
            "Check the pattern (quote it so the shell does not expand it), or pass "
            "--allow_empty_input for a job whose input may be empty"
        )


@dataclass(frozen=True)
class FailedDocuments:
    failed: int  # unreadable, refused, or failed for a target
    total: int  # read or unreadable

    @property
    def fraction(self) -> float:
        return self.failed / self.total if self.total else 0.0


def failed_documents(output: str) -> FailedDocuments:
    """The documents of a finished run that failed: not readable (errors/ of stage read
    naming a document), refused whole (stage split), or of status `failed` for a target."""
    con = connect(output)
    C = Column
    key = f"{C.SOURCE_PATH} || chr(0) || {C.DOC_ID}"
    unreadable = f"""select {key} as k from {Table.ERRORS}
        where {C.STAGE} = '{Stage.READ}' and {C.DOC_ID} is not null"""
    refused = f"select {key} as k from {Table.ERRORS} where {C.STAGE} = '{Stage.SPLIT}'"
    failed = (
        f"select {key} as k from {Table.DOCUMENTS} where {C.STATUS} = '{DocumentStatus.FAILED}'"
    )
    everything = f"select {key} as k from {Table.DOCUMENTS} union {unreadable} union {refused}"
    (failed_count,) = con.execute(
        f"select count(*) from ({unreadable} union {refused} union {failed})"
    ).fetchone()
    (total,) = con.execute(f"select count(*) from ({everything})").fetchone()
    return FailedDocuments(failed_count, total)


def too_many_failures(output: str, max_fraction: float) -> str | None:
    """The message when failed documents are over `max_fraction` of those seen; else None."""
    try:
        counts = failed_documents(output)
    except ReportError:  # no table to count (an empty run): nothing failed
        return None
    if counts.fraction <= max_fraction:
        return None
    return (
        f"{counts.failed} of {counts.total} documents failed ({counts.fraction:.1%}), over "
        f"max_failed_fraction {max_fraction:g}; the output is written to {output} "
        "(see errors/); raise --max_failed_fraction to accept this"
    )
