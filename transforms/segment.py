"""SegmentLongParagraphs: tokenize, and split paragraphs over the model's input limit.

CTranslate2 silently truncates sources at `max_input_length`; we never let it.
A paragraph over `max_input_tokens` is split into sentences (pysbd, language
aware), a sentence still over the limit at whitespace, and a single overlong
word by characters. The cut points only slice the paragraph, so the sentences
and their separators concatenate back to it exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.model_store import local_model_dir
from transforms.records import Segment

SENTENCE_SPLIT_FLAG = "sentence_split"
FORCED_SPLIT_FLAG = "forced_split"
_TRAILING_SPACE = re.compile(r"\s+$")
_WORD_BOUNDARY = re.compile(r"(?<=\s)(?=\S)")


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
    import pysbd
    from pysbd.languages import LANGUAGE_CODES

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
    """(body, separator) pieces of `text`, each within `limit` tokens, and the flags used."""

    def fits(piece: str) -> bool:
        return count_tokens(piece) <= limit

    pieces, flags = [], [SENTENCE_SPLIT_FLAG]
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


class SegmentParagraphs(beam.DoFn):
    """Adds SentencePiece tokens to each segment to translate, splitting long ones."""

    def __init__(self, model_path: str, spm_name: str, max_input_tokens: int) -> None:
        self.model_path = model_path
        self.spm_name = spm_name
        self.max_input_tokens = max_input_tokens
        self.split_paragraphs = Metrics.counter("corpus", "paragraphs_sentence_split")

    def setup(self) -> None:
        import sentencepiece as spm

        model_dir = Path(local_model_dir(self.model_path))
        self._sp = spm.SentencePieceProcessor(model_file=str(model_dir / self.spm_name))

    def process(self, seg: Segment) -> Iterator[Segment]:
        if seg.status is not None:
            yield seg
            return
        pieces = self._sp.encode(seg.source_text, out_type=str)
        if len(pieces) <= self.max_input_tokens:
            yield seg.replace(pieces=tuple(pieces), source_tokens=len(pieces))
            return
        self.split_paragraphs.inc()
        parts, flags = split_to_limit(
            seg.source_text,
            seg.source_lang,
            lambda text: len(self._sp.encode(text)),
            self.max_input_tokens,
        )
        for index, (body, separator) in enumerate(parts):
            tokens = self._sp.encode(body, out_type=str)
            last = index == len(parts) - 1
            yield seg.replace(
                source_text=body,
                sentence_index=index,
                pieces=tuple(tokens),
                source_tokens=len(tokens),
                prefix=seg.prefix if index == 0 else "",
                separator=separator + (seg.separator if last else ""),
                flags=seg.flags + tuple(flags),
            )
