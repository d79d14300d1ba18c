"""Protected spans: found, masked, passed through the real test models, restored exactly;
damaged placeholders flagged and put back; fenced code never reaches the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to
from hypothesis import given, settings
from hypothesis import strategies as st

from core.records import Segment, SegmentStatus
from tests.conftest import local_pipeline
from tests.test_pipeline_end_to_end import table, translate
from text.placeholders import (
    DUPLICATED_FLAG,
    MISSING_FLAG,
    UNEXPECTED_FLAG,
    restore,
    unmask,
)
from text.spans import SPAN_KINDS, fenced_code_ranges, find_spans
from transforms.protect import RestoreSpans, protect_paragraph

PARAGRAPHS = [
    "# Anleitung für die Installation",
    "Laden Sie das Paket von https://example.com/download?v=2 herunter und schreiben Sie bei "
    "Fragen an support@example.org.",
    "Die Datei ist 25 MB groß, der Server braucht 512 MB Speicher und kostet 9,99 € im Monat.",
    "Führen Sie `pip install paket` aus und lesen Sie **vorher** die "
    '[Hinweise](https://example.com/hinweise "Hinweise").',
    '```python\ndef main():\n    print("Hallo Welt")',
    "    return 0\n```",
    "- Erster Schritt: <b>Paket</b> laden\n- Zweiter Schritt: Datei &amp; Ordner prüfen",
]
DOCUMENT = "\n\n".join(PARAGRAPHS) + "\n"
# Written out by hand: the swapcase model's output with every protected span left alone.
EXPECTED_SWAPCASE = [
    "# aNLEITUNG FÜR DIE iNSTALLATION",
    "lADEN sIE DAS pAKET VON https://example.com/download?v=2 HERUNTER UND SCHREIBEN sIE BEI "
    "fRAGEN AN support@example.org.",
    "dIE dATEI IST 25 MB GROß, DER sERVER BRAUCHT 512 MB sPEICHER UND KOSTET 9,99 € IM mONAT.",
    "fÜHREN sIE `pip install paket` AUS UND LESEN sIE **VORHER** DIE "
    '[hINWEISE](https://example.com/hinweise "Hinweise").',
    '```python\ndef main():\n    print("Hallo Welt")',
    "    return 0\n```",
    "- eRSTER sCHRITT: <b>pAKET</b> LADEN\n- zWEITER sCHRITT: dATEI &amp; oRDNER PRÜFEN",
]


def spans_of(text: str) -> list[str]:
    return [text[start:end] for start, end in find_spans(text, SPAN_KINDS)]


def test_each_kind_of_span_is_found():
    assert spans_of(PARAGRAPHS[1]) == ["https://example.com/download?v=2", "support@example.org"]
    assert spans_of(PARAGRAPHS[2]) == ["25 MB", "512 MB", "9,99 €"]
    assert spans_of(PARAGRAPHS[3]) == [
        "`pip install paket`",
        "**",
        "**",
        "[",
        '](https://example.com/hinweise "Hinweise")',
    ]
    assert spans_of(PARAGRAPHS[6]) == ["- ", "<b>", "</b>", "\n- ", "&amp;"]
    assert spans_of("Siehe (https://de.wikipedia.org/wiki/Köln_(Stadt)), oder www.x.de.") == [
        "https://de.wikipedia.org/wiki/Köln_(Stadt)",
        "www.x.de",
    ]
    # Not spans: numbers without a unit, words that start like units, snake_case, a lone *.
    assert spans_of("Um 9 bis 19 Uhr, 5 minutes, 3 mal, my_var_name, 2 * 3 = 6") == []
    # Text that looks like a placeholder is always protected, even with no kinds.
    assert find_spans("a {3} and { 12 }", []) == [(2, 5), (10, 16)]


def test_fenced_code_blocks_span_blank_lines_and_need_a_matching_fence():
    text = "Text\n\n~~~~\ncode\n\n~~~\nmore code\n~~~~~\n\n```\nunclosed\n\nstill code"
    ranges = fenced_code_ranges(text)
    assert [text[s:e] for s, e in ranges] == [
        "~~~~\ncode\n\n~~~\nmore code\n~~~~~",  # ~~~ is shorter than the opening fence
        "```\nunclosed\n\nstill code",
    ]
    assert fenced_code_ranges("Inline ```code``` is no fence\n```x`y\nnot a fence") == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab Z9.,:*_~`[]()<>{}#-|!@&;/\n\t%€ ", max_size=80))
def test_masking_round_trips_any_text(text):
    masked, spans, _ = protect_paragraph(text, list(SPAN_KINDS), [], 512)
    assert unmask(masked, spans) == text
    assert restore(masked, masked, spans) == (text, ())


def test_a_placeholder_the_segmenter_could_cut_leaves_the_paragraph_unprotected():
    text = "x" * 60 + ",a@b.de," + "y" * 60 + " kurz"
    masked, spans, flags = protect_paragraph(text, list(SPAN_KINDS), [], 64)
    assert (masked, spans, flags) == (text, [], ["spans_unprotected"])
    masked, spans, flags = protect_paragraph(text, list(SPAN_KINDS), [], 512)
    assert masked == "x" * 60 + ",{0}," + "y" * 60 + " kurz" and flags == []


MASKED = "Siehe {0} für {1}Details{2}."
SPANS = [("https://a.b", "https://a.b"), ("**", "**"), ("**", "**")]


@pytest.mark.parametrize(
    ("output", "restored", "flags"),
    [
        ("See {0} for {1}details{2}.", "See https://a.b for **details**.", ()),
        ("See { 0 } for {١}details{2}.", "See https://a.b for **details**.", ()),
        ("See for {1}details{2}.", "See https://a.b for **details**.", (MISSING_FLAG,)),
        ("See {0} for the details.", "See https://a.b for **the details**.", (MISSING_FLAG,)),
        ("{0} {0} for {1}details{2}.", "https://a.b  for **details**.", (DUPLICATED_FLAG,)),
        ("See {0} for {1}details{2}{7}.", "See https://a.b for **details**.", (UNEXPECTED_FLAG,)),
        ("", "https://a.b****", (MISSING_FLAG,)),
    ],
)
def test_restore_puts_spans_back_and_flags_damage(output, restored, flags):
    assert restore(MASKED, output, SPANS) == (restored, flags)


def test_a_dropped_leading_or_trailing_span_goes_to_the_start_or_end():
    assert restore("{0}Titel", "TITLE", [("# ", "# ")]) == ("# TITLE", (MISSING_FLAG,))
    assert restore("Mehr: {0}", "More:", [("x@y.de", "x@y.de")]) == (
        "More: x@y.de",
        (MISSING_FLAG,),
    )


def segment(source_text: str, **fields: Any) -> Segment:
    """One paragraph segment of a one-paragraph document."""
    return Segment(
        doc_id="d",
        source_path="d.txt",
        encoding="utf-8",
        paragraph_index=0,
        source_text=source_text,
        separator="",
        **fields,
    )


def translate_document(tmp_path: Path, model: Path, text: str, *flags: str) -> Path:
    """Runs the pipeline on one German document (configs/local.yaml plus `flags`)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "document.md").write_text(text)
    return translate(tmp_path, model, [f"{corpus}/*"], "--source_lang=de", *flags)


def test_restore_stage_flags_damaged_output_and_restores_the_source():
    def masked(status: SegmentStatus, translated: str | None) -> Segment:
        return segment(MASKED, status=status, translated_text=translated, spans=tuple(SPANS))

    source = "Siehe https://a.b für **Details**."
    with local_pipeline() as p:
        restored = (
            p
            | beam.Create(
                [
                    masked(SegmentStatus.TRANSLATED, "See for {1}details{2}."),
                    masked(SegmentStatus.PASSTHROUGH, MASKED),
                    masked(SegmentStatus.FAILED, None),
                ]
            )
            | RestoreSpans()
            | beam.Map(
                lambda s: (s.status.value, s.source_text, s.translated_text, s.flags, s.spans)
            )
        )
        assert_that(
            restored,
            equal_to(
                [
                    ("translated", source, "See https://a.b for **details**.", (MISSING_FLAG,), ()),
                    ("passthrough", source, source, (), ()),
                    ("failed", source, None, (), ()),
                ]
            ),
        )


@pytest.mark.parametrize("max_input_tokens", [512, 40])
def test_swapcase_model_leaves_every_protected_span_and_code_block_exact(
    test_models, tmp_path: Path, max_input_tokens: int
):
    out = translate_document(
        tmp_path, test_models["swapcase"], DOCUMENT, f"--max_input_tokens={max_input_tokens}"
    )
    (document,) = table(out, "documents")
    assert document["source_text"] == DOCUMENT
    assert document["translated_text"] == "\n\n".join(EXPECTED_SWAPCASE) + "\n"
    rows = table(out, "segments", "select * from t order by segment_index")
    assert "".join(r["prefix"] + r["source_text"] + r["separator"] for r in rows) == DOCUMENT
    for row in rows:
        assert not {MISSING_FLAG, DUPLICATED_FLAG, UNEXPECTED_FLAG} & set(row["flags"])
    code = [r for r in rows if r["paragraph_index"] in (4, 5)]
    assert [(r["status"], "code_block" in r["flags"]) for r in code] == [("passthrough", True)] * 2
    if max_input_tokens == 40:
        assert any(r["sentence_index"] > 0 for r in rows)
