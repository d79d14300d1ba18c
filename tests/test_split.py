import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from core.names import Tag
from core.records import SourceDocument
from tests.conftest import local_pipeline
from text.paragraphs import split_paragraphs
from transforms.split import SplitParagraphs, SplitSettings

DOCUMENTS = [
    "one paragraph",
    "first\n\nsecond",
    "  \n\nleading blank lines\n\n\n",
    "windows\r\n\r\nline endings\r\n\r\n",
    "old mac\r\rline endings",
    "mixed\r\n\n \t\r\nseparators\n",
    "lines\nin one\nparagraph\n\nstay together",
    "trailing spaces   \n  \n   indented next",
    "\ufeffBOM-less? no: a zero width no-break space\u200b\n\nstays",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_paragraphs_rebuild_the_document_exactly(text):
    parts = split_paragraphs(text)
    assert "".join(prefix + body + sep for prefix, body, sep in parts) == text
    assert all(body and body == body.strip() for _, body, _ in parts)


def test_blank_lines_separate_paragraphs_single_line_breaks_do_not():
    parts = split_paragraphs("a\nb\n\nc\r\n  \r\nd")
    assert [body for _, body, _ in parts] == ["a\nb", "c", "d"]
    assert [sep for _, _, sep in parts] == ["\n\n", "\r\n  \r\n", ""]


def test_whitespace_only_text_has_no_paragraphs():
    assert split_paragraphs(" \n\n\t ") == []
    assert split_paragraphs("") == []


def test_split_paragraphs_sends_empty_documents_to_errors():
    docs = [
        SourceDocument("a.txt", "in/a.txt", "x\n\ny", "utf-8"),
        SourceDocument("empty.txt", "in/empty.txt", "", "utf-8"),
        SourceDocument("blank.txt", "in/blank.txt", "\n \n", "utf-8"),
    ]
    with local_pipeline() as p:
        out = p | beam.Create(docs) | SplitParagraphs(SplitSettings())
        texts = out.paragraphs | beam.Map(lambda segs: [s.source_text for s in segs])
        assert_that(texts, equal_to([["x", "y"]]), label="paragraphs")
        kinds = out[Tag.ERRORS] | beam.Map(lambda e: (e.doc_id, e.stage, e.error_type))
        assert_that(
            kinds,
            equal_to(
                [("empty.txt", "split", "EmptyDocument"), ("blank.txt", "split", "EmptyDocument")]
            ),
            label="errors",
        )
