"""Throughput counts only the tokens a model generated in the run: tokens reused from the
dedup memo or a previous run are reported apart, and the printed counters agree with the
summary's statuses."""

from __future__ import annotations

import json
from pathlib import Path

from core.names import ExitCode
from core.records import Segment, SegmentStatus
from pipeline.run import main
from tests.conftest import ROOT
from tests.test_guard import GERMAN, run_with
from transforms.report_progress import TARGET_TOKENS, count_segment

LOCAL = str(ROOT / "configs" / "local.yaml")
TEXT = "Die Stadtbibliothek öffnet am Montag.\n\nSie hat neue Bücher über Geschichte."


def summary_of(out: Path) -> dict:
    return json.loads((out / "run.json").read_text())["summary"]


def test_deduplicated_and_incremental_tokens_are_reused_not_generated(test_models, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for copy in range(3):
        (corpus / f"copy{copy}.txt").write_text(TEXT)
    out = tmp_path / "out"
    flags = ["--config", LOCAL, "--model", str(test_models["copy"]), "--input", f"{corpus}/*"]
    assert main([*flags, "--output", str(out), "--source_lang", "de"]) == ExitCode.OK
    info = json.loads((out / "run.json").read_text())
    total = info["summary"]["total"]
    assert total["target_tokens"] > 0
    # two of the three copies came from the memo: a third of the tokens was generated
    assert total["reused_target_tokens"] == 2 * total["target_tokens"] // 3
    assert total["generated_target_tokens"] == total["target_tokens"] // 3
    assert total["generated_target_tokens"] == info["counts"]["target_tokens"]
    wall = info["wall_seconds"]
    assert total["target_tokens_per_second"] == round(total["generated_target_tokens"] / wall, 1)
    (pair,) = info["summary"]["pairs"]
    assert pair["reused_target_tokens"] == total["reused_target_tokens"]

    again = [*flags, "--output", str(out), "--source_lang", "de", "--incremental"]
    assert main(again) == ExitCode.OK
    total = summary_of(out)["total"]
    assert total["generated_target_tokens"] == 0
    assert total["reused_target_tokens"] == total["target_tokens"] > 0
    assert total["target_tokens_per_second"] == 0


def test_printed_counters_agree_with_the_summary(test_models, tmp_path, capsys):
    out = run_with(tmp_path, test_models["loop"], GERMAN, guard={"retry_repetition_penalty": 1.0})
    info = json.loads((out / "run.json").read_text())
    total = info["summary"]["total"]
    assert total["failed"] == len(GERMAN) > 0 and total["translated"] == 0
    assert info["counts"]["segments_failed"] == total["failed"]
    assert info["counts"].get("segments_translated", 0) == total["translated"]
    assert info["counts"]["segments_decoded"] == len(GERMAN)


def test_progress_counts_only_generated_tokens():
    seg = Segment("d", "p", "utf-8", 0, "Hallo", "", status=SegmentStatus.TRANSLATED)
    assert count_segment(seg.replace(target_tokens=7))[TARGET_TOKENS] == 7
    assert count_segment(seg.replace(target_tokens=7, reused=True))[TARGET_TOKENS] == 0
