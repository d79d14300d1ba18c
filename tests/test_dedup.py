"""Deduplication: each distinct (route, text) segment is translated once per worker and
fanned out, and the output rows are exactly those of a run without it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

from core.records import Segment, SegmentStatus
from inference.memo import (
    VALUE_BYTES_PER_ENTRY,
    MemoGeneration,
    TranslationMemo,
    fan_out,
    translation_changes,
)
from tests.conftest import ROOT
from tests.test_pipeline_end_to_end import segment_rows, table, translate
from tools.build_test_models import swapcase_reference

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


def memo_segment(text: str, doc: str) -> Segment:
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


def upper(s: Segment) -> Segment:
    return s.replace(
        status=SegmentStatus.TRANSLATED,
        translated_text=s.source_text.upper(),
        score=-0.25,
        target_tokens=len(s.source_text),
        model_id="m",
    )


def remember(memo: TranslationMemo, text: str) -> None:
    first = memo_segment(text, "x")
    assert memo.known(first) is None and not memo.follows(first)
    assert list(memo.settle(first, upper(first))) == []


def test_memo_answers_waits_and_forgets_the_least_recently_used():
    seg = memo_segment
    memo = TranslationMemo(capacity=2)  # generations of 1
    first, second = seg("ja", "a"), seg("ja", "b")
    assert memo.known(first) is None and not memo.follows(first)  # first: to translate
    assert memo.known(second) is None and memo.follows(second)  # waits for the first
    assert list(memo.settle(first, upper(first))) == [upper(second)]
    assert memo.known(seg("ja", "c")) == upper(seg("ja", "c"))
    remember(memo, "nein")
    remember(memo, "drei")  # the generation with ja goes
    assert memo.known(seg("ja", "e")) is None

    memo = TranslationMemo(capacity=4)  # generations of 2
    for text in ("a", "b", "c"):  # c starts a generation
        remember(memo, text)
    assert memo.known(seg("a", "y")) == upper(seg("a", "y"))  # a hit: copied to the newer
    remember(memo, "d")  # the generation with a and b goes
    assert memo.known(seg("b", "y")) is None
    assert memo.known(seg("a", "z")) == upper(seg("a", "z"))


def test_a_generation_finds_every_key_and_is_full_by_entries_or_value_bytes():
    rng = random.Random(7)
    generation = MemoGeneration(200)
    stored = {rng.randbytes(16): rng.randbytes(rng.randint(1, 200)) for _ in range(200)}
    for key, value in stored.items():
        assert generation.put(key, value)
    assert all(generation.get(key) == value for key, value in stored.items())
    assert generation.get(rng.randbytes(16)) is None
    assert not generation.put(rng.randbytes(16), b"x")  # 200 entries

    generation = MemoGeneration(2)
    assert not generation.fits(bytes(2 * VALUE_BYTES_PER_ENTRY + 1))
    assert generation.put(b"k" * 16, bytes(2 * VALUE_BYTES_PER_ENTRY - 1))
    assert not generation.put(b"l" * 16, b"xy")  # one byte of room left
    assert generation.put(b"l" * 16, b"x")


def test_what_the_memo_cannot_pack_is_translated_again(monkeypatch):
    monkeypatch.setattr("inference.memo.MAX_SHARED_PARTS", 1)
    memo = TranslationMemo(capacity=4)
    remember(memo, "a")
    failing = memo_segment("b", "x")
    assert not memo.follows(failing)
    failed = failing.fail("translate", "ValueError", "a message of its own")
    assert list(memo.settle(failing, failed)) == []
    assert memo.known(memo_segment("b", "y")) is None  # a second shared part: not kept
    assert memo.known(memo_segment("a", "y")) == upper(memo_segment("a", "y"))

    memo = TranslationMemo(capacity=2)
    remember(memo, "a")
    huge = memo_segment("h" * (VALUE_BYTES_PER_ENTRY + 10), "x")
    assert not memo.follows(huge)
    assert list(memo.settle(huge, upper(huge))) == []
    assert memo.known(memo_segment("h" * (VALUE_BYTES_PER_ENTRY + 10), "y")) is None
    assert memo.known(memo_segment("a", "y")) is not None  # its generation stays


def test_failures_with_their_own_messages_share_one_part(monkeypatch):
    monkeypatch.setattr("inference.memo.MAX_SHARED_PARTS", 2)
    memo = TranslationMemo(capacity=8)
    remember(memo, "a")
    failed = {}
    for text in ("b", "c", "d"):
        first = memo_segment(text, "x")
        assert not memo.follows(first)
        failed[text] = first.fail("translate", "ValueError", f"no {text}")
        assert list(memo.settle(first, failed[text])) == []
    for text, first in failed.items():
        assert memo.known(memo_segment(text, "y")) == first.replace(doc_id="y", source_path="/y")
    assert memo.known(memo_segment("a", "y")) == upper(memo_segment("a", "y"))


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
    assert counts["segments_decoded"] == len(rows) - repeats
    assert counts["segments_translated"] == len(rows)  # final statuses, as the summary
    saved = sum(row["source_tokens"] for row in rows) - sum(
        {row["source_text"]: row["source_tokens"] for row in rows}.values()
    )
    assert counts["dedup_source_tokens_saved"] == saved
    plain_counts = json.loads((plain / "run.json").read_text())["counts"]
    assert plain_counts["segments_translated"] == len(rows)
    assert plain_counts.get("segments_deduplicated", 0) == 0
