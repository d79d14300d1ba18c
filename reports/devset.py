"""A development set (JSON Lines: `lang`, `source`, `reference`, `page`, `id`; paragraph order
within a page is the file order), as documents the pipeline can translate and as references.

`id` is unique only within (`page`, `lang`), so documents are named by language and page.
Pages are split in two halves, one to calibrate thresholds on and one to report on, so that
no figure is measured on the text it was tuned with.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from core.names import DevKey
from readers import ReadSettings

SHORT = "short"
MULTI = "multi"
SHAPES = (SHORT, MULTI)
CALIBRATE = "calibrate"
REPORT = "report"
JOINED = 4  # paragraphs per multi-sentence paragraph
_SENTENCE_END = (".", "!", "?", ":")


@dataclass(frozen=True)
class DevParagraph:
    lang: str
    source: str
    reference: str
    page: str
    # The original paragraphs this one joins (one for a short paragraph), for direct
    # paragraph-by-paragraph translation.
    parts: tuple[str, ...] = ()


def is_devset(path: Path) -> bool:
    """True when the file's first record has the development set's fields."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                return isinstance(record, dict) and {DevKey.SOURCE, DevKey.REFERENCE} <= set(record)
    return False


def read_devset(path: Path) -> list[DevParagraph]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            source = record[DevKey.SOURCE]
            rows.append(
                DevParagraph(
                    record.get(DevKey.LANG) or "",
                    source,
                    record[DevKey.REFERENCE],
                    record.get(DevKey.PAGE) or "",
                    (source,),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{path}:{number}: expected {{source, reference, ...}}: {exc}"
            ) from exc
    return rows


def half(page: str) -> str:
    """The half a page belongs to, from a hash of its name: stable, and blind to content."""
    return CALIBRATE if hashlib.sha256(page.encode()).digest()[0] % 2 == 0 else REPORT


def pages(rows: list[DevParagraph]) -> dict[tuple[str, str], list[DevParagraph]]:
    """Paragraphs by (lang, page), in file order."""
    grouped: dict[tuple[str, str], list[DevParagraph]] = defaultdict(list)
    for row in rows:
        grouped[row.lang, row.page].append(row)
    return dict(grouped)


def joined(rows: list[DevParagraph]) -> list[DevParagraph]:
    """Multi-sentence paragraphs: within a page, the paragraphs that end a sentence (`.`, `!`,
    `?`, `:`), every 4 consecutive ones joined with single spaces, sources and references
    alike."""
    out = []
    for (lang, page), paragraphs in pages(rows).items():
        run: list[DevParagraph] = []
        for paragraph in paragraphs:
            if not paragraph.source.rstrip().endswith(_SENTENCE_END):
                continue  # a heading or a list item: left out, the run goes on
            run.append(paragraph)
            if len(run) == JOINED:
                out.append(
                    DevParagraph(
                        lang,
                        " ".join(p.source.strip() for p in run),
                        " ".join(p.reference.strip() for p in run),
                        page,
                        tuple(p.source for p in run),
                    )
                )
                run = []
    return out


def shape(rows: list[DevParagraph], name: str) -> list[DevParagraph]:
    return rows if name == SHORT else joined(rows)


def write_corpus(rows: list[DevParagraph], directory: Path, name: str) -> tuple[Path, Path]:
    """One JSON Lines document per (lang, page) named `name/lang/page`, paragraphs separated
    by blank lines, and a references file in the development set's format; returns both
    paths (`directory/name.jsonl`, `directory/name-references.jsonl`)."""
    directory.mkdir(parents=True, exist_ok=True)
    corpus = directory / f"{name}.jsonl"
    references = directory / f"{name}-references.jsonl"
    with corpus.open("w", encoding="utf-8") as handle:
        for (lang, page), paragraphs in pages(rows).items():
            text = "\n\n".join(p.source.strip() for p in paragraphs)
            record = {DevKey.ID: f"{name}/{lang}/{page}", ReadSettings().text_field: text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    with references.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = {
                DevKey.LANG: row.lang,
                DevKey.SOURCE: row.source.strip(),
                DevKey.REFERENCE: row.reference,
                DevKey.PAGE: row.page,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return corpus, references


def references_by_source(rows: list[DevParagraph]) -> dict[str, str]:
    """Reference by stripped source paragraph (the first one of duplicate sources)."""
    found: dict[str, str] = {}
    for row in rows:
        found.setdefault(row.source.strip(), row.reference)
    return found


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description="Write a development set as corpora the pipeline reads (one per shape) "
        "and their references files."
    )
    parser.add_argument("devset", type=Path, help="JSON Lines: lang, source, reference, page")
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    parser.add_argument("--half", choices=[CALIBRATE, REPORT, "all"], default="all")
    args = parser.parse_args(argv)
    rows = [r for r in read_devset(args.devset) if args.half == "all" or half(r.page) == args.half]
    for name in SHAPES:
        corpus, references = write_corpus(shape(rows, name), args.out, name)
        print(f"wrote {corpus} and {references}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
