"""Command line: `python -m pipeline.run --config configs/local.yaml --input ... --output out/`."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    StandardOptions,
    TestOptions,
)
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from backends import ModelSettings
from backends.store import is_local
from core.errors import ConfigError
from core.names import ExitCode, RunKey, SummaryKey
from pipeline.audit import name_violations
from pipeline.beam_options import beam_flags
from pipeline.cli import BEAM_HELP_FLAGS, HELP_FLAGS, beam_help_text, check_flags, help_text
from pipeline.config import PipelineConfig, config_text, load_config
from pipeline.dataflow_job import describe_job
from pipeline.graph import build_pipeline
from pipeline.lazy_gcp import enable_gcp_if_needed
from pipeline.options import TranslationOptions
from pipeline.outcome import MAX_FAILED_FRACTION, NoInputError, check_inputs, too_many_failures
from pipeline.output import StagedOutput, new_run_id, write_empty_tables
from pipeline.progress import track_progress
from pipeline.quality_gate import low_confidence_exit_code
from pipeline.resume import attempts_report, start_attempt, uncommitted
from pipeline.run_info import write_run_info
from pipeline.validate import check_run
from pipeline.write_documents import check_documents_dir, commit_documents, write_documents
from reports.html import write_html_report
from reports.summary import format_summary
from text.langid import identifier

LOG = logging.getLogger(__name__)

REFUSED_RUNNERS = {
    "DaskRunner": "Beam 2.77's Dask runner drops outputs emitted in finish_bundle and computes "
    "only the last leaf of the graph: it would lose translations. Use the DirectRunner, "
    "PortableRunner (Flink/Spark) or DataflowRunner.",
}


def resolve_runner(options: PipelineOptions) -> str | beam.runners.PipelineRunner:
    """The runner to use: the FnApiRunner for local runs, since the DirectRunner first
    tries Prism, which downloads a binary and fails offline."""
    name = options.view_as(StandardOptions).runner
    if name in (None, "DirectRunner", "direct"):
        return FnApiRunner()
    if name in REFUSED_RUNNERS:
        raise ConfigError(f"--runner={name} is refused: {REFUSED_RUNNERS[name]}")
    return name


def local_worker_count(options: PipelineOptions) -> int:
    direct = options.view_as(DirectOptions)
    if direct.direct_running_mode in ("multi_processing", "multi_threading"):
        return max(1, direct.direct_num_workers or os.cpu_count() or 1)
    return 1


def in_process(options: PipelineOptions, local: bool) -> bool:
    """The stages run in this process (not in worker processes or on a cluster)."""
    mode = options.view_as(DirectOptions).direct_running_mode
    return local and mode != "multi_processing"


def with_thread_defaults(config: PipelineConfig, workers: int) -> PipelineConfig:
    """Threads 0 mean: this machine's cores shared evenly by the local workers."""

    def resolved(model: ModelSettings) -> ModelSettings:
        inter, intra = model.resolved_threads(workers)
        return dataclasses.replace(model, inter_threads=inter, intra_threads=intra)

    return dataclasses.replace(
        config,
        model=resolved(config.model) if config.model else None,
        models={name: resolved(model) for name, model in config.models.items()},
    )


class AccountingError(RuntimeError):
    """The run finished but lost or duplicated documents; its output was not committed."""


def dry_run(pipeline: beam.Pipeline, config: PipelineConfig) -> dict:
    """Builds the Dataflow job offline: nothing is read, written or submitted."""
    runner = type(pipeline.runner).__name__
    if runner != "DataflowRunner":
        raise ConfigError(f"--dry_run builds a DataflowRunner job; it would run on {runner}")
    if not all(is_local(model.path) for model in config.model_table().values()):
        raise ConfigError("a dry run builds the job offline: give a local --model to take its id")
    build_pipeline(pipeline, config)
    return {RunKey.OUTPUT: config.output, RunKey.DATAFLOW_JOB: describe_job(pipeline.run())}


def run(argv: list[str]) -> dict:
    """Runs the pipeline to completion and returns the run info written to run.json."""
    check_flags(argv)
    options = PipelineOptions(argv)
    translation = options.view_as(TranslationOptions)
    enable_gcp_if_needed([*argv, config_text(translation.config)])
    config = load_config(translation.config, translation.config_overrides())
    if config.beam_options:  # the command line overrides the config's Beam options
        options = PipelineOptions([*beam_flags(config.beam_options), *argv])
    runner = resolve_runner(options)
    local = isinstance(runner, FnApiRunner)
    workers = local_worker_count(options)
    if local:  # elsewhere each worker takes its own cores
        config = with_thread_defaults(config, workers)
    if in_process(options, local) and not (config.language.source_lang or config.read.lang_field):
        identifier()  # starts loading: the stages find it ready
    if options.view_as(TestOptions).dry_run:
        return dry_run(beam.Pipeline(runner=runner, options=options), config)
    check_run(config, local, workers)
    check_documents_dir(config)
    check_inputs(config)  # after the config's own problems, which a user fixes first
    if config.resume and config.incremental:
        raise ConfigError("--resume continues a killed run; it does not combine with --incremental")
    output = StagedOutput(config.output, new_run_id())
    output.check(config.overwrite or config.incremental)
    previous_run = output.final if config.incremental and output.holds_run() else None
    started = time.time()
    # Incremental runs join with the previous output: their rows are written at the end.
    attempt = None if config.incremental else start_attempt(output, config, started)
    pipeline = beam.Pipeline(runner=runner, options=options)
    staged = dataclasses.replace(config, output=output.staging)
    committed = attempt.inputs_committed() if attempt else 0
    with track_progress(options, config.input, local, committed) as progress_dir:
        plan = attempt.plan if attempt else None
        build_pipeline(pipeline, staged, previous_run, progress_dir, plan)
        result = pipeline.run()
        result.wait_until_finish()
    write_empty_tables(output.staging)
    reused, units = (attempt.reused, attempts_report(attempt)) if attempt else (None, None)
    info = write_run_info(config, options, result, started, output.staging, reused, units)
    if units and (problem := uncommitted(info)):
        raise AccountingError(f"{problem}; the run is left in {output.staging}")
    if not info[RunKey.ACCOUNTING][RunKey.OK]:
        try:
            name_violations(staged, runner, options)
            info = write_run_info(config, options, result, started, output.staging, reused, units)
        except Exception:  # noqa: BLE001 - the run fails as an accounting failure all the same
            LOG.exception("could not name the documents behind the accounting violation")
        raise AccountingError(
            f"documents lost or duplicated: {info[RunKey.ACCOUNTING][RunKey.VIOLATIONS]}; "
            "the run is "
            f"left in {output.staging} (errors/ rows with stage 'accounting'), "
            f"{config.output} is unchanged"
        )
    if SummaryKey.ERROR not in info[RunKey.SUMMARY]:
        write_html_report(output.staging, info[RunKey.SUMMARY], info)
    documents = write_documents(config, output.staging, output.run_id)
    output.commit()
    commit_documents(documents, config.write_documents)
    return info


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if any(flag in argv for flag in HELP_FLAGS):
        print(help_text())
        return ExitCode.OK
    if any(flag in argv for flag in BEAM_HELP_FLAGS):
        print(beam_help_text())
        return ExitCode.OK
    # force: importing Beam already logged through (and so configured) the root logger
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    logging.getLogger("apache_beam").setLevel(logging.WARNING)
    try:
        info = run(argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.CONFIG
    except NoInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.NO_INPUT
    except AccountingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.ACCOUNTING
    if RunKey.DATAFLOW_JOB in info:
        print(json.dumps(info[RunKey.DATAFLOW_JOB], indent=2, default=str))
        return ExitCode.OK
    summary = info[RunKey.SUMMARY]
    error = summary.get(SummaryKey.ERROR)
    print(error if error else format_summary(summary))
    counts = ", ".join(f"{k}={v}" for k, v in sorted(info[RunKey.COUNTS].items()))
    print(f"wrote {info[RunKey.OUTPUT]}: {counts}")
    failures = too_many_failures(info[RunKey.OUTPUT], info[RunKey.CONFIG][MAX_FAILED_FRACTION])
    if failures:
        print(f"error: {failures}", file=sys.stderr)
        return ExitCode.TOO_MANY_FAILURES
    return low_confidence_exit_code(info)


if __name__ == "__main__":
    sys.exit(main())
