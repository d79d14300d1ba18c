"""Cluster recipes: the Dataflow job built offline (DataflowRunner --dry_run=True), the
`beam_options:` of configs/*.yaml, and the SDK container's Dockerfile."""

from __future__ import annotations

import re
import sys

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import FlinkRunnerOptions, PipelineOptions

from core.errors import ConfigError
from pipeline.beam_options import beam_flags
from pipeline.config import load_config
from pipeline.dataflow_job import top_level_stages
from pipeline.graph import build_pipeline
from pipeline.run import run
from tests.conftest import ROOT

CONFIGS = ROOT / "configs"
IMAGE = "registry.example/corpus-translate:0.1.0"
DRY_RUN = [
    f"--config={CONFIGS / 'dataflow.yaml'}",
    "--dry_run=True",
    "--project=example-project",
    "--temp_location=gs://example-bucket/tmp",
    f"--sdk_container_image={IMAGE}",
    "--input=gs://example-bucket/corpus/**",
    "--output=gs://example-bucket/translations",
]


def graph_stages(config) -> list[str]:
    """The stages our graph has, built on a plain pipeline that is never run."""
    pipeline = beam.Pipeline(runner="FnApiRunner")
    build_pipeline(pipeline, config)
    return top_level_stages(pipeline.to_runner_api())


def test_dataflow_job_has_our_stages_worker_pool_and_options(test_models):
    model = str(test_models["swapcase"])
    job = run([*DRY_RUN, f"--model={model}"])["dataflow_job"]
    config = load_config(
        str(CONFIGS / "dataflow.yaml"), {"model.path": model, "input": "x", "output": "y"}
    )
    assert job["stages"] == graph_stages(config)
    assert {"ReadDocuments", "TranslateSegments", "WriteOutputs"} <= set(job["stages"])
    assert job["worker_pool"] == {
        "machine_type": "n2-standard-8",
        "num_workers": 0,
        "max_num_workers": 20,
        "disk_size_gb": 50,
        "num_threads_per_worker": 4,
        "container_image": IMAGE,
    }
    assert {"no_use_multiple_sdk_containers", "use_runner_v2"} <= set(job["experiments"])
    assert "use_multiple_sdk_containers" not in job["experiments"]
    options = job["options"]
    assert options["runner"] == "DataflowRunner" and options["region"] == "us-central1"
    assert options["input"] == ["gs://example-bucket/corpus/**"]
    assert options["output"] == "gs://example-bucket/translations"
    assert options["model"] == model


def test_command_line_overrides_the_configs_beam_options(test_models):
    job = run(
        [
            *DRY_RUN,
            f"--model={test_models['copy']}",
            "--machine_type=n2-highmem-16",
            "--experiments=enable_prime",
        ]
    )["dataflow_job"]
    assert job["worker_pool"]["machine_type"] == "n2-highmem-16"
    assert {"enable_prime", "no_use_multiple_sdk_containers"} <= set(job["experiments"])


def test_dataflow_config_matches_one_model_copy_per_worker():
    """The sizing rule the README gives: one SDK process per VM, one batch per harness
    thread, and the model's threads exactly fill the machine's vCPUs."""
    config = load_config(str(CONFIGS / "dataflow.yaml"), {"input": "x", "output": "y"})
    beam_options, model = config.beam_options, config.model
    vcpus = int(beam_options["machine_type"].rsplit("-", 1)[1])
    assert "no_use_multiple_sdk_containers" in beam_options["experiments"]
    assert beam_options["number_of_worker_harness_threads"] == model.inter_threads
    assert model.inter_threads * model.intra_threads == vcpus


def test_dry_run_refuses_what_it_cannot_do_offline(test_models):
    with pytest.raises(ConfigError, match="give a local --model"):
        run([*DRY_RUN, "--model=gs://example-bucket/models/m"])
    with pytest.raises(ConfigError, match="it would run on FnApiRunner"):
        run(
            [
                f"--config={CONFIGS / 'local.yaml'}",
                "--dry_run=True",
                f"--model={test_models['copy']}",
                "--output=/nonexistent/out",
            ]
        )


@pytest.mark.parametrize("name", ["flink", "spark"])
def test_portable_cluster_configs_are_valid(name):
    config = load_config(str(CONFIGS / f"{name}.yaml"), {"input": "x", "output": "y"})
    options = PipelineOptions(beam_flags(config.beam_options)).get_all_options()
    assert options["runner"] == "PortableRunner"
    assert options["job_endpoint"] == "localhost:8099"
    assert options["environment_type"] == "DOCKER"
    assert options["environment_config"].endswith("/corpus-translate:0.1.0")
    assert int(options["sdk_worker_parallelism"]) == 1  # Beam parses it as a string
    # the job server the comment starts is the one for this Beam version
    server = re.search(r"apache/beam_(\w+?)([\d.]*)_job_server:(\S+)", config_text(name))
    assert server.group(1) == name and server.group(3) == beam.__version__
    if name == "flink":
        assert server.group(2) in FlinkRunnerOptions.PUBLISHED_FLINK_VERSIONS


def config_text(name: str) -> str:
    return (CONFIGS / f"{name}.yaml").read_text()


def test_beam_options_are_checked():
    assert beam_flags(
        {"experiments": ["a", "b"], "no_use_public_ips": True, "streaming": False}
    ) == [
        "--experiments=a",
        "--experiments=b",
        "--no_use_public_ips",
    ]
    with pytest.raises(ConfigError, match="beam_options.machine_typo is not a Beam"):
        beam_flags({"machine_typo": "n2-standard-8"})
    with pytest.raises(ConfigError, match="beam_options.model is a pipeline setting"):
        beam_flags({"model": "gs://b/m"})
    with pytest.raises(ConfigError, match="must be a mapping"):
        beam_flags(["--runner=DataflowRunner"])


def test_dockerfile_builds_on_the_beam_sdk_image_of_our_versions():
    dockerfile = (ROOT / "Dockerfile").read_text()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"FROM apache/beam_python{python}_sdk:{beam.__version__}\n" in dockerfile
    copied = set(re.findall(r"^COPY (?:\S+ )*?(\w+)/ ", dockerfile, re.MULTILINE))
    assert {"pipeline", "transforms", "tools", "configs"} <= copied
    for directory in copied:
        assert (ROOT / directory).is_dir()
    assert "ENTRYPOINT" not in dockerfile  # Beam's boot entrypoint must stay
