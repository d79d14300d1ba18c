"""The whole pipeline on Beam's PortableRunner: a job service and an external SDK worker
pool, each a real process on loopback, as on Flink, Spark or Dataflow Runner v2. Its
Parquet outputs must equal the FnApiRunner's on the same input, row for row."""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from core.schemas import document_schema, error_schema, segment_schema
from pipeline.run import run
from tests.conftest import ROOT, SAMPLE_CORPUS
from tools.local_cluster import LocalCluster, local_cluster

ORDER = {
    "segments": "doc_id, segment_index",
    "documents": "doc_id",
    "errors": "source_path, doc_id, stage, paragraph_index, sentence_index",
}
# bundle-dependent counters (how many batches the runner's bundles made) are left out
DETERMINISTIC_COUNTS = (
    "documents_read",
    "documents_written",
    "paragraphs",
    "segments_passthrough",
    "segments_translated",
    "target_tokens",
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[tuple[Path, LocalCluster]]:
    """One local cluster (job service + worker pool) for the module's pipeline runs."""
    workdir = tmp_path_factory.mktemp("cluster")
    with local_cluster(workdir) as cluster:
        yield workdir, cluster


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The sample corpus plus documents that exercise errors and sentence splitting."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(SAMPLE_CORPUS, root, dirs_exist_ok=True)
    (root / "empty.txt").write_bytes(b"")
    (root / "binary.txt").write_bytes(b"\x00\x01\x02" * 40)
    (root / "long.txt").write_text("Ein Satz, der nicht kurz ist. " * 30 + "\n\nEnde.\n")
    return root


def translate(out: Path, model: Path, corpus: Path, *flags: str) -> dict:
    return run(
        [
            f"--config={ROOT / 'configs' / 'local.yaml'}",
            f"--model={model}",
            f"--input={corpus}/**",
            f"--output={out}",
            "--max_input_tokens=64",
            *flags,
        ]
    )


def rows(out: Path, table: str) -> list[tuple]:
    relation = duckdb.read_parquet(str(out / table / "*.parquet"))
    return relation.query("t", f"select * from t order by {ORDER[table]}").fetchall()


def test_portable_runner_outputs_equal_the_fnapi_runner(test_models, corpus, cluster, tmp_path):
    workdir, services = cluster
    model = test_models["swapcase"]
    local_info = translate(tmp_path / "fnapi", model, corpus)
    portable_info = translate(tmp_path / "portable", model, corpus, *services.pipeline_flags())
    # the pipeline ran in an SDK worker process that the external pool started
    assert "Starting worker with command" in (workdir / "worker_pool.log").read_text()
    assert "state DONE" in (workdir / "job_service.log").read_text()

    for table, schema in (
        ("segments", segment_schema),
        ("documents", document_schema),
        ("errors", error_schema),
    ):
        portable = rows(tmp_path / "portable", table)
        assert portable == rows(tmp_path / "fnapi", table), table
        assert portable, f"{table} is empty: the comparison would prove nothing"
        assert duckdb.read_parquet(str(tmp_path / "portable" / table / "*.parquet")).columns == (
            schema.names
        )
    segments = duckdb.read_parquet(str(tmp_path / "portable" / "segments" / "*.parquet"))
    summary = segments.query("t", "select status, bool_or(sentence_index > 0) from t group by all")
    assert dict(summary.fetchall()) == {"translated": True, "passthrough": False}

    run_json = json.loads((tmp_path / "portable" / "run.json").read_text())
    assert run_json["state"] == "DONE"
    assert run_json["pipeline_options"]["runner"] == "PortableRunner"
    for name in DETERMINISTIC_COUNTS:
        assert portable_info["counts"][name] == local_info["counts"][name] > 0, name


def test_local_cluster_stops_its_services(tmp_path):
    with local_cluster(tmp_path / "cluster") as cluster:
        ports = (cluster.job_port, cluster.worker_pool_port)
        for port in ports:
            socket.create_connection(("localhost", port), timeout=5).close()
    for port in ports:  # both services are gone: their ports refuse connections
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("localhost", port), timeout=5)


def test_local_cluster_startup_timeout_names_the_service(tmp_path):
    with (
        pytest.raises(TimeoutError, match="job_service did not start in time"),
        local_cluster(tmp_path / "cluster", startup_timeout=0),
    ):
        pass


@pytest.mark.parametrize("name", ["flink", "spark"])
def test_cluster_configs_run_on_the_local_portable_cluster(name, test_models, cluster, tmp_path):
    """configs/flink.yaml and spark.yaml as they are, with only the cluster's endpoints
    (given last on the command line, so they override the config's) and a local model."""
    info = run(
        [
            f"--config={ROOT / 'configs' / f'{name}.yaml'}",
            f"--model={test_models['copy']}",
            f"--input={SAMPLE_CORPUS}/**",
            f"--output={tmp_path / 'out'}",
            *cluster[1].pipeline_flags(),
        ]
    )
    assert info["pipeline_options"]["environment_type"] == "EXTERNAL"
    assert info["config"]["model"]["intra_threads"] == 2  # the config's, not this machine's
    documents = duckdb.read_parquet(str(tmp_path / "out" / "documents" / "*.parquet"))
    texts = documents.query("t", "select source_text, translated_text from t").fetchall()
    assert len(texts) == info["counts"]["documents_written"] == info["counts"]["documents_read"]
    assert all(source == translated for source, translated in texts)  # the copy model
