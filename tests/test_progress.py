"""Live progress: one updating line on a terminal, periodic log lines without one, counted
by the workers themselves (in this process or in multi_processing worker processes)."""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.progress import count_corpus_documents
from tests.conftest import ROOT, SAMPLE_CORPUS

SAMPLE_DOCUMENTS = 10


def pipeline_command(model: Path, out: Path, *flags: str) -> list[str]:
    return [
        sys.executable, "-m", "pipeline.run",
        "--config", str(ROOT / "configs" / "local.yaml"),
        "--model", str(model),
        "--output", str(out),
        *flags,
    ]  # fmt: skip


def run_in_terminal(command: list[str], timeout: float = 180) -> str:
    """Runs `command` with a pseudo-terminal as stdout and stderr; returns what it showed."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    process = subprocess.Popen(command, cwd=ROOT, stdout=terminal, stderr=terminal)
    os.close(terminal)
    shown, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the process closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    process.wait(timeout=max(1.0, deadline - time.monotonic()))
    os.close(controller)
    assert process.returncode == 0, shown.decode(errors="replace")[-3000:]
    return shown.decode("utf-8", errors="replace")


def test_a_terminal_shows_one_updating_progress_line(test_models, tmp_path):
    shown = run_in_terminal(pipeline_command(test_models["swapcase"], tmp_path / "out"))
    updates = [u for u in re.split(r"[\r\n]+", shown) if u.startswith("translating:")]
    assert len(updates) > 1, shown[-3000:]  # redrawn in place with \r, not line after line
    assert "\rtranslating:" in shown
    final = updates[-1]
    assert f"{SAMPLE_DOCUMENTS}/{SAMPLE_DOCUMENTS}" in final and "100%" in final
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    counts = info["counts"]
    segments = counts["segments_translated"] + counts["segments_passthrough"]
    assert f"{segments} segments, 0 failed" in final
    assert "progress:" not in shown  # no log lines on a terminal
    assert f"Run summary of {tmp_path / 'out'}" in shown


def test_without_a_terminal_multi_processing_workers_report_log_lines(test_models, tmp_path):
    out = tmp_path / "out"
    finished = subprocess.run(
        pipeline_command(
            test_models["swapcase"], out,
            "--direct_running_mode=multi_processing", "--direct_num_workers=2",
            "--progress_interval=0.5",
        ),
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    lines = [line for line in finished.stderr.splitlines() if " progress: " in line]
    assert len(lines) >= 2, finished.stderr[-3000:]
    assert "translating:" not in finished.stderr
    counts = json.loads((out / "run.json").read_text())["counts"]
    expected = (
        f"progress: {SAMPLE_DOCUMENTS}/{SAMPLE_DOCUMENTS} documents (100%), "
        f"{counts['segments_translated'] + counts['segments_passthrough']} segments "
        f"({counts['segments_translated']} translated, {counts['segments_passthrough']} "
        "passthrough, 0 untranslated, 0 failed), "
    )
    assert expected in lines[-1]
    assert re.search(r"\d+ target tokens/s", lines[-1])
    assert finished.stdout.startswith(f"Run summary of {out}")


def test_the_corpus_total_counts_what_the_reader_will_produce(tmp_path):
    (tmp_path / "a.txt").write_text("one document")
    # A blank line is no document: the reader skips it, and so does the count.
    (tmp_path / "b.jsonl").write_text('{"text": "1"}\n\n{"text": "2"}\n{"text": "3"}')
    with gzip.open(tmp_path / "c.jsonl.gz", "wt") as handle:
        handle.write('{"text": "1"}\n{"text": "2"}\n')
    pq.write_table(pa.table({"text": ["a", "b", "c", "d"]}), tmp_path / "d.parquet")
    (tmp_path / "e.pdf").write_bytes(b"%PDF")  # unsupported: one error row
    assert count_corpus_documents([f"{tmp_path}/*"]) == 1 + 3 + 2 + 4 + 1
    assert count_corpus_documents([f"{SAMPLE_CORPUS}/**"]) == SAMPLE_DOCUMENTS
