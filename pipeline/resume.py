"""Resuming a killed run: find its staged output, check it may be continued, keep only
what it committed, and say what each attempt did.

A staged run (`<output>.partial-<run id>/`, `pipeline.output`) holds, under `_resume/`,
the settings it was started with (`state.json`), one marker per committed unit
(`transforms.commit`) and one record per attempt. The next run into the same output
with the same settings and input continues the newest such run; `--resume` refuses to
start over when the settings differ. Other killed runs are listed, with the command that
removes them: they hold work that a run with their settings could still resume.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from apache_beam.io.filesystems import FileSystems

from core.errors import ConfigError
from core.metrics import ACCOUNTED_METRICS
from core.names import File, Metric, RunKey, SummaryKey, UnitKey
from pipeline.config import PipelineConfig, decisive_settings, fingerprint_of
from pipeline.output import StagedOutput
from transforms.commit import write_whole
from transforms.commit_units import CommittedUnits, UnitPlan

LOG = logging.getLogger(__name__)


def _resume_path(staging: str, *names: str) -> str:
    return FileSystems.join(staging, File.RESUME_DIR, *names)


def _read_json(path: str) -> Any:
    try:
        with FileSystems.open(path) as handle:
            return json.loads(handle.read())
    except (OSError, ValueError):  # absent, or cut short by the kill
        return None


def _write_json(path: str, value: Any) -> None:
    write_whole(path, json.dumps(value, indent=1, sort_keys=True, default=str).encode())


def killed_runs(output: StagedOutput) -> list[str]:
    """Staged runs of this output that never completed, oldest first (run ids sort by time)."""
    pattern = f"{output.final}.partial-*"
    if output.local:
        return sorted(path for path in glob.glob(pattern) if os.path.isdir(path))
    matches = FileSystems.match([f"{pattern}/**"])[0].metadata_list
    prefix = len(output.final) + len(".partial-")
    return sorted({m.path[: m.path.index("/", prefix)] for m in matches})


def run_state(config: PipelineConfig) -> dict[str, Any]:
    """What a continued run must share with the killed one for its rows to be the same."""
    decisive = decisive_settings(config)
    return {
        UnitKey.SETTINGS_SHA256: fingerprint_of(decisive),
        UnitKey.SETTINGS: json.loads(json.dumps(decisive, default=str)),
        UnitKey.INPUT: list(config.input),
        UnitKey.UNIT_DOCUMENTS: config.commit.unit_documents,
        UnitKey.UNIT_BYTES: config.commit.unit_bytes,
        UnitKey.INPUT_LISTING: input_listing(config.input),
    }


def mismatch(previous: dict[str, Any], current: dict[str, Any]) -> str | None:
    """Why a run with `current` state cannot continue one with `previous`, or None."""
    if previous.get(UnitKey.SETTINGS_SHA256) == current[UnitKey.SETTINGS_SHA256]:
        differ = []
    else:
        old, new = previous.get(UnitKey.SETTINGS) or {}, current[UnitKey.SETTINGS]
        differ = sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))
        differ = [f"settings that change the translation differ ({', '.join(differ)})"]
    for key in (UnitKey.INPUT, UnitKey.UNIT_DOCUMENTS, UnitKey.UNIT_BYTES):
        if previous.get(key) != current[key]:
            differ.append(f"{key} was {previous.get(key)!r}, now {current[key]!r}")
    if not differ and previous.get(UnitKey.INPUT_LISTING) != current[UnitKey.INPUT_LISTING]:
        differ.append("input files were added, removed or changed size since")
    return "; ".join(differ) or None


def committed_markers(staging: str) -> list[dict[str, Any]]:
    pattern = _resume_path(staging, File.UNIT_MARKERS, f"*{File.MARKER_SUFFIX}")
    paths = [m.path for m in FileSystems.match([pattern])[0].metadata_list]
    return [marker for path in sorted(paths) if (marker := _read_json(path)) is not None]


def committed_units(markers: list[dict[str, Any]]) -> CommittedUnits:
    ids = {m[UnitKey.UNIT] for m in markers}
    blocks = {
        (m[UnitKey.INPUTS][0], m[UnitKey.BLOCK]) for m in markers if len(m[UnitKey.INPUTS]) == 1
    }
    ends = {m[UnitKey.INPUTS][0]: m[UnitKey.BLOCK] for m in markers if m[UnitKey.LAST]}
    files = {
        path for path, last in ends.items() if all((path, b) in blocks for b in range(last + 1))
    }
    return CommittedUnits(frozenset(ids), frozenset(files))


def input_listing(patterns: list[str]) -> str:
    """sha256 of the files the patterns match and their sizes: units are cut from them."""
    listing = set()
    for pattern in patterns:
        try:
            listing |= {
                (m.path, m.size_in_bytes) for m in FileSystems.match([pattern])[0].metadata_list
            }
        except Exception:  # noqa: BLE001 - no match: the run reports it as an error row
            continue
    return hashlib.sha256(json.dumps(sorted(listing)).encode()).hexdigest()


def prune(staging: str, markers: list[dict[str, Any]]) -> None:
    """Removes what a killed attempt left besides its committed units: files of a unit
    whose commit it did not finish, Beam's temporary shards, a run.json."""
    keep = {FileSystems.join(staging, name) for m in markers for name in m[UnitKey.FILES]}
    resume_dir = _resume_path(staging)
    paths = [m.path for m in FileSystems.match([f"{staging}/**"])[0].metadata_list]
    stale = [
        path
        for path in paths
        if path not in keep and (not path.startswith(resume_dir) or ".tmp-" in path)
    ]
    if stale:
        FileSystems.delete(stale)
    for directory, _, _ in sorted(os.walk(staging), reverse=True):  # local: emptied directories
        if directory != staging and not os.listdir(directory):
            os.rmdir(directory)


@dataclass
class Attempt:
    """This attempt of a run: where it writes, and what it found committed."""

    run_id: str
    staging: str
    plan: UnitPlan
    started: float
    reused: Counter = field(default_factory=Counter)
    units_reused: int = 0

    def inputs_committed(self) -> int:
        """Documents and read errors of the reused units: progress does not expect them."""
        return self.reused[RunKey.DOCUMENTS_READ] + self.reused[RunKey.READ_ERRORS]


def start_attempt(output: StagedOutput, config: PipelineConfig, started: float) -> Attempt:
    """Picks the killed run to continue (or none), prepares its staging area and records
    this attempt there. `output.staging` is set to the staging area used."""
    state = run_state(config)
    killed = killed_runs(output)
    resumed, reasons = None, []
    for staging in reversed(killed):
        previous = _read_json(_resume_path(staging, File.RESUME_STATE))
        reason = "it recorded no settings" if previous is None else mismatch(previous, state)
        if reason is None:
            resumed = staging
            break
        reasons.append(f"{staging}: {reason}")
    if config.resume and resumed is None and reasons:
        raise ConfigError(
            f"cannot resume: {reasons[0]}; run without --resume to start over (the killed "
            "run is kept), or with the settings and input of the killed run"
        )
    if config.resume and not killed:
        LOG.info("--resume: no killed run of %s to continue; starting one", output.final)
    others = [staging for staging in killed if staging != resumed]
    if others:
        LOG.warning(
            "killed runs of %s are left beside it (not resumed: other settings or input): %s; "
            "remove them with: %s %s",
            output.final, ", ".join(others), "rm -r" if output.local else "gcloud storage rm -r",
            " ".join(others),
        )  # fmt: skip
    attempt = Attempt(
        output.run_id, output.staging, UnitPlan(output.run_id, config.commit), started
    )
    if resumed:
        markers = committed_markers(resumed)
        prune(resumed, markers)
        output.staging = attempt.staging = resumed
        attempt.plan = UnitPlan(output.run_id, config.commit, committed_units(markers))
        attempt.units_reused = len(markers)
        for marker in markers:
            attempt.reused.update(
                {RunKey(m.value): marker[UnitKey.COUNTS].get(m, 0) for m in ACCOUNTED_METRICS}
            )
        LOG.info("resuming the killed run in %s: %d units committed", resumed, len(markers))
    else:
        _write_json(_resume_path(output.staging, File.RESUME_STATE), state)
    record = {UnitKey.RUN_ID: output.run_id, UnitKey.STARTED_AT: _timestamp(started)}
    _write_json(_resume_path(output.staging, File.ATTEMPT_RECORDS, f"{output.run_id}.json"), record)
    return attempt


def _timestamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def attempts_report(attempt: Attempt) -> dict[str, Any]:
    """run.json's `units` and `attempts`: what was reused, what each attempt committed."""
    markers = committed_markers(attempt.staging)
    by_run = Counter(m[UnitKey.RUN_ID] for m in markers)
    translated = Counter()
    for m in markers:
        translated[m[UnitKey.RUN_ID]] += m[UnitKey.COUNTS].get(Metric.SEGMENTS_TRANSLATED, 0)
    pattern = _resume_path(attempt.staging, File.ATTEMPT_RECORDS, "*")
    records = [_read_json(m.path) for m in FileSystems.match([pattern])[0].metadata_list]
    attempts = sorted(
        (
            {
                **record,
                RunKey.UNITS_COMMITTED: by_run[record[UnitKey.RUN_ID]],
                Metric.SEGMENTS_TRANSLATED: translated[record[UnitKey.RUN_ID]],
            }
            for record in records
            if record
        ),
        key=lambda record: record[UnitKey.STARTED_AT],
    )
    return {
        RunKey.UNITS: {
            RunKey.UNIT_DOCUMENTS: attempt.plan.settings.unit_documents,
            RunKey.UNITS_REUSED: attempt.units_reused,
            RunKey.UNITS_DONE: by_run[attempt.run_id],
            RunKey.STAGING: attempt.staging,
        },
        RunKey.ATTEMPTS: attempts,
        RunKey.SUMMARY: {
            SummaryKey.UNITS_REUSED: attempt.units_reused,
            SummaryKey.UNITS_DONE: by_run[attempt.run_id],
        },
    }


def uncommitted(info: dict[str, Any]) -> str | None:
    """Why the units this attempt read were not all committed, or None when they were."""
    read = info[RunKey.COUNTS].get(Metric.UNITS_READ, 0)
    done = info[RunKey.UNITS][RunKey.UNITS_DONE]
    if read == done:
        return None
    return f"{read} units read, {done} committed: the rows of the others are not in the output"
