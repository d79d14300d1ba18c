"""The GPU path: batches sized by device, one model shared by a machine's worker processes
(`ctranslate2_shared`), and runs on a CUDA device (skipped, with the reason, without one)."""

from __future__ import annotations

import ctranslate2
import pyarrow.parquet as pq
import pytest

from backends import ModelSettings, backend_for
from backends.ct2 import CTranslate2Model, check_device
from backends.feeding import PendingGroups
from backends.shared import SharedModelClient, SharedTranslator
from core.errors import ConfigError
from inference import max_pending_tokens
from tests.conftest import SAMPLE_CORPUS, run_pipeline

GPUS = ctranslate2.get_cuda_device_count()
needs_gpu = pytest.mark.skipif(
    GPUS == 0, reason="needs a CUDA GPU that CTranslate2 sees (none here): `make bench-gpu`"
)


def segment_rows(out) -> list[dict]:
    rows = pq.read_table(out / "segments").to_pylist()
    return sorted(rows, key=lambda row: (row["doc_id"], row["segment_index"], row["target_lang"]))


def test_token_budget_and_compute_type_follow_the_device():
    cpu, gpu = ModelSettings(path="m"), ModelSettings(path="m", device="cuda")
    assert (cpu.resolved_token_budget(), gpu.resolved_token_budget()) == (8192, 65536)
    assert (cpu.resolved_compute_type(), gpu.resolved_compute_type()) == ("int8", "float16")
    assert max_pending_tokens(65536) == 16 * 65536
    assert ModelSettings(path="m", device_index=[1, 2]).resolved_device_index() == [1, 2]
    assert cpu.resolved_device_index() == [0]


def shared(model: CTranslate2Model, eager: bool = False) -> SharedModelClient:
    """A server and a worker's client on it, in this process (no proxies)."""
    server = SharedTranslator(model, PendingGroups(10**6, max_wait=0.05, eager=eager))
    return SharedModelClient(model.settings, lambda: server)


@pytest.mark.parametrize("eager", [False, True], ids=["stream", "bucket"])
def test_the_server_returns_each_worker_batch_its_own_translations(test_models, eager):
    """Batches merged into one model batch come back, each to its sender, exactly as the
    model translates them alone; the sender's thread never waits until it asks."""
    settings = ModelSettings(path=str(test_models["swapcase"]), inter_threads=1, intra_threads=1)
    model = CTranslate2Model(settings)
    client = shared(model, eager)
    texts = ["Hallo Welt.", "Bonjour le monde.", "Hola a todos.", "Xin chào.", "Guten Tag!"]
    batches = [[model.tokenizer.encode(text, None)] * 3 for text in texts * 40]
    pending = [client.submit(batch, ["en"] * 3) for batch in batches]
    for index, batch in enumerate(batches):
        result = pending[index].result()
        assert result == model.translate(batch, ["en"] * 3)
        assert result[0].text == texts[index % len(texts)].swapcase()


def test_a_failing_batch_fails_its_senders_and_the_server_goes_on(test_models):
    """The test models have position encodings for 4095 tokens: longer inputs raise."""
    settings = ModelSettings(path=str(test_models["swapcase"]), inter_threads=1, intra_threads=1)
    client = shared(CTranslate2Model(settings))
    with pytest.raises(Exception, match="."):
        client.translate([["▁a"] * 4200], ["en"])
    assert client.translate([["▁a"]], ["en"])[0].target_tokens >= 1


def test_workers_stream_small_batches_and_keep_a_window_at_the_server(test_models):
    model = str(test_models["swapcase"])
    stream = backend_for(ModelSettings(path=model, device="cuda", backend="ctranslate2_shared"))
    bucket = ModelSettings(
        path=model, device="cuda", backend="ctranslate2_shared", shared_feed="bucket"
    )
    assert (stream.token_budget(), backend_for(bucket).token_budget()) == (1024, 65536)
    client = shared(CTranslate2Model(ModelSettings(path=model, inter_threads=1)))
    assert client.max_in_flight_tokens(1024) == 2 * 1024  # no window given: two per replica
    with pytest.raises(ConfigError, match="shared_feed must be one of stream, bucket"):
        backend_for(ModelSettings(path=model, backend="ctranslate2_shared", shared_feed="x")).check(
            "model", local=False
        )


@pytest.mark.parametrize("feed", ["stream", "bucket"])
def test_shared_model_across_worker_processes_gives_the_rows_of_one_model_each(
    test_models, tmp_path, feed
):
    model = test_models["swapcase"]
    inputs = [f"{SAMPLE_CORPUS}/**"]
    processes = ("--direct_running_mode=multi_processing", "--direct_num_workers=2")
    flags = ("--backend=ctranslate2_shared", f"--set=model.shared_feed={feed}", *processes)
    shared = run_pipeline(inputs, tmp_path / "shared", model, *flags)
    alone = run_pipeline(inputs, tmp_path / "alone", model)
    assert shared["counts"]["segments_translated"] == alone["counts"]["segments_translated"] > 0
    assert segment_rows(tmp_path / "shared") == segment_rows(tmp_path / "alone")


def test_a_gpu_that_does_not_exist_is_refused():
    model = ModelSettings(path="m", device="cuda", device_index=[GPUS + 3])
    message = "device_index: GPU" if GPUS else "sees no CUDA device"
    with pytest.raises(ConfigError, match=message):
        check_device(model, "model")


@needs_gpu
def test_cuda_run_gives_the_rows_of_a_cpu_run(test_models, tmp_path):
    model = test_models["swapcase"]
    inputs = [f"{SAMPLE_CORPUS}/**"]
    for backend in ("ctranslate2", "ctranslate2_shared"):
        run_pipeline(inputs, tmp_path / backend, model, "--device=cuda", f"--backend={backend}")
    run_pipeline(inputs, tmp_path / "cpu", model)
    cpu = [(r["doc_id"], r["status"], r["translated_text"]) for r in segment_rows(tmp_path / "cpu")]
    for backend in ("ctranslate2", "ctranslate2_shared"):
        rows = segment_rows(tmp_path / backend)
        assert [(r["doc_id"], r["status"], r["translated_text"]) for r in rows] == cpu


@needs_gpu
def test_one_model_copy_per_gpu(test_models):
    settings = ModelSettings(path=str(test_models["copy"]), device="cuda")
    model = backend_for(settings).load_model()
    assert model.replicas == GPUS  # one replica on each GPU, batches spread over them
