"""A portable-runner cluster on this machine: Beam's job service and an SDK worker pool.

    python -m tools.local_cluster --config configs/local.yaml --output out/portable

starts both services on free loopback ports, runs `pipeline.run` with the rest of the
command line plus the PortableRunner flags, and stops both. The pipeline then runs the
way it does on Flink, Spark or Dataflow Runner v2: a job service translates it, and SDK
worker processes execute it over the Fn API (gRPC), each with its own DoFn instances.

The worker pool is Beam's `BeamFnExternalWorkerPoolServicer` (what `worker_pool_main`
serves) bound to 127.0.0.1: `worker_pool_main` binds every interface, and a worker pool
runs whatever pipeline code it is sent. Each service is its own process group, so
stopping it also stops the SDK worker processes it started.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

STARTUP_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class LocalCluster:
    job_port: int
    worker_pool_port: int

    def pipeline_flags(self) -> list[str]:
        """The options that send a pipeline to this cluster."""
        return [
            "--runner=PortableRunner",
            f"--job_endpoint=localhost:{self.job_port}",
            "--environment_type=EXTERNAL",
            f"--environment_config=localhost:{self.worker_pool_port}",
        ]


def serve_worker_pool(port_file: Path) -> None:
    """Serves an SDK worker pool on a free loopback port, written to `port_file`."""
    import grpc
    from apache_beam.portability.api import beam_fn_api_pb2_grpc
    from apache_beam.runners.worker.worker_pool_main import BeamFnExternalWorkerPoolServicer
    from apache_beam.utils import thread_pool_executor

    server = grpc.server(thread_pool_executor.shared_unbounded_instance())
    port = server.add_insecure_port("127.0.0.1:0")
    servicer = BeamFnExternalWorkerPoolServicer(use_process=True)
    beam_fn_api_pb2_grpc.add_BeamFnExternalWorkerPoolServicer_to_server(servicer, server)
    server.start()
    _write_atomically(port_file, str(port))
    server.wait_for_termination()


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.rename(path)


def _start(command: list[str], log: Path) -> subprocess.Popen:
    # The worker pool starts SDK workers as `python -c ...`: it must be this interpreter.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    with log.open("wb") as handle:
        return subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )


def _wait_for_port(process: subprocess.Popen, port_file: Path, log: Path, deadline: float) -> int:
    while not port_file.exists():
        if process.poll() is not None:
            raise RuntimeError(f"{log.stem} exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{log.stem} did not start in time:\n{_tail(log)}")
        time.sleep(0.05)
    return int(port_file.read_text())


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the service's process group, SIGKILL if it has not exited in time."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT_S)
    # the group's SDK workers may outlive their parent by a moment
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def local_cluster(
    workdir: Path, startup_timeout: float = STARTUP_TIMEOUT_S
) -> Iterator[LocalCluster]:
    """Starts the job service and a worker pool (logs in `workdir`); stops both on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + startup_timeout
    processes: list[subprocess.Popen] = []
    try:
        job_port_file = workdir / "job_service.port"
        job_log = workdir / "job_service.log"
        processes.append(
            _start(
                [
                    sys.executable,
                    "-m",
                    "apache_beam.runners.portability.local_job_service_main",
                    "--port=0",
                    f"--port_file={job_port_file}",
                    f"--staging_dir={workdir / 'staging'}",
                ],
                job_log,
            )
        )
        pool_port_file = workdir / "worker_pool.port"
        pool_log = workdir / "worker_pool.log"
        processes.append(
            _start(
                [
                    sys.executable,
                    "-m",
                    "tools.local_cluster",
                    "--serve_worker_pool",
                    str(pool_port_file),
                ],
                pool_log,
            )
        )
        yield LocalCluster(
            job_port=_wait_for_port(processes[0], job_port_file, job_log, deadline),
            worker_pool_port=_wait_for_port(processes[1], pool_port_file, pool_log, deadline),
        )
    finally:
        for process in processes:
            _stop(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], add_help=False)
    parser.add_argument("--serve_worker_pool", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cluster_dir", type=Path, help="where the services write their logs")
    known, pipeline_args = parser.parse_known_args(argv)
    if known.serve_worker_pool:
        serve_worker_pool(known.serve_worker_pool)
        return 0
    from pipeline.run import main as run_pipeline

    workdir = known.cluster_dir or Path(tempfile.mkdtemp(prefix="local-cluster-"))
    with local_cluster(workdir) as cluster:
        print(
            f"job service on localhost:{cluster.job_port}, worker pool on "
            f"localhost:{cluster.worker_pool_port}, logs in {workdir}",
            flush=True,
        )
        return run_pipeline([*pipeline_args, *cluster.pipeline_flags()])


if __name__ == "__main__":
    sys.exit(main())
