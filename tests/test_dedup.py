"""Deduplication: each distinct (route, text) segment is translated once per worker and
fanned out, and the output rows are exactly those of a run without it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import ROOT
from tests.test_pipeline_end_to_end import segment_rows, table, translate
from tools.build_test_models import swapcase_reference
from transforms.dedup import TranslationMemo, fan_out, translation_changes
from transforms.records import Segment, SegmentStatus

SIGNATURE = "Mit freundlichen Grüßen, Hanna Weber"
LONG = " ".join(f"Das ist der Satz Nummer {n} in einem langen Absatz." for n in range(12))
DOCUMENTS = {
    "a.txt": f"Erster Brief, erster Absatz.\n\n{SIGNATURE}\n\n{LONG}\n",
    "b.txt": f"Zweiter Brief.\r\n\r\n{SIGNATURE}\r\n\r\n  {LONG}",
    "c.txt": f"{SIGNATURE}\n\n\n{SIGNATURE}\n\nNur hier.\n",
}


def test_fan_out_keeps_the_occurrence_and_takes_the_translation():
    representative = Segment(
        doc_id="a",
        source_path="/a",
        encoding="utf-8",
        paragraph_index=3,
        source_text="Hallo",
        separator="\n\n",
        source_lang="de",
        target_lang="en",
        model_id="m",
        source_tokens=5,
        pieces=("H", "a", "l", "l", "o"),
    )
    result = representative.replace(
        status=SegmentStatus.TRANSLATED,
        translated_text="hALLO",
        score=-0.5,
        target_tokens=5,
        pieces=(),
        flags=("output_length_limit",),
    )
    occurrence = representative.replace(
        doc_id="b",
        source_path="/b",
        paragraph_index=0,
        sentence_index=2,
        prefix="  ",
        separator="\r\n",
        lang_score=0.4,
        flags=("lang_from_document",),
    )
    fanned = fan_out(occurrence, translation_changes(representative, result))
    assert fanned == occurrence.replace(
        status=SegmentStatus.TRANSLATED,
        translated_text="hALLO",
        score=-0.5,
        target_tokens=5,
        pieces=(),
        flags=("lang_from_document", "output_length_limit"),
    )


def test_memo_answers_waits_and_forgets_the_least_recently_used():
    def seg(text: str, doc: str) -> Segment:
        return Segment(
            doc_id=doc,
            source_path=f"/{doc}",
            encoding="utf-8",
            paragraph_index=0,
            source_text=text,
            separator="",
            target_lang="en",
            source_tokens=2,
        )

    def done(s: Segment) -> Segment:
        return s.replace(status=SegmentStatus.TRANSLATED, translated_text=s.source_text.upper())

    memo = TranslationMemo(capacity=1)
    first, second = seg("ja", "a"), seg("ja", "b")
    assert memo.known(first) is None and not memo.follows(first)  # first: to translate
    assert memo.known(second) is None and memo.follows(second)  # waits for the first
    assert list(memo.settle(first, done(first))) == [done(second)]
    assert memo.known(seg("ja", "c")) == done(seg("ja", "c"))
    other = seg("nein", "d")
    assert not memo.follows(other)
    assert list(memo.settle(other, done(other))) == []
    assert memo.known(seg("ja", "e")) is None  # evicted: capacity 1

    memo = TranslationMemo(capacity=4)  # generations of 2
    for text in ("a", "b"):
        memo.follows(seg(text, "x"))
        list(memo.settle(seg(text, "x"), done(seg(text, "x"))))
    assert memo.known(seg("a", "y")) == done(seg("a", "y"))  # a hit: into the newer one
    memo.follows(seg("c", "x"))
    list(memo.settle(seg("c", "x"), done(seg("c", "x"))))  # the generation with b goes
    assert memo.known(seg("b", "y")) is None
    assert memo.known(seg("a", "z")) == done(seg("a", "z"))


def config_without_dedup(tmp_path: Path) -> Path:
    config = yaml.safe_load((ROOT / "configs" / "local.yaml").read_text())
    config.setdefault("translate", {})["dedup"] = False
    path = tmp_path / "no-dedup.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_dedup_output_is_identical_and_the_fan_out_is_counted(test_models, tmp_path):
    corpus = tmp_path / "letters"
    corpus.mkdir()
    for name, text in DOCUMENTS.items():
        (corpus / name).write_text(text, newline="")
    flags = ("--source_lang=de", "--max_input_tokens=60")
    model = test_models["swapcase"]
    deduped = translate(tmp_path / "dedup", model, [f"{corpus}/*"], *flags)
    plain = translate(
        tmp_path / "plain",
        model,
        [f"{corpus}/*"],
        *flags,
        f"--config={config_without_dedup(tmp_path)}",
    )

    rows = segment_rows(deduped)
    assert rows == segment_rows(plain)
    assert {row["status"] for row in rows} == {"translated"}
    for row in rows:
        assert row["translated_text"] == swapcase_reference(row["source_text"])
    documents = {row["doc_id"]: row["translated_text"] for row in table(deduped, "documents")}
    assert documents == {name: swapcase_reference(text) for name, text in DOCUMENTS.items()}

    # Every occurrence after the first of a text is served by the fan-out.
    repeats = len(rows) - len({row["source_text"] for row in rows})
    assert repeats >= 3 + 12  # the signature 4 times, the long paragraph's sentences twice
    counts = json.loads((deduped / "run.json").read_text())["counts"]
    assert counts["segments_deduplicated"] == repeats
    assert counts["segments_translated"] == len(rows) - repeats
    saved = sum(row["source_tokens"] for row in rows) - sum(
        {row["source_text"]: row["source_tokens"] for row in rows}.values()
    )
    assert counts["dedup_source_tokens_saved"] == saved
    plain_counts = json.loads((plain / "run.json").read_text())["counts"]
    assert plain_counts["segments_translated"] == len(rows)
    assert plain_counts.get("segments_deduplicated", 0) == 0
