"""RebuildDocuments: a document is rebuilt as soon as its last segment arrives, without a
shuffle; one whose segments did not all arrive in the bundle is reported as incomplete."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from core.names import Tag
from core.records import Segment, SegmentStatus, TranslatedDocument
from tests.conftest import local_pipeline
from transforms.rebuild import AssembleDocuments, RebuildDocuments

# doc "a": paragraph 0 whole, paragraph 1 in two sentences; doc "b": one paragraph.
PIECES = {
    "a": [(0, 0, 1, "Eins."), (1, 0, 2, "Zwei. "), (1, 1, 2, "Drei.")],
    "b": [(0, 0, 1, "Vier.")],
}


def segments(doc: str) -> list[Segment]:
    paragraphs = 1 + max(p for p, *_ in PIECES[doc])
    return [
        Segment(
            doc_id=doc,
            source_path=f"/{doc}",
            encoding="utf-8",
            paragraph_index=paragraph,
            sentence_index=sentence,
            sentence_count=count,
            paragraph_count=paragraphs,
            source_text=text,
            separator="\n\n" if sentence == count - 1 else "",
            target_lang="en",
            status=SegmentStatus.TRANSLATED,
            translated_text=text.upper(),
        )
        for paragraph, sentence, count, text in PIECES[doc]
    ]


def test_documents_are_emitted_when_complete_and_incomplete_ones_at_bundle_end():
    assemble = AssembleDocuments("settings")
    assemble.start_bundle()
    a, b = segments("a"), segments("b")
    emitted = [list(assemble.process(seg)) for seg in (a[2], b[0], a[0])]
    assert [len(out) for out in emitted] == [0, 2, 0]  # b: its document and its segment
    document = emitted[1][0].value
    assert isinstance(document, TranslatedDocument)
    assert document.translated_text == "VIER.\n\n"
    (left,) = assemble.finish_bundle()
    assert left.tag == Tag.INCOMPLETE
    assert left.value.value.message == "target en: paragraph 1 has pieces [1] of 2"


def test_documents_in_any_order_are_rebuilt_and_a_gap_is_reported():
    gap = [seg for seg in segments("a") if seg.order != (1, 1)]
    renamed = [seg.replace(doc_id="gap", source_path="/gap") for seg in gap]
    with local_pipeline() as p:
        rebuilt = (
            p
            | beam.Create([*reversed(segments("a")), *segments("b"), *renamed])
            | (RebuildDocuments("settings"))
        )
        texts = rebuilt["documents"] | beam.Map(lambda d: (d.doc_id, d.translated_text))
        assert_that(texts, equal_to([("a", "EINS.\n\nZWEI. DREI.\n\n"), ("b", "VIER.\n\n")]))
        incomplete = rebuilt["incomplete"] | beam.Map(lambda e: (e.doc_id, e.error_type, e.message))
        expected = ("gap", "IncompleteDocument", "target en: paragraph 1 has pieces [0] of 2")
        assert_that(incomplete, equal_to([expected]), label="incomplete")
        numbered = rebuilt["segments"] | beam.Map(lambda s: (s.doc_id, s.segment_index))
        assert_that(numbered, equal_to([("a", 0), ("a", 1), ("a", 2), ("b", 0)]), label="numbered")
