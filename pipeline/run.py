"""Command line: `python -m pipeline.run --config configs/local.yaml --input ... --output out/`."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    StandardOptions,
    TestOptions,
)
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from pipeline.audit import name_violations
from pipeline.beam_options import beam_flags
from pipeline.config import DEFAULT_MODEL, ConfigError, PipelineConfig, load_config
from pipeline.dataflow_job import describe_job
from pipeline.graph import build_pipeline
from pipeline.html_report import write_html_report
from pipeline.options import TranslationOptions
from pipeline.output import StagedOutput, new_run_id
from pipeline.progress import track_progress
from pipeline.report import format_summary
from pipeline.run_info import write_run_info
from pipeline.validate import validate_config
from transforms.model import ModelSettings
from transforms.model_store import is_local

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


def check_models(config: PipelineConfig) -> None:
    for name, model in config.model_table().items():
        for file in ("model.bin", model.source_spm, model.target_spm):
            if not FileSystems.exists(FileSystems.join(model.path, file)):
                key = "model.path" if name == DEFAULT_MODEL else f"models.{name}.path"
                raise ConfigError(
                    f"{key}: {model.path} has no {file}; build the test models with "
                    "`make models` or convert a model (README: Using a real model)"
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
    return {"output": config.output, "dataflow_job": describe_job(pipeline.run())}


def run(argv: list[str]) -> dict:
    """Runs the pipeline to completion and returns the run info written to run.json."""
    options = PipelineOptions(argv)
    translation = options.view_as(TranslationOptions)
    config = load_config(translation.config, translation.config_overrides())
    if config.beam_options:  # the command line overrides the config's Beam options
        options = PipelineOptions([*beam_flags(config.beam_options), *argv])
    runner = resolve_runner(options)
    local = isinstance(runner, FnApiRunner)
    workers = local_worker_count(options)
    if local:  # elsewhere each worker takes its own cores
        config = with_thread_defaults(config, workers)
    if options.view_as(TestOptions).dry_run:
        return dry_run(beam.Pipeline(runner=runner, options=options), config)
    check_models(config)
    validate_config(config, local, workers)
    output = StagedOutput(config.output, new_run_id())
    output.check(config.overwrite or config.incremental)
    previous_run = output.final if config.incremental and output.holds_run() else None
    started = time.time()
    pipeline = beam.Pipeline(runner=runner, options=options)
    staged = dataclasses.replace(config, output=output.staging)
    with track_progress(options, config.input, local) as progress_dir:
        build_pipeline(pipeline, staged, previous_run, progress_dir)
        result = pipeline.run()
        result.wait_until_finish()
    info = write_run_info(config, options, result, started, output.staging)
    if not info["accounting"]["ok"]:
        try:
            name_violations(staged, runner, options)
            info = write_run_info(config, options, result, started, output.staging)
        except Exception:  # noqa: BLE001 - the run fails as an accounting failure all the same
            LOG.exception("could not name the documents behind the accounting violation")
        raise AccountingError(
            f"documents lost or duplicated: {info['accounting']['violations']}; the run is "
            f"left in {output.staging} (errors/ rows with stage 'accounting'), "
            f"{config.output} is unchanged"
        )
    if "error" not in info["summary"]:
        write_html_report(output.staging, info["summary"], info)
    output.commit()
    return info


def main(argv: list[str] | None = None) -> int:
    # force: importing Beam already logged through (and so configured) the root logger
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", force=True
    )
    logging.getLogger("apache_beam").setLevel(logging.WARNING)
    try:
        info = run(sys.argv[1:] if argv is None else argv)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AccountingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    if "dataflow_job" in info:
        print(json.dumps(info["dataflow_job"], indent=2, default=str))
        return 0
    summary = info["summary"]
    print(summary["error"] if "error" in summary else format_summary(summary))
    counts = info["counts"]
    print(f"wrote {info['output']}: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
