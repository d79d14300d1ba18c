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

import apache_beam as beam
from apache_beam.metrics import Metrics

from transforms.model import ModelSettings, ModelTokenizer, on_local_disk
from transforms.records import Segment, exception_name

STAGE = "segment"
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
    """Adds the model input tokens to each segment to translate, splitting long ones."""

    def __init__(self, models: dict[str, ModelSettings]) -> None:
        self.models = models
        self.split_paragraphs = Metrics.counter("corpus", "paragraphs_sentence_split")

    def setup(self) -> None:
        self._tokenizers: dict[str, ModelTokenizer] = {}

    def process(self, seg: Segment) -> Iterator[Segment]:
        if seg.status is not None:
            yield seg
            return
        try:
            pieces = self._segment(seg)
        except Exception as exc:  # noqa: BLE001 - a tokenizer failure costs one segment
            pieces = [seg.fail(STAGE, exception_name(exc), str(exc))]
        yield from pieces

    def _segment(self, seg: Segment) -> list[Segment]:
        """The paragraph with its model input tokens, or its pieces within the limit.

        A list, not a generator: a failure midway must emit nothing for the paragraph."""
        if seg.model_name not in self._tokenizers:
            settings = on_local_disk(self.models[seg.model_name])
            self._tokenizers[seg.model_name] = ModelTokenizer(settings)
        tokenizer = self._tokenizers[seg.model_name]
        limit = self.models[seg.model_name].max_input_tokens
        tokens = tokenizer.encode(seg.source_text, seg.source_lang)
        if len(tokens) <= limit:
            return [seg.replace(pieces=tuple(tokens), source_tokens=len(tokens))]
        self.split_paragraphs.inc()
        parts, flags = split_to_limit(
            seg.source_text,
            seg.source_lang,
            lambda text: len(tokenizer.encode(text, seg.source_lang)),
            limit,
        )
        pieces = []
        for index, (body, separator) in enumerate(parts):
            tokens = tokenizer.encode(body, seg.source_lang)
            last = index == len(parts) - 1
            pieces.append(
                seg.replace(
                    source_text=body,
                    sentence_index=index,
                    sentence_count=len(parts),
                    pieces=tuple(tokens),
                    source_tokens=len(tokens),
                    prefix=seg.prefix if index == 0 else "",
                    separator=separator + (seg.separator if last else ""),
                    flags=seg.flags + tuple(flags),
                )
            )
        return pieces


class SegmentLongParagraphs(beam.PTransform):
    """Routed segments → model-ready segments within each model's input limit."""

    def __init__(self, models: dict[str, ModelSettings]) -> None:
        super().__init__()
        self.models = models

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        return segments | beam.ParDo(SegmentParagraphs(self.models))
