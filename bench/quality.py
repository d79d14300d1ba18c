"""Translation quality of the pipeline against calling CTranslate2 directly, on a development
set: unit (sentence, paragraph) × shape (the short paragraphs as they are; multi-sentence
paragraphs joining 4 consecutive ones) × chrF and BLEU (sacreBLEU).

    python -m bench.quality --model ../shared/models/lohelp-mul-en \\
        --devset ../shared/eval/lohelp-dev.jsonl --half report --beam_size 4

"direct" translates every original paragraph alone (equal-length batches, which give
one-by-one results: docs/architecture.md) with the same model, beam and limits; for the
multi-sentence shape its 4 translations are joined with spaces, as the references are.
Writes bench/results/quality-<time>.json and prints the Markdown table.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from backends import ModelSettings
from core.names import Column, RunKey, Table
from core.records import SegmentStatus
from reports.devset import (
    CALIBRATE,
    REPORT,
    SHAPES,
    DevParagraph,
    half,
    read_devset,
    shape,
    write_corpus,
)
from transforms.guard import (
    LOW_CONFIDENCE_FLAG,
    REPETITION_FLAG,
    RETRIED_FLAG,
    TOO_LONG_FLAG,
    TOO_SHORT_FLAG,
    WRONG_LANGUAGE_FLAG,
)
from transforms.segment import UNITS
from transforms.translate import OUTPUT_LIMIT_FLAG

GUARD_FLAGS = {
    REPETITION_FLAG,
    TOO_LONG_FLAG,
    TOO_SHORT_FLAG,
    WRONG_LANGUAGE_FLAG,
    OUTPUT_LIMIT_FLAG,
    RETRIED_FLAG,
}

RESULTS = Path(__file__).resolve().parent / "results"


def direct_translate(model_dir: str, texts: list[str], beam_size: int) -> list[str]:
    """Each text translated alone by CTranslate2, with the pipeline's decoding limit."""
    import ctranslate2
    import sentencepiece as spm

    settings = ModelSettings(path=model_dir, beam_size=beam_size)
    source = spm.SentencePieceProcessor(model_file=str(Path(model_dir) / settings.source_spm))
    target = spm.SentencePieceProcessor(model_file=str(Path(model_dir) / settings.target_spm))
    translator = ctranslate2.Translator(
        model_dir, device="cpu", compute_type="int8", inter_threads=1, intra_threads=2
    )
    tokens = [source.encode(text, out_type=str) for text in texts]
    by_length: dict[int, list[int]] = defaultdict(list)
    for index, pieces in enumerate(tokens):
        by_length[len(pieces)].append(index)
    out: list[str] = [""] * len(texts)
    for length, indices in by_length.items():
        results = translator.translate_batch(
            [tokens[i] for i in indices],
            beam_size=beam_size,
            max_input_length=0,
            max_decoding_length=settings.decoding_limit(length),
            max_batch_size=64,
        )
        for i, result in zip(indices, results, strict=True):
            out[i] = target.decode(result.hypotheses[0])
    return out


def scores(hypotheses: list[str], references: list[str]) -> dict[str, float]:
    from sacrebleu.metrics import BLEU, CHRF

    return {
        "chrf": round(CHRF().corpus_score(hypotheses, [references]).score, 2),
        "bleu": round(BLEU().corpus_score(hypotheses, [references]).score, 2),
    }


def guard_figures(out: Path) -> dict[str, Any]:
    """Segments the model translated, how many the guard flagged (any of its checks), and
    how many were flagged low_confidence."""
    import pyarrow.dataset as ds

    rows = ds.dataset(out / Table.SEGMENTS, format="parquet").to_table().to_pylist()
    sent = (SegmentStatus.TRANSLATED, SegmentStatus.FAILED)
    modelled = [row for row in rows if row[Column.STATUS] in sent]
    flagged = [row for row in modelled if GUARD_FLAGS & set(row[Column.FLAGS])]
    low = [row for row in modelled if LOW_CONFIDENCE_FLAG in row[Column.FLAGS]]
    return {
        "segments": len(modelled),
        "guard_flagged": len(flagged),
        "guard_flags": sorted(
            {f for row in flagged for f in row[Column.FLAGS] if f in GUARD_FLAGS}
        ),
        "low_confidence": len(low),
    }


def pipeline_translate(
    model: str,
    rows: list[DevParagraph],
    unit: str,
    beam_size: int,
    workdir: Path,
    config: Path | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """The pipeline's translation of each paragraph of `rows` (documents = pages), its wall
    time by its own clock and the guard's figures."""
    from pipeline.run import run
    from reports.evaluate import run_paragraphs

    corpus, _ = write_corpus(rows, workdir, "corpus")
    out = workdir / f"out-{unit}"
    summary = run(
        [
            f"--input={corpus}",
            f"--output={out}",
            f"--model={model}",
            f"--translation_unit={unit}",
            f"--beam_size={beam_size}",
            "--id_field=id",
            "--overwrite",
            *([f"--config={config}"] if config else []),
        ]
    )
    translated = {
        paragraph.source.strip(): paragraph.hypothesis
        for paragraphs in run_paragraphs(out).values()
        for paragraph in paragraphs
    }
    figures = {"wall_seconds": summary.get(RunKey.WALL_SECONDS), **guard_figures(out)}
    return [translated[row.source.strip()] for row in rows], figures


def measure(
    model: str,
    devset: Path,
    which: str,
    beam_size: int,
    keep: Path | None = None,
    units: tuple[str, ...] = UNITS,
    config: Path | None = None,
) -> dict[str, Any]:
    rows = [row for row in read_devset(devset) if which == "all" or half(row.page) == which]
    originals = sorted({part for row in rows for part in row.parts})
    start = time.perf_counter()
    direct = dict(zip(originals, direct_translate(model, originals, beam_size), strict=True))
    direct_seconds = time.perf_counter() - start
    table: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if keep is not None:
            tmp = str(keep)
        for name in SHAPES:
            shaped = shape(rows, name)
            references = [row.reference for row in shaped]
            by_direct = [" ".join(direct[part].strip() for part in row.parts) for row in shaped]
            table[name] = {"paragraphs": len(shaped), "direct": scores(by_direct, references)}
            for unit in units:
                workdir = Path(tmp) / f"{name}-{unit}"
                hypotheses, figures = pipeline_translate(
                    model, shaped, unit, beam_size, workdir, config
                )
                table[name][unit] = {**scores(hypotheses, references), **figures}
    return {
        "model": model,
        "devset": str(devset),
        "half": which,
        "beam_size": beam_size,
        "config": str(config) if config else None,
        "direct_seconds": round(direct_seconds, 1),
        "shapes": table,
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"{result['devset']} ({result['half']} pages), beam {result['beam_size']}",
        "",
        "| shape | paragraphs | system | chrF | BLEU |",
        "|---|---:|---|---:|---:|",
    ]
    for name, figures in result["shapes"].items():
        for system in ("direct", *(unit for unit in UNITS if unit in figures)):
            label = (
                "direct, paragraph by paragraph" if system == "direct" else f"pipeline, {system}"
            )
            lines.append(
                f"| {name} | {figures['paragraphs']} | {label} | "
                f"{figures[system]['chrf']:.2f} | {figures[system]['bleu']:.2f} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="../shared/models/lohelp-mul-en")
    parser.add_argument("--devset", type=Path, default=Path("../shared/eval/lohelp-dev.jsonl"))
    parser.add_argument("--half", choices=[CALIBRATE, REPORT, "all"], default=REPORT)
    parser.add_argument("--beam_size", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="keep the runs' outputs in this directory")
    parser.add_argument("--units", default=",".join(UNITS), help="comma-separated units")
    parser.add_argument("--config", type=Path, help="a run config for the pipeline's runs")
    args = parser.parse_args(argv)
    units = tuple(args.units.split(","))
    result = measure(
        args.model, args.devset, args.half, args.beam_size, args.keep, units, args.config
    )
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"quality-{stamp}.json").write_text(json.dumps(result, indent=2) + "\n")
    table = markdown(result)
    (RESULTS / f"quality-{stamp}.md").write_text(table)
    print(table, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
