"""Cutting a paragraph into pieces within a token limit: sentences (pysbd, language aware),
then words, then characters. The cut points only slice the text, so the pieces and their
separators concatenate back to it exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

SENTENCE_SPLIT_FLAG = "sentence_split"  # set by the caller: only a paragraph unit flags it
FORCED_SPLIT_FLAG = "forced_split"
_TRAILING_SPACE = re.compile(r"\s+$")
_WORD_BOUNDARY = re.compile(r"(?<=\s)(?=\S)")
# What can start a new sentence for pysbd in any of its languages: the languages'
# sentence punctuation, line breaks (its line splits), `)` (its list items `a)`, `2)`),
# its internal marks, and a dash before a quote (its quotation at the end of a sentence).
_CUT = re.compile("[!.:;?|՜։،؟۔।။၏።፧。！．？\n\r)…ȸȹ☉☈☇☄]|-[\"'“”]")
_FINAL_CHARS = frozenset(".!?。！？")


def _one_sentence(text: str) -> bool:
    """True when pysbd cannot cut `text`: no leading space (the sentence starts after it) and
    no cut character but one final full stop, question or exclamation mark. Most segments
    are such (headings, short sentences), and pysbd costs about half a millisecond even on
    them."""
    if text[:1].isspace():
        return False
    body = text.rstrip()
    if body and body[-1] in _FINAL_CHARS:
        body = body[:-1]
    return _CUT.search(body) is None


def _with_separators(text: str, starts: list[int]) -> list[tuple[str, str]]:
    """Slice text at the starts into (body, trailing whitespace) pairs."""
    bounds = [*starts, len(text)]
    parts = []
    for begin, end in zip(bounds, bounds[1:], strict=False):
        chunk = text[begin:end]
        space = _TRAILING_SPACE.search(chunk)
        cut = space.start() if space else len(chunk)
        parts.append((chunk[:cut], chunk[cut:]))
    return parts


def sentence_starts(text: str, language: str | None) -> list[int]:
    """Offsets where sentences begin, found in the original text (pysbd may alter spacing)."""
    if _one_sentence(text):
        return [0]
    import pysbd
    from pysbd.languages import LANGUAGE_CODES

    # A new segmenter each time: `segment()` keeps the text on the instance (not thread-safe).
    segmenter = pysbd.Segmenter(
        language=language if language in LANGUAGE_CODES else "en", clean=False
    )
    starts, position = [], 0
    for sentence in segmenter.segment(text):
        core = sentence.strip()
        found = text.find(core, position) if core else -1
        if found >= 0:
            starts.append(found)
            position = found + len(core)
    return sorted(set([0, *starts]))


def _greedy_starts(candidates: list[int], text: str, fits: Callable[[str], bool]) -> list[int]:
    """Keep as few candidate cut points as possible such that every piece fits."""
    bounds = [*candidates, len(text)]
    starts, i = [0], 1
    while i < len(bounds) - 1:
        if fits(text[starts[-1] : bounds[i + 1]]):
            i += 1
            continue
        starts.append(bounds[i])
        i += 1
    return starts


def split_to_limit(
    text: str, language: str | None, count_tokens: Callable[[str], int], limit: int
) -> tuple[list[tuple[str, str]], list[str]]:
    """(body, separator) pieces of `text`: its sentences, each cut further (at words, then
    characters) if over `limit` tokens; and [FORCED_SPLIT_FLAG] if one had to be."""

    def fits(piece: str) -> bool:
        return count_tokens(piece) <= limit

    pieces, flags = [], []
    for sentence, separator in _with_separators(text, sentence_starts(text, language)):
        if fits(sentence):
            pieces.append((sentence, separator))
            continue
        if FORCED_SPLIT_FLAG not in flags:
            flags.append(FORCED_SPLIT_FLAG)
        words = [m.start() for m in _WORD_BOUNDARY.finditer(sentence)]
        chunks = _with_separators(sentence, _greedy_starts([0, *words], sentence, fits))
        for body, inner in chunks:
            if fits(body):
                pieces.append((body, inner))
                continue
            chars = list(range(1, len(body)))
            for part, _ in _with_separators(body, _greedy_starts([0, *chars], body, fits)):
                pieces.append((part, ""))
            pieces[-1] = (pieces[-1][0], inner)
        pieces[-1] = (pieces[-1][0], pieces[-1][1] + separator)
    return pieces, flags
