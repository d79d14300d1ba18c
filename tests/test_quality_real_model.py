"""Quality with a real model (../shared/models/lohelp-mul-en) on a slice of its development
set, short paragraphs and 4-paragraph multi-sentence ones, through the whole pipeline:
chrF must not drop below what was measured (docs/quality.md) minus a margin, and every
sentence the pipeline translated must read exactly as CTranslate2 called directly on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.devset import MULTI, REPORT, SHORT, half, read_devset, shape, write_corpus
from tests.conftest import ROOT
from text.spans import SPAN_KINDS, find_spans

SHARED = ROOT.parent / "shared"
MODEL = SHARED / "models" / "lohelp-mul-en"
DEVSET = SHARED / "eval" / "lohelp-dev.jsonl"
BEAM = 2  # the pipeline's default
PAGES_PER_LANGUAGE = 8
# Measured on this slice (467 short paragraphs and 43 multi-sentence ones of 32 report-half
# pages) at beam 2 (docs/quality.md). The run is deterministic; the margin allows for other
# CPU kernels, not for a change of what the model is given (whole paragraphs: 43.80 on multi).
MEASURED_CHRF = {SHORT: 73.51, MULTI: 68.40}
MARGIN = 1.0

pytestmark = pytest.mark.skipif(
    not (MODEL.is_dir() and DEVSET.is_file()),
    reason=f"the real model and its development set are missing: {MODEL}, {DEVSET}",
)


def slice_of_devset():
    """The first pages (by name) of each language in the report half."""
    rows = [row for row in read_devset(DEVSET) if half(row.page) == REPORT]
    chosen = set()
    for lang in sorted({row.lang for row in rows}):
        chosen |= {
            (lang, page)
            for page in sorted({r.page for r in rows if r.lang == lang})[:PAGES_PER_LANGUAGE]
        }
    return [row for row in rows if (row.lang, row.page) in chosen]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> tuple[Path, dict]:
    from pipeline.run import run

    tmp = tmp_path_factory.mktemp("quality")
    rows = slice_of_devset()
    inputs, shapes = [], {}
    for name in (SHORT, MULTI):
        shapes[name] = shape(rows, name)
        corpus, _ = write_corpus(shapes[name], tmp, name)
        inputs.append(f"--input={corpus}")
    out = tmp / "out"
    run([*inputs, f"--output={out}", f"--model={MODEL}", f"--beam_size={BEAM}", "--id_field=id"])
    return out, shapes


def pipeline_paragraphs(out: Path, name: str) -> dict[str, str]:
    """The run's translation of each source paragraph of the documents of shape `name`."""
    from reports.evaluate import run_paragraphs

    return {
        paragraph.source.strip(): paragraph.hypothesis
        for (doc_id, _), paragraphs in run_paragraphs(out).items()
        if doc_id.startswith(f"{name}/")
        for paragraph in paragraphs
    }


@pytest.mark.parametrize("name", [SHORT, MULTI])
def test_chrf_does_not_drop_below_the_measured_figure(real_run, name):
    from sacrebleu.metrics import CHRF

    out, shapes = real_run
    translated = pipeline_paragraphs(out, name)
    rows = shapes[name]
    hypotheses = [translated[row.source.strip()] for row in rows]
    chrf = CHRF().corpus_score(hypotheses, [[row.reference for row in rows]]).score
    assert chrf >= MEASURED_CHRF[name] - MARGIN, f"{name}: chrF {chrf:.2f}"


def test_each_sentence_reads_as_ctranslate2_gives_it(real_run):
    """Units, batching, dedup and rebuild change nothing: every translated sentence (not
    retried by the guard, without protected spans) equals CTranslate2's own translation."""
    import pyarrow.dataset as ds

    from bench.quality import direct_translate
    from core.names import Column as C
    from core.names import Table
    from core.records import SegmentStatus
    from transforms.guard import RETRIED_FLAG

    out, _ = real_run
    rows = ds.dataset(out / Table.SEGMENTS, format="parquet").to_table().to_pylist()
    sentences = {
        row[C.SOURCE_TEXT]: row[C.TRANSLATED_TEXT]
        for row in rows
        if row[C.STATUS] == SegmentStatus.TRANSLATED
        and RETRIED_FLAG not in row[C.FLAGS]
        and not find_spans(row[C.SOURCE_TEXT], SPAN_KINDS)
    }
    assert len(sentences) > 100
    sources = sorted(sentences)
    direct = dict(zip(sources, direct_translate(str(MODEL), sources, BEAM), strict=True))
    differ = {
        source: (sentences[source], direct[source])
        for source in sources
        if sentences[source] != direct[source]
    }
    assert differ == {}


def test_a_multi_sentence_paragraph_is_translated_sentence_by_sentence(real_run):
    import pyarrow.dataset as ds

    from core.names import Column as C
    from core.names import Table

    out, _ = real_run
    rows = ds.dataset(out / Table.SEGMENTS, format="parquet").to_table().to_pylist()
    multi = [row for row in rows if row[C.DOC_ID].startswith(f"{MULTI}/")]
    assert max(row[C.SENTENCE_INDEX] for row in multi) >= 3
