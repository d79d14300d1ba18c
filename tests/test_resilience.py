"""Hostile input, killed runs and repeated runs: nothing lost, nothing half-written,
the same rows every time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.run import run
from tests.conftest import ROOT, SAMPLE_CORPUS, run_pipeline
from tests.test_pipeline_end_to_end import segment_rows, table

HOSTILE_CHARS = st.one_of(
    st.characters(codec="utf-8"),
    st.sampled_from(
        [
            "\r\n",
            "\r",
            "\n",
            "\n\n",
            "\u200b",
            "\u200d",
            "\u202e",
            "\u200f",
            "\ufeff",
            "\x00",
            "\x1b",
            "\t",
            " ",
            "\u2028",
            "▁",
        ]
    ),
)
HOSTILE_TEXT = st.lists(HOSTILE_CHARS, max_size=300).map("".join)
HUGE_LINE = st.integers(1000, 6000).map(lambda n: ("Ein Wort. " * n)[:n])
DOCUMENT = st.one_of(
    HOSTILE_TEXT.map(lambda t: ("txt", t)),
    HUGE_LINE.map(lambda t: ("txt", t)),
    st.binary(max_size=300).map(lambda b: ("bytes", b)),
    HOSTILE_TEXT.map(lambda t: ("jsonl", t)),
    st.just(("jsonl", "lone \ud800 surrogate")),
)


def write_corpus(directory: Path, documents: list[tuple[str, object]]) -> dict[str, object]:
    """Writes the documents; returns {doc_id: text} for those that are valid text."""
    expected = {}
    lines = []
    for index, (kind, content) in enumerate(documents):
        if kind == "jsonl":
            lines.append(json.dumps({"text": content}))
            expected[f"docs.jsonl:{len(lines)}"] = content
            continue
        name = f"doc{index}.txt"
        data = content if kind == "bytes" else content.encode("utf-8", "surrogatepass")
        (directory / name).write_bytes(data)
        expected[name] = content
    if lines:
        (directory / "docs.jsonl").write_text("\n".join(lines) + "\n")
    return expected


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(documents=st.lists(DOCUMENT, min_size=1, max_size=8))
def test_hostile_documents_never_crash_and_round_trip(test_models, tmp_path_factory, documents):
    corpus = tmp_path_factory.mktemp("corpus")
    expected = write_corpus(corpus, documents)
    out = corpus.parent / (corpus.name + "-out")
    info = run_pipeline([f"{corpus}/*"], out, test_models["copy"], "--source_lang", "de")
    assert info["accounting"]["ok"]
    written = {r["doc_id"]: r for r in table(out, "documents")}
    refused = {r["doc_id"] for r in table(out, "errors") if r["stage"] in ("read", "split")}
    assert set(written) | refused == set(expected)
    assert not set(written) & refused
    for doc_id, row in written.items():
        assert row["translated_text"] == row["source_text"]
        if isinstance(expected[doc_id], str) and row["encoding"] == "utf-8":
            assert row["source_text"] == expected[doc_id]


def test_same_input_twice_gives_identical_rows(test_models, tmp_path):
    rows = []
    for attempt, mode in enumerate(
        ["in_memory", "in_memory", "multi_processing", "multi_processing"]
    ):
        out = tmp_path / f"out{attempt}"
        run(
            [
                "--config",
                str(ROOT / "configs" / "local.yaml"),
                "--output",
                str(out),
                "--model",
                str(test_models["swapcase"]),
                f"--input={SAMPLE_CORPUS}/**",
                f"--direct_running_mode={mode}",
                "--direct_num_workers=2",
            ]
        )
        rows.append((segment_rows(out), table(out, "documents", "select * from t order by doc_id")))
    assert all(r == rows[0] for r in rows[1:])


def start_run(model: Path, corpus: Path, out: Path, *flags: str) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "pipeline.run",
        "--input",
        f"{corpus}/*",
        "--output",
        str(out),
        "--model",
        str(model),
        "--source_lang",
        "de",
        *flags,
    ]
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )


DOCUMENTS = 150


def kill_when_writing(process: subprocess.Popen, out: Path) -> None:
    """SIGKILL the run once it has started writing its staged output (Beam's temporary
    shard directories appear there when the write is initialised)."""
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if any(out.parent.glob(f"{out.name}.partial-*/*/*")):
            break
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_a_killed_run_leaves_no_partial_output_and_reruns(test_models, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    paragraph = "Ein Absatz mit einigen Wörtern, der übersetzt werden muss. " * 2
    for index in range(DOCUMENTS):
        (corpus / f"doc{index:03}.txt").write_text(f"{index}. {paragraph}\n\n{paragraph}")
    out = tmp_path / "out"
    kill_when_writing(start_run(test_models["copy"], corpus, out), out)
    assert not out.exists()

    first = start_run(test_models["copy"], corpus, out)
    assert first.wait(timeout=300) == 0, first.stderr.read().decode()
    complete = snapshot(out)
    assert len(table(out, "documents")) == DOCUMENTS

    kill_when_writing(start_run(test_models["swapcase"], corpus, out, "--overwrite"), out)
    assert snapshot(out) == complete

    again = start_run(test_models["swapcase"], corpus, out, "--overwrite")
    assert again.wait(timeout=300) == 0, again.stderr.read().decode()
    assert len(table(out, "documents")) == DOCUMENTS
    assert snapshot(out) != complete
