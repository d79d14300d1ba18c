"""What a Dataflow dry run built: the job's stages, worker pool, experiments and options.

`--runner=DataflowRunner --dry_run=True` builds the job (graph, container image,
options) offline and submits nothing; Beam only fills in the job's environment (worker
pool, experiments, the options the workers receive) when it submits. `describe_job`
builds that environment the way submission does, without staging anything, so a test or
a user can see exactly what Dataflow would be sent.
"""

from __future__ import annotations

from typing import Any

from apache_beam.portability.api import beam_runner_api_pb2
from apache_beam.runners.runner import PipelineResult


def top_level_stages(proto: beam_runner_api_pb2.Pipeline) -> list[str]:
    """The names of the pipeline's outermost transforms, in the order they were applied."""
    transforms = proto.components.transforms
    (root,) = proto.root_transform_ids
    return [transforms[i].unique_name for i in transforms[root].subtransforms]


def describe_job(result: PipelineResult) -> dict[str, Any]:
    """The job a DataflowRunner dry run returned, as plain data."""
    from apache_beam.runners.dataflow.internal import apiclient

    job = result.job
    environment = apiclient.Environment(
        packages=[],  # nothing is staged: the project is installed in the container image
        options=job.options,
        environment_version=apiclient._FNAPI_ENVIRONMENT_MAJOR_VERSION,
        proto_pipeline_staged_url="(dry run: not staged)",
        proto_pipeline=job.proto_pipeline,
    ).proto
    (pool,) = environment.worker_pools
    return {
        "job_name": job.proto.name,
        "stages": top_level_stages(job.proto_pipeline),
        "worker_pool": {
            "machine_type": pool.machine_type,
            "num_workers": pool.num_workers,
            "max_num_workers": pool.autoscaling_settings.max_num_workers,
            "disk_size_gb": pool.disk_size_gb,
            "num_threads_per_worker": pool.num_threads_per_worker,
            "container_image": pool.worker_harness_container_image,
        },
        "experiments": sorted(environment.experiments),
        "options": job.options.get_all_options(drop_default=True),
    }
