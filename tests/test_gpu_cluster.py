"""The GPU cluster recipe: the Dataflow GPU job built offline (DataflowRunner --dry_run=True)
from configs/dataflow-gpu.yaml, and the GPU container's Dockerfile, checked statically (base
images cannot be pulled here)."""

from __future__ import annotations

import re
import sys

import apache_beam as beam

from pipeline.config import load_config
from pipeline.run import run
from tests.conftest import ROOT
from tests.test_clusters import DRY_RUN, graph_stages

CONFIG = ROOT / "configs" / "dataflow-gpu.yaml"
IMAGE = "registry.example/corpus-translate-gpu:0.1.0"


def test_dataflow_gpu_job_has_our_stages_an_l4_and_one_shared_model(test_models):
    model = str(test_models["swapcase"])
    mine = {"--config": str(CONFIG), "--sdk_container_image": IMAGE}
    flags = [
        f"{name}={mine[name]}" if name in mine else flag
        for flag in DRY_RUN
        for name in [flag.split("=", 1)[0]]
    ]
    job = run([*flags, f"--model={model}"])["dataflow_job"]
    config = load_config(str(CONFIG), {"model.path": model, "input": "x", "output": "y"})
    assert job["stages"] == graph_stages(config)
    assert job["worker_pool"]["machine_type"] == "g2-standard-16"
    assert job["worker_pool"]["num_threads_per_worker"] == 1  # a feeder per SDK process
    assert job["worker_pool"]["container_image"] == IMAGE
    assert job["options"]["dataflow_service_options"] == [
        "worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver"
    ]
    # one SDK process per vCPU, all feeding the one model on the GPU
    assert "use_multiple_sdk_containers" in job["experiments"]
    assert (config.model.device, config.model.backend) == ("cuda", "ctranslate2_shared")
    assert config.model.shared_feed == "stream"  # workers stream small batches to the server
    assert config.model.resolved_compute_type() == "float16"
    assert config.model.resolved_token_budget() == 65536


def test_gpu_dockerfile_ships_cuda_12_cublas_on_the_beam_sdk_image():
    dockerfile = (ROOT / "Dockerfile.gpu").read_text()
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert f"FROM apache/beam_python{python}_sdk:{beam.__version__}\n" in dockerfile
    # the ctranslate2 wheel loads libcublas.so.12: the CUDA 12 package, where the loader looks
    assert re.search(r'"nvidia-cublas-cu12>=12\.\d+,<13"', dockerfile)
    library_path = re.search(r"^ENV LD_LIBRARY_PATH=(\S+)$", dockerfile, re.MULTILINE).group(1)
    assert library_path == f"/usr/local/lib/python{python}/site-packages/nvidia/cublas/lib"
    assert "ENTRYPOINT" not in dockerfile  # Beam's boot entrypoint must stay
    # the same project as the CPU image
    copied = set(re.findall(r"^COPY .*$", dockerfile, re.MULTILINE))
    assert copied == set(re.findall(r"^COPY .*$", (ROOT / "Dockerfile").read_text(), re.MULTILINE))
