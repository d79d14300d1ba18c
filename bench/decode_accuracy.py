"""How often readers.decode gets legacy-encoded text exactly right, by length and language.

    python -m bench.decode_accuracy [--write bench/results/decode-accuracy.md]

The test set (tests/data/legacy_text.tsv) holds real sentences in 24 languages (Latin,
Cyrillic, Greek, Hebrew, Arabic, Thai and CJK scripts) with the code pages each was
commonly stored in. Each language's sentences, joined into one
text, are cut to each length, encoded in each code page (Vietnamese as NFD in cp1258, the
way that code page writes tone marks) and decoded; a decoding is right when its text is the
original (after NFC). Cuts that are all ASCII are left out: any decoder gets them right.
"""

from __future__ import annotations

import argparse
import unicodedata
from collections import defaultdict
from pathlib import Path

from readers.decode import decode_bytes

ROOT = Path(__file__).resolve().parent.parent
TEST_SET = ROOT / "tests" / "data" / "legacy_text.tsv"
LENGTHS = (10, 20, 40, 80, 160, 320)


def load_test_set(path: Path = TEST_SET) -> dict[str, tuple[list[str], list[str]]]:
    """language → (its code pages, its sentences)."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        language, pages, sentence = line.split("\t")
        found.setdefault(language, (pages.split(","), []))[1].append(sentence)
    return found


def encode_legacy(text: str, page: str) -> bytes:
    """`text` in a code page; a character it lacks is written as a letter it has plus
    combining marks (how cp1258 writes Vietnamese tones: "ố" is "ô" + U+0301)."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode(page)
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", ch)
            folding = True
            while folding:  # fold marks into the base while the code page has the result
                folding = False
                for mark in marks:
                    folded = unicodedata.normalize("NFC", base + mark)
                    if len(folded) == 1 and folded.encode(page, "ignore"):
                        base, folding = folded, True
                        marks.remove(mark)
                        break
            out += (base + "".join(marks)).encode(page)
    return bytes(out)


def samples(path: Path = TEST_SET) -> list[tuple[str, str, int, str, bytes]]:
    """(language, code page, length, text, encoded bytes) for every cut that is not ASCII."""
    out = []
    for language, (pages, sentences) in load_test_set(path).items():
        for start in range(len(sentences)):
            text = " ".join(sentences[start:] + sentences[:start])
            for length in LENGTHS:
                cut = text[:length]
                if cut.isascii():
                    continue
                for page in pages:
                    out.append((language, page, length, cut, encode_legacy(cut, page)))
    return out


def accuracy(path: Path = TEST_SET) -> dict[str, dict[object, tuple[int, int]]]:
    """{"length": {length: (right, total)}, "language": {...}, "page": {...}}."""
    tally: dict[str, dict[object, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for language, page, length, text, data in samples(path):
        decoded = decode_bytes(data).text
        right = unicodedata.normalize("NFC", decoded) == text
        for kind, key in (("length", length), ("language", language), ("page", page)):
            tally[kind][key][0] += right
            tally[kind][key][1] += 1
        if length >= 40:
            tally["language (40+ chars)"][language][0] += right
            tally["language (40+ chars)"][language][1] += 1
    return {kind: {k: (v[0], v[1]) for k, v in rows.items()} for kind, rows in tally.items()}


def markdown(result: dict[str, dict[object, tuple[int, int]]]) -> str:
    lines = [
        "# Legacy code page decoding: exactly right decodings",
        "",
        "Made by `python -m bench.decode_accuracy --write bench/results/decode-accuracy.md`",
        "on tests/data/legacy_text.tsv (see bench/decode_accuracy.py).",
    ]
    for kind, rows in result.items():
        lines += ["", f"| {kind} | right | total | rate |", "|---|---|---|---|"]
        for key, (right, total) in sorted(rows.items(), key=lambda item: str(item[0]).zfill(4)):
            lines.append(f"| {key} | {right} | {total} | {100 * right / total:.1f} % |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="also write the Markdown table there")
    args = parser.parse_args(argv)
    text = markdown(accuracy())
    print(text)
    if args.write:
        args.write.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
