"""Scores a finished run against reference translations: sacreBLEU BLEU and chrF per
language pair and overall, written beside the run.

    python -m reports.evaluate --run out/sample --references samples/references/en.jsonl
    python -m reports.evaluate --run out/copy --references source   # the source as reference

A references file in a development set's format (`source`, `reference` per paragraph, as
`../shared/eval/lohelp-dev.jsonl`: reports/devset.py) is matched paragraph by paragraph on
the source text, whatever the run's documents. Otherwise it is JSON Lines, one reference
document per line:
`{"doc_id": ..., "target_lang": "en", "text": ...}`, `doc_id` as in the run's documents
table. `text` holds the document's paragraphs in order, separated by blank lines as the
source's are (the pipeline's paragraph splitter cuts both), so that paragraph i of the
reference translates paragraph i of the source. A document whose paragraph counts differ is
reported, not scored. Units are paragraphs: the run's sentences of one paragraph are joined
again. Writes `eval.json` and `eval.md` into the run directory; `--worst N` also writes the N
paragraphs with the lowest sentence chrF to `eval_worst.jsonl`, for review.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core.metrics import UNKNOWN_LANGUAGE
from core.names import Column, EvalKey, File, Table
from core.records import EvaluatedParagraph as Paragraph
from reports.devset import is_devset, read_devset, references_by_source
from reports.html import write_html_report
from reports.summary import ReportError, read_run_info, summary_of_run

C, E = Column, EvalKey
SOURCE_REFERENCE = "source"
_CHARACTER_TOKENIZED = {"ja", "ko", "th", "my", "km", "lo"}


def _joined(sentences: list[dict[str, Any]], column: str) -> str:
    """A paragraph's text from its sentences: each with its separator but the last."""
    texts = [row[column] if row[column] is not None else row[C.SOURCE_TEXT] for row in sentences]
    separators = [row[C.SEPARATOR] for row in sentences[:-1]] + [""]
    return "".join(text + sep for text, sep in zip(texts, separators, strict=True))


def run_paragraphs(run: Path) -> dict[tuple[str, str], list[Paragraph]]:
    """The run's paragraphs by (doc_id, target_lang), in document order."""
    import pyarrow.dataset as ds

    rows = ds.dataset(run / Table.SEGMENTS, format="parquet").to_table().to_pylist()
    grouped: dict[tuple[str, str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row[C.DOC_ID], row[C.TARGET_LANG], row[C.PARAGRAPH_INDEX]].append(row)
    documents: dict[tuple[str, str], list[Paragraph]] = defaultdict(list)
    for (doc_id, target, index), sentences in sorted(grouped.items()):
        sentences.sort(key=lambda row: row[C.SENTENCE_INDEX])
        documents[doc_id, target].append(
            Paragraph(
                doc_id,
                target,
                index,
                sentences[0][C.SOURCE_LANG] or UNKNOWN_LANGUAGE,
                _joined(sentences, C.SOURCE_TEXT),
                _joined(sentences, C.TRANSLATED_TEXT),
            )
        )
    return documents


def read_references(path: Path) -> dict[tuple[str, str], list[str]]:
    """Reference paragraphs by (doc_id, target_lang) from a JSON Lines file."""
    from text.paragraphs import split_paragraphs

    references = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            key = (record[C.DOC_ID], record[C.TARGET_LANG])
            text = record["text"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{path}:{number}: expected {{doc_id, target_lang, text}}: {exc}"
            ) from exc
        references[key] = [body for _, body, _ in split_paragraphs(text)]
    return references


def bleu_tokenizer(targets: set[str]) -> str:
    """sacreBLEU's tokenizer for these target languages (13a splits only at spaces)."""
    if targets == {"zh"}:
        return "zh"
    if targets & (_CHARACTER_TOKENIZED | {"zh"}):
        return "char"
    return "13a"


def score(pairs: list[tuple[Paragraph, str]]) -> dict[str, Any]:
    from sacrebleu.metrics import BLEU, CHRF

    hypotheses = [p.hypothesis for p, _ in pairs]
    references = [[ref for _, ref in pairs]]
    bleu = BLEU(tokenize=bleu_tokenizer({p.target_lang for p, _ in pairs}))
    chrf = CHRF()
    return {
        E.PARAGRAPHS: len(pairs),
        E.BLEU: round(bleu.corpus_score(hypotheses, references).score, 2),
        E.CHRF: round(chrf.corpus_score(hypotheses, references).score, 2),
        E.BLEU_SIGNATURE: str(bleu.get_signature()),
        E.CHRF_SIGNATURE: str(chrf.get_signature()),
    }


def aligned_by_source(
    documents: dict[tuple[str, str], list[Paragraph]], devset: Path
) -> tuple[list[tuple[Paragraph, str]], int]:
    """(paragraph, reference) for each run paragraph whose source is in the development set,
    and how many are not."""
    by_source = references_by_source(read_devset(devset))
    aligned, unmatched = [], 0
    for paragraphs in documents.values():
        for paragraph in paragraphs:
            reference = by_source.get(paragraph.source.strip())
            if reference is None:
                unmatched += 1
            else:
                aligned.append((paragraph, reference))
    return aligned, unmatched


def evaluate(run: Path, references: str, worst: int = 0) -> dict[str, Any]:
    """Scores `run` and writes eval.json, eval.md (and eval_worst.jsonl) into it."""
    from sacrebleu.metrics import CHRF

    documents = run_paragraphs(run)
    refs: dict[tuple[str, str], list[str]] = {}
    aligned: list[tuple[Paragraph, str]] = []
    misaligned, unreferenced, unmatched = [], [], 0
    if references == SOURCE_REFERENCE:
        refs = {key: [p.source for p in paragraphs] for key, paragraphs in documents.items()}
        reference_id = SOURCE_REFERENCE
    else:
        digest = hashlib.sha256(Path(references).read_bytes()).hexdigest()
        reference_id = f"{references} (sha256 {digest[:12]})"
        if is_devset(Path(references)):
            aligned, unmatched = aligned_by_source(documents, Path(references))
        else:
            refs = read_references(Path(references))
    for key, paragraphs in sorted(documents.items()) if refs else ():
        if key not in refs:
            unreferenced.append(key[0])
        elif len(refs[key]) != len(paragraphs):
            misaligned.append(
                f"{key[0]} ({key[1]}): {len(paragraphs)} paragraphs, reference has {len(refs[key])}"
            )
        else:
            aligned += list(zip(paragraphs, refs[key], strict=True))
    if not aligned:
        raise ValueError(f"no paragraph of {run} has a reference in {references}")
    by_pair: dict[str, list[tuple[Paragraph, str]]] = defaultdict(list)
    for paragraph, reference in aligned:
        by_pair[f"{paragraph.source_lang}-{paragraph.target_lang}"].append((paragraph, reference))
    result = {
        E.RUN: str(run),
        E.REFERENCES: reference_id,
        E.PAIRS: {pair: score(items) for pair, items in sorted(by_pair.items())},
        E.OVERALL: score(aligned),
        E.MISALIGNED: misaligned,
        E.UNREFERENCED_DOCUMENTS: unreferenced,
        E.MISSING_DOCUMENTS: sorted(f"{d} ({t})" for d, t in set(refs) - set(documents)),
        E.UNREFERENCED_PARAGRAPHS: unmatched,
    }
    (run / File.EVAL_JSON).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (run / File.EVAL_MARKDOWN).write_text(markdown_table(result))
    if worst:
        chrf = CHRF()
        scored = [
            {**asdict(p), "reference": ref, E.CHRF: chrf.sentence_score(p.hypothesis, [ref]).score}
            for p, ref in aligned
        ]
        scored.sort(key=lambda row: (row[E.CHRF], row[C.DOC_ID], row[C.PARAGRAPH_INDEX]))
        lines = [json.dumps(row, ensure_ascii=False) + "\n" for row in scored[:worst]]
        (run / File.EVAL_WORST).write_text("".join(lines))
    return result


def markdown_table(result: dict[str, Any]) -> str:
    lines = [
        f"Evaluation of {result[E.RUN]} against {result[E.REFERENCES]}",
        "",
        "| pair | paragraphs | BLEU | chrF |",
        "|---|---:|---:|---:|",
    ]
    rows = [*result[E.PAIRS].items(), ("all", result[E.OVERALL])]
    for pair, figures in rows:
        lines.append(
            f"| {pair} | {figures[E.PARAGRAPHS]} | {figures[E.BLEU]:.2f} | {figures[E.CHRF]:.2f} |"
        )
    lines += ["", f"BLEU: {result[E.OVERALL][E.BLEU_SIGNATURE]}"]
    lines.append(f"chrF: {result[E.OVERALL][E.CHRF_SIGNATURE]}")
    for label, key in (
        ("not scored (paragraph counts differ)", "misaligned"),
        ("documents without a reference", "unreferenced_documents"),
        ("references without a document", "missing_documents"),
    ):
        if result[key]:
            lines.append(f"{label}: {', '.join(result[key])}")
    if result.get(E.UNREFERENCED_PARAGRAPHS):
        lines.append(f"paragraphs without a reference: {result[E.UNREFERENCED_PARAGRAPHS]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.ERROR)  # Beam's import-time notices are noise here
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="output directory of a run")
    parser.add_argument(
        "--references",
        required=True,
        help=f"JSON Lines reference file, or '{SOURCE_REFERENCE}' to score against the source",
    )
    parser.add_argument("--worst", type=int, default=0, help="keep the N lowest-chrF paragraphs")
    args = parser.parse_args(argv)
    if not (args.run / Table.SEGMENTS).is_dir():
        print(
            f"error: {args.run} holds no run (no segments/); run the pipeline first",
            file=sys.stderr,
        )
        return 2
    try:
        result = evaluate(args.run, args.references, args.worst)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(markdown_table(result), end="")
    print(f"wrote {args.run / File.EVAL_MARKDOWN} and {args.run / File.EVAL_JSON}")
    try:  # the report shows the scores from now on
        info = read_run_info(str(args.run))
        summary = summary_of_run(str(args.run), info)
        print(f"wrote {write_html_report(str(args.run), summary, info)}")
    except ReportError as exc:
        print(f"report.html not rewritten: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
