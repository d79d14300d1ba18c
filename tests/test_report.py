"""The run summary (run.json, `python -m reports`) and report.html, checked against
the route/status metrics and the Parquet tables, and rendered in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest

from reports.__main__ import main as report_main
from tests.conftest import ROOT
from tests.test_pipeline_end_to_end import table

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_summary_agrees_with_the_route_metrics_and_the_tables(report_run):
    info = json.loads((report_run / "run.json").read_text())
    summary = info["summary"]
    from_metrics = {
        (r["source_lang"], r["target_lang"], r["status"]): r["segments"]
        for r in info["segments_by_route"]
    }
    from_parquet = {
        (pair["source_lang"], pair["target_lang"], status): pair[status]
        for pair in summary["pairs"]
        for status in ("translated", "passthrough", "untranslated", "failed")
        if pair[status]
    }
    assert from_parquet == from_metrics
    assert {(p["source_lang"], p["target_lang"]) for p in summary["pairs"]} >= {
        ("de", "en"), ("fr", "en"), ("es", "en"), ("vi", "en"), ("en", "en")
    }  # fmt: skip
    documents = table(report_run, "documents")
    assert summary["total"]["documents"] == len(documents) == info["counts"]["documents_written"]
    assert summary["total"]["segments"] == len(table(report_run, "segments"))
    assert summary["total"]["target_tokens"] == info["counts"]["target_tokens"]
    assert summary["total"]["documents_unread"] == 1  # binary.txt; empty.txt has no segments
    errors = {(e["stage"], e["error_type"]): e["count"] for e in summary["errors"]}
    assert errors == {("read", "BinaryFile"): 1, ("split", "EmptyDocument"): 1}
    reasons = {r["reason"]: r["segments"] for r in summary["untranslated_reasons"]}
    assert set(reasons) == {"no route for es → en", "no route for vi → en"}
    assert summary["wall_seconds"] == info["wall_seconds"] > 0
    rate = summary["total"]["target_tokens_per_second"]
    assert rate == round(summary["total"]["target_tokens"] / info["wall_seconds"], 1)


def test_report_command_prints_the_summary_of_an_output_directory(report_run):
    info = json.loads((report_run / "run.json").read_text())
    printed = subprocess.run(
        [sys.executable, "-m", "reports", str(report_run)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert lines[0] == f"Run summary of {report_run} (wall time {info['wall_seconds']:.1f} s)"
    rows = {line.split("  ")[0].strip(): line.split() for line in lines[2:8]}
    total = info["summary"]["total"]
    assert rows["total"][1:4] == [str(total["documents"]), str(total["segments"]),
                                  str(total["translated"])]  # fmt: skip
    assert "errors: 1 × read/BinaryFile" in lines
    assert any(line.startswith("untranslated: ") and "es → en" in line for line in lines)


def test_report_json_html_and_a_directory_that_is_no_output(report_run, tmp_path, capsys):
    info = json.loads((report_run / "run.json").read_text())
    assert report_main([str(report_run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == info["summary"]

    copy = tmp_path / "copy"
    shutil.copytree(report_run, copy)
    (copy / "run.json").unlink()
    (copy / "report.html").unlink()
    assert report_main([str(copy), "--html"]) == 0
    assert "(no run.json: no wall time)" in capsys.readouterr().out
    assert (copy / "report.html").exists()

    assert report_main([str(tmp_path / "nothing-here")]) == 2
    assert "an output directory of the pipeline" in capsys.readouterr().err


class Tables(HTMLParser):
    """Text of every table cell, by table id and row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.table: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self.table = dict(attrs).get("id")
            self.tables[self.table] = []
        elif tag == "tr" and self.table:
            self.tables[self.table].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.table:
            self.tables[self.table][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def test_html_report_renders_in_headless_chromium(report_run, tmp_path):
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium")
        pytest.skip("headless Chromium not installed (apt-get install chromium)")
    page = report_run / "report.html"
    source = page.read_text()
    assert not re.search(r"<script|<link|src=|https?://(?!www\.w3\.org/2000/svg)", source)
    rendered = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr[-2000:]
    parser = Tables()
    parser.feed(rendered.stdout)
    summary = {row[0]: row for row in parser.tables["summary"][1:]}
    info = json.loads((report_run / "run.json").read_text())
    for pair in info["summary"]["pairs"]:
        row = summary[f"{pair['source_lang']} → {pair['target_lang']}"]
        assert row[1:7] == [
            str(pair[c])
            for c in (
                "documents",
                "segments",
                "translated",
                "passthrough",
                "untranslated",
                "failed",
            )
        ]
    assert summary["total"][2] == str(info["summary"]["total"]["segments"])
    errors = {row[1]: row[2] for row in parser.tables["errors"][1:]}
    assert errors == {"BinaryFile": "1", "EmptyDocument": "1"}
    with_tokens = [r for r in table(report_run, "segments") if r["source_tokens"] is not None]
    longest = sorted((r["source_tokens"] for r in with_tokens), reverse=True)[:10]
    assert [int(row[4]) for row in parser.tables["longest"][1:]] == longest
    assert len(parser.tables["lowest"]) > 1
    assert rendered.stdout.count("<rect") > 2  # the two histograms
