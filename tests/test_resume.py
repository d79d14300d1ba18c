"""Killed runs resume: committed units are neither read nor translated again, and the
output is the one an uninterrupted run writes, row for row."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.names import Metric, RunKey, SummaryKey, Table, UnitKey
from core.records import DocumentStatus, ErrorRecord, Segment, SegmentStatus, TranslatedDocument
from tests.conftest import ROOT, run_pipeline
from tests.test_pipeline_end_to_end import segment_rows, table
from transforms.commit import OpenUnit, Unit, UnitLedger, commit_unit, marker_path

FILES, DOCUMENTS_PER_FILE, UNIT_DOCUMENTS = 4, 40, 10
UNITS = FILES * DOCUMENTS_PER_FILE // UNIT_DOCUMENTS
FLAGS = (
    "--source_lang",
    "de",
    "--unit_documents",
    str(UNIT_DOCUMENTS),
    "--batch_token_budget",
    "64",
)


def write_corpus(corpus: Path) -> None:
    """JSONL files of distinct German documents (no two paragraphs alike, so that dedup
    saves nothing), one of them empty (refused) and one malformed line (a read error)."""
    corpus.mkdir()
    for f in range(FILES):
        lines = []
        for i in range(DOCUMENTS_PER_FILE):
            text = f"Dokument {f}-{i}: ein Absatz, der übersetzt wird.\n\nUnd ein zweiter {i}-{f}."
            lines.append(json.dumps({"text": "" if (f, i) == (1, 5) else text}))
        if f == 2:
            lines[17] = "{not json"
        (corpus / f"part{f}.jsonl").write_text("\n".join(lines) + "\n")


def start(model: Path, corpus: Path, out: Path, *flags: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipeline.run", "--input", f"{corpus}/*"]
    command += ["--output", str(out), "--model", str(model), *FLAGS, *flags]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def markers(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f"{out.name}.partial-*/_resume/units/*.json"))


def kill_after(process: subprocess.Popen, out: Path, units: int, total: int = UNITS) -> int:
    """SIGKILLs the run once `units` units are committed; returns how many were."""
    deadline = time.time() + 180
    while time.time() < deadline and process.poll() is None and len(markers(out)) < units:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    committed = len(markers(out))
    assert committed < total, "the run committed every unit before it could be killed"
    return committed


def finish(process: subprocess.Popen) -> str:
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr.decode()
    return stderr.decode()


def rows(out: Path) -> tuple:
    order = "select * from t order by all"
    return segment_rows(out), table(out, "documents", order), table(out, "errors", order)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("resume") / "corpus"
    write_corpus(directory)
    return directory


@pytest.fixture(scope="module")
def uninterrupted(test_models, corpus) -> Path:
    out = corpus.parent / "uninterrupted"
    info = run_pipeline([f"{corpus}/*"], out, test_models["swapcase"], *FLAGS)
    assert info[RunKey.UNITS][RunKey.UNITS_DONE] == UNITS
    return out


def simulate_a_kill_during_commit(out: Path) -> None:
    """The state a kill inside a unit's commit leaves: some of the unit's files written
    (one cut short), a temporary file, and no marker."""
    marker = markers(out)[0]
    staging = marker.parents[2]
    files = json.loads(marker.read_text())[UnitKey.FILES]
    marker.unlink()
    cut = staging / files[0]
    cut.write_bytes(cut.read_bytes()[:50])
    (staging / (files[0] + ".tmp-1-2")).write_bytes(b"partial")


def test_killed_runs_resume_to_the_rows_of_an_uninterrupted_run(
    test_models, corpus, uninterrupted, tmp_path
):
    out = tmp_path / "out"
    model = test_models["swapcase"]
    kill_after(start(model, corpus, out), out, 1)
    simulate_a_kill_during_commit(out)
    second = kill_after(start(model, corpus, out), out, UNITS // 2)
    assert not out.exists(), "a killed run left output in the final location"
    finish(start(model, corpus, out))

    assert rows(out) == rows(uninterrupted)
    left = {str(p.relative_to(out)) for p in out.rglob("*") if not p.match("*/*.parquet")}
    assert left == {"segments", "documents", "errors", "run.json", "report.html"}
    info = json.loads((out / "run.json").read_text())
    units = info[RunKey.UNITS]
    assert units[RunKey.UNITS_REUSED] == second
    assert units[RunKey.UNITS_REUSED] + units[RunKey.UNITS_DONE] == UNITS
    assert len(info[RunKey.ATTEMPTS]) == 3
    summary = info[RunKey.SUMMARY]
    assert (summary[SummaryKey.UNITS_REUSED], summary[SummaryKey.UNITS_DONE]) == (
        units[RunKey.UNITS_REUSED],
        units[RunKey.UNITS_DONE],
    )
    assert sum(a[RunKey.UNITS_COMMITTED] for a in info[RunKey.ATTEMPTS]) >= UNITS
    accounting = info[RunKey.ACCOUNTING]
    assert accounting[RunKey.OK]
    assert accounting[RunKey.DOCUMENTS_READ] == FILES * DOCUMENTS_PER_FILE - 1
    assert accounting[RunKey.DOCUMENTS_WRITTEN] == FILES * DOCUMENTS_PER_FILE - 2
    assert accounting[RunKey.DOCUMENTS_REFUSED] == accounting[RunKey.READ_ERRORS] == 1
    # The last attempt translated the segments of the units it committed, no more: each
    # unit's segments once over the attempts, as many as an uninterrupted run translates.
    translated = [a[Metric.SEGMENTS_TRANSLATED] for a in info[RunKey.ATTEMPTS]]
    assert info[RunKey.COUNTS][Metric.SEGMENTS_TRANSLATED] == translated[-1]
    full = json.loads((uninterrupted / "run.json").read_text())[RunKey.COUNTS]
    assert sum(translated) == full[Metric.SEGMENTS_TRANSLATED]
    assert translated[-1] < full[Metric.SEGMENTS_TRANSLATED]
    assert not list(tmp_path.glob("out.partial-*")), "the resumed run was moved into place"


def test_a_resume_with_other_settings_or_input_is_refused(test_models, tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus)
    out = tmp_path / "out"
    kill_after(start(test_models["swapcase"], corpus, out), out, 1)

    changed = start(test_models["swapcase"], corpus, out, "--resume", "--beam_size", "3")
    _, stderr = changed.communicate(timeout=120)
    assert changed.returncode == 2
    assert "settings that change the translation differ (models)" in stderr.decode()
    other_model = start(test_models["copy"], corpus, out, "--resume")
    _, stderr = other_model.communicate(timeout=120)
    assert other_model.returncode == 2 and "(models)" in stderr.decode()
    fewer = start(test_models["swapcase"], corpus, out, "--resume", "--unit_documents", "5")
    _, stderr = fewer.communicate(timeout=120)
    assert fewer.returncode == 2 and "unit_documents was 10, now 5" in stderr.decode()

    edited = Path(json.loads(markers(out)[0].read_text())[UnitKey.INPUTS][0])
    edited.write_text(edited.read_text() + json.dumps({"text": "Ein neues Dokument."}) + "\n")
    appended = start(test_models["swapcase"], corpus, out, "--resume")
    _, stderr = appended.communicate(timeout=120)
    assert appended.returncode == 2
    assert "input files were added, removed or changed size since" in stderr.decode()

    # Without --resume, a run with other settings starts over and lists the killed run.
    (killed,) = tmp_path.glob("out.partial-*")
    stderr = finish(start(test_models["copy"], corpus, out))
    assert f"rm -r {killed}" in stderr
    assert killed.exists(), "a killed run is listed, not deleted: its settings may resume it"
    info = json.loads((out / "run.json").read_text())
    assert info[RunKey.UNITS][RunKey.UNITS_REUSED] == 0


def test_a_unit_committed_twice_writes_its_rows_once(tmp_path):
    """A runner that retries a work item commits its units again: same names, same bytes."""
    state = OpenUnit(Unit("/data/a.jsonl", 3), expected=0, last=True)
    state.add_row(
        Table.ERRORS, ErrorRecord("/data/a.jsonl", "a.jsonl:31", "read", "MalformedJSON", "bad")
    )
    commit_unit(str(tmp_path), state, "run-1")
    first = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    commit_unit(str(tmp_path), state, "run-1")
    second = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert first == second
    assert len(table(tmp_path, Table.ERRORS)) == 1


def test_resume_does_not_combine_with_incremental(test_models, corpus, tmp_path):
    with pytest.raises(ConfigError, match="does not combine with --incremental"):
        run_pipeline(
            [f"{corpus}/*"], tmp_path / "out", test_models["copy"], "--incremental", "--resume"
        )


def test_one_document_files_are_committed_in_groups_and_resume(test_models, tmp_path):
    """Text files (one document each) are grouped by `unit_documents` in path order."""
    corpus = tmp_path / "texts"
    corpus.mkdir()
    for i in range(120):
        (corpus / f"doc{i:03}.txt").write_text(f"Text {i}: ein kurzer Absatz.\n\nZweiter {i}.")
    (corpus / "doc050.txt").write_text("")  # refused
    (corpus / "doc051.txt").write_bytes(b"\x00\x01binary")  # a read error
    total = 12
    full = tmp_path / "full"
    info = run_pipeline([f"{corpus}/*"], full, test_models["swapcase"], *FLAGS)
    assert info[RunKey.UNITS][RunKey.UNITS_DONE] == total
    assert len(list((full / "segments").glob("unit-*.parquet"))) == total

    out = tmp_path / "out"
    kill_after(start(test_models["swapcase"], corpus, out), out, 2, total)
    finish(start(test_models["swapcase"], corpus, out))
    assert rows(out) == rows(full)
    resumed = json.loads((out / "run.json").read_text())
    units = resumed[RunKey.UNITS]
    assert units[RunKey.UNITS_REUSED] >= 2
    assert units[RunKey.UNITS_REUSED] + units[RunKey.UNITS_DONE] == total
    assert resumed[RunKey.ACCOUNTING][RunKey.DOCUMENTS_READ] == 119


def test_the_ledger_commits_a_unit_only_once_every_row_of_it_is_there(tmp_path):
    """A refused document, and a written one whose failed segment's error row comes last."""
    ledger = UnitLedger()
    ledger.start(str(tmp_path), "run-1", targets=1)
    unit = Unit(("/data/a.jsonl",), 0)
    ledger.open(unit)
    for doc_id in ("a:1", "a:2"):
        ledger.read_document(unit, "/data/a.jsonl", doc_id)
    ledger.refused(ErrorRecord("/data/a.jsonl", "a:1", "split", "EmptyDocument", "empty"))
    ledger.read_all(unit, last=True)
    document = TranslatedDocument(
        "a:2", "/data/a.jsonl", "utf-8", "de", "en", "x\n\ny", "X\n\ny", 2, 1, 0, 0, 1,
        DocumentStatus.PARTIAL, "c", "s",
    )  # fmt: skip
    segments = [
        Segment("a:2", "/data/a.jsonl", "utf-8", i, text, "", 2, target_lang="en", segment_index=i)
        for i, text in enumerate(("x", "y"))
    ]
    marker = Path(marker_path(str(tmp_path), unit.id))
    ledger.document(document)
    ledger.segment(segments[0].replace(status=SegmentStatus.TRANSLATED, translated_text="X"))
    ledger.segment(segments[1].fail("translate", "RuntimeError", "boom"))
    assert not marker.exists(), "committed before the failed segment's error row arrived"
    ledger.segment_error(
        ErrorRecord("/data/a.jsonl", "a:2", "translate", "RuntimeError", "boom", 1, 0, "en")
    )
    assert marker.exists()
    counts = json.loads(marker.read_text())[UnitKey.COUNTS]
    assert counts[RunKey.DOCUMENTS_READ] == 2 and counts[RunKey.DOCUMENTS_REFUSED] == 1
    assert len(table(tmp_path, Table.SEGMENTS)) == 2 and len(table(tmp_path, Table.ERRORS)) == 2
    assert ledger.units == {} and ledger.documents == {}


def test_units_close_at_unit_bytes_too(test_models, tmp_path):
    """A unit's rows are held until it commits: its input bytes are capped as well."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = "Ein Absatz mit genau so vielen Wörtern, dass er hundert Bytes lang ist, fast."
    lines = [json.dumps({"text": f"{text} {i}"}) for i in range(10)]
    (corpus / "docs.jsonl").write_text("\n".join(lines) + "\n")
    size = len(f"{text} 0".encode())
    for i in range(5):
        (corpus / f"t{i}.txt").write_text(f"{text} {i}")
    flags = ["--source_lang", "de", "--set", f"commit.unit_bytes={2 * size}"]
    info = run_pipeline([f"{corpus}/*"], tmp_path / "out", test_models["copy"], *flags)
    # 10 documents by 2, and 5 text files (pattern order) by 2
    assert info[RunKey.UNITS][RunKey.UNITS_DONE] == 5 + 3
    assert info[RunKey.ACCOUNTING][RunKey.DOCUMENTS_WRITTEN] == 15
