"""Precision of span protection: which spans the default `protect.kinds` take out of the
model's reach on real text, and how many of them are words the model should translate.

    cd /tmp/manpages && apt-get download manpages-de manpages-fr manpages-es manpages-it \\
        manpages-pl && for f in *.deb; do dpkg-deb -x "$f" .; done
    python -m bench.protection --man /tmp/manpages/usr/share/man \\
        --devset ../shared/eval/lohelp-dev.jsonl --label now --todo /tmp/todo.jsonl

Man pages are rendered as a reader sees them (`man -l`, `col -bx`, 80 columns), a seeded
sample of `--pages` per language; the development set's pages are documents as
`reports.devset` writes them. Both are split with the pipeline's paragraph splitter and
searched with its span finder (fences over the document, as ProtectSpans does); a span here
is one rule's match, before touching matches merge into one placeholder.

Writes bench/results/protection-<label>.json: spans per corpus and kind, and precision per
corpus family and kind on a sample of `--sample` spans each (those whose keys hash lowest
with the seed: the sample of a later run shares every span it still protects), judged by the
hand verdicts in `--verdicts` (keyed by corpus, page, offset and span); `--todo` lists the
sampled spans without one. A verdict applies these rules to the span in its context:

- `text`, a false positive: the span holds words a translator translates: prose, a quoted
  word (`fallo'), a placeholder word (<Pfad>, [GRUPA], LABEL=<label>).
- `ok`: what the kind means to protect: a command or expression in backticks, a URL, an
  address, a number with its unit or currency, line structure (a line break and the next
  line's indentation, a list or heading marker), an HTML tag, entity or comment, a table bar
  in a table, an identifier (UTF-8, ISO 8859-1, KOI8-R, SANE_DEBUG_X2).
- `harmless`: neither: syntax the rule took for something else, with no word in it (the `*`
  of a C pointer or glob, the `_` of _POSIX_SOURCE, `$1`, the range 0-9, LINUX_2 cut from
  LINUX_2.6.15, an ASCII chart in backticks).

Precision = (ok + harmless) / judged, with its Wilson 95% interval.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import random
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reports.devset import pages, read_devset
from text.paragraphs import split_paragraphs
from text.spans import CODE, MARKUP, SPAN_KINDS, clipped, fenced_code_ranges, labelled_spans

RESULTS = Path(__file__).parent / "results"
CONTEXT = 40
VERDICTS = ("ok", "harmless", "text")


def render(page: Path, width: int = 80) -> str:
    """A man page as `man -l` prints it to a pipe, overstrikes removed, tabs expanded."""
    env = {**os.environ, "MANWIDTH": str(width), "MAN_KEEP_FORMATTING": "", "LC_ALL": "C.UTF-8"}
    shown = subprocess.run(
        ["man", "-E", "UTF-8", "-l", str(page)], env=env, capture_output=True, check=False
    ).stdout
    return subprocess.run(
        ["col", "-bx"], input=shown, capture_output=True, check=True
    ).stdout.decode("utf-8", "replace")


def man_documents(root: Path, per_language: int, seed: int) -> Iterator[tuple[str, str, str]]:
    """(corpus, page, text) for a seeded sample of each language's pages under `root`
    (`root/<lang>/man<N>/*.gz`, links left out: they repeat a page)."""
    for language in sorted(p.name for p in root.iterdir() if p.is_dir()):
        files = sorted(
            p for p in (root / language).glob("man*/*.gz") if p.is_file() and not p.is_symlink()
        )
        chosen = random.Random(f"{seed}/{language}").sample(files, min(per_language, len(files)))
        for path in sorted(chosen):
            yield f"man-{language}", path.name, render(path)


def dev_documents(devset: Path) -> Iterator[tuple[str, str, str]]:
    for (lang, page), rows in pages(read_devset(devset)).items():
        yield f"dev-{lang}", page, "\n\n".join(row.source.strip() for row in rows)


def protected(corpus: str, page: str, text: str, kinds: list[str]) -> Iterator[dict[str, Any]]:
    """Every span the pipeline protects in one document, with its context in its paragraph."""
    fences = fenced_code_ranges(text) if CODE in kinds else []
    offset = 0
    for prefix, body, separator in split_paragraphs(text):
        start = offset + len(prefix)
        end = start + len(body)
        offset = end + len(separator)
        for s, e, kind in labelled_spans(body, kinds, clipped(fences, start, end)):
            yield {
                "corpus": corpus,
                "page": page,
                "offset": start + s,
                "kind": kind,
                "span": body[s:e],
                "context": f"{body[max(0, s - CONTEXT) : s]}⟦{body[s:e]}⟧{body[e : e + CONTEXT]}",
            }


def group(span: dict[str, Any]) -> str:
    """The kind to report a span under. Markup is split three ways, since most of it is line
    structure, which cannot be a word, and words can hide only in spans with letters (tags,
    reference links)."""
    if span["kind"] == MARKUP and not span["span"].strip():
        return "markup (line break)"
    if span["kind"] == MARKUP and any(c.isalpha() for c in span["span"]):
        return "markup (letters)"
    return span["kind"]


def key(span: dict[str, Any]) -> tuple[str, str, int, str]:
    return span["corpus"], span["page"], span["offset"], span["span"]


def family(corpus: str) -> str:
    return corpus.split("-")[0]


def sample(spans: list[dict[str, Any]], size: int, seed: int) -> list[dict[str, Any]]:
    """Up to `size` spans per (corpus family, kind group): those whose keys hash lowest with
    the seed. A uniform sample that stays the same for the spans two runs share, so verdicts
    made on one run's sample serve the next."""
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        by_group[family(span["corpus"]), group(span)].append(span)

    def rank(span: dict[str, Any]) -> str:
        return hashlib.sha256(f"{seed}/{key(span)}".encode()).hexdigest()

    return [span for name in sorted(by_group) for span in sorted(by_group[name], key=rank)[:size]]


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% at z = 1.96)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def stratum(span: dict[str, Any]) -> str:
    return f"{family(span['corpus'])}: {group(span)}"


def precision(
    spans: list[dict[str, Any]], drawn: list[dict[str, Any]], verdicts: dict[tuple, str]
) -> dict[str, Any]:
    """Per (corpus family, kind group): the sample's verdicts, precision and its Wilson
    interval; overall, the judged sample pooled, and the precision of all spans estimated
    from the strata's: each stratum's false positives scaled to its spans; the bound adds
    each stratum's Wilson upper bound (a census's exact count), at most its spans with a
    letter (a span without one holds no word)."""
    sizes = Counter(stratum(span) for span in spans)
    lettered = Counter(stratum(span) for span in spans if any(c.isalpha() for c in span["span"]))
    tallies: dict[str, Counter] = defaultdict(Counter)
    for span in drawn:
        tallies[stratum(span)][verdicts.get(key(span), "unjudged")] += 1
    out: dict[str, Any] = {}
    expected = bound = 0.0
    for name, tally in [*sorted(tallies.items()), ("sample", sum(tallies.values(), Counter()))]:
        judged = sum(tally[v] for v in VERDICTS)
        good = tally["ok"] + tally["harmless"]
        low, high = wilson(good, judged)
        out[name] = {
            **{v: tally[v] for v in (*VERDICTS, "unjudged")},
            "spans": sizes[name] if name in sizes else len(spans),
            "precision": round(good / judged, 4) if judged else None,
            "wilson95": [round(low, 4), round(high, 4)],
        }
        if name in sizes and judged:
            expected += sizes[name] * tally["text"] / judged
            census = judged == sizes[name]
            high = tally["text"] if census else sizes[name] * (1 - wilson(good, judged)[0])
            bound += min(high, lettered[name])
    out["all spans, estimated"] = {
        "spans": len(spans),
        "false_positives": round(expected, 1),
        "false_positives_bound95": round(bound, 1),
        "precision": round(1 - expected / len(spans), 5),
        "precision_bound95": round(1 - bound / len(spans), 5),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--man", type=Path, help="pages under <dir>/<lang>/man*/*.gz")
    parser.add_argument("--devset", type=Path)
    parser.add_argument("--pages", type=int, default=300, help="man pages per language")
    parser.add_argument("--sample", type=int, default=50, help="spans per corpus and kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--label", default="now")
    parser.add_argument("--spans", type=Path, help="write every span here, JSON Lines (.gz)")
    parser.add_argument("--verdicts", type=Path, default=RESULTS / "protection-verdicts.jsonl")
    parser.add_argument("--todo", type=Path, help="write the sampled spans without a verdict")
    args = parser.parse_args(argv)

    documents: list[tuple[str, str, str]] = []
    if args.man:
        documents += man_documents(args.man, args.pages, args.seed)
    if args.devset:
        documents += dev_documents(args.devset)
    spans = [span for doc in documents for span in protected(*doc, list(SPAN_KINDS))]
    counts: dict[str, Counter] = defaultdict(Counter)
    for span in spans:
        counts[span["corpus"]][group(span)] += 1
    drawn = sample(spans, args.sample, args.seed)
    verdicts = {}
    if args.verdicts.exists():
        for line in args.verdicts.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            verdicts[key(row)] = row["verdict"]
    result: dict[str, Any] = {
        "command": "python -m bench.protection " + " ".join(sys.argv[1:] if argv is None else argv),
        "pages": dict(Counter(corpus for corpus, _, _ in documents)),
        "paragraphs": dict(
            Counter(corpus for corpus, _, text in documents for _ in split_paragraphs(text))
        ),
        "spans": {corpus: dict(sorted(tally.items())) for corpus, tally in sorted(counts.items())},
        "precision": precision(spans, drawn, verdicts),
    }
    if args.spans:
        with gzip.open(args.spans, "wt", encoding="utf-8") as handle:
            handle.writelines(json.dumps(span, ensure_ascii=False) + "\n" for span in spans)
    if args.todo:
        with args.todo.open("w", encoding="utf-8") as handle:
            for span in drawn:
                if key(span) not in verdicts:
                    handle.write(json.dumps(span, ensure_ascii=False) + "\n")
    out = RESULTS / f"protection-{args.label}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
