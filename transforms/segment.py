"""SegmentParagraphs: cut paragraphs into the units the model translates, and tokenize them.

With `unit: sentence` (the default) every paragraph is translated sentence by sentence:
a real model given a multi-sentence paragraph whole translates it much worse
(docs/quality.md). With `unit: paragraph` only a paragraph over `max_input_tokens` is cut.
Either way a sentence still over the limit is cut at whitespace, and a single overlong
word by characters (text.sentences): CTranslate2 silently truncates sources at
`max_input_length`, and we never let it. The pieces keep the exact whitespace between
them, so the paragraph is rebuilt byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import apache_beam as beam

from backends import ModelBackend
from backends.base import Tokenizer
from core.metrics import counter
from core.names import Metric, Stage
from core.records import Segment, exception_name
from text.sentences import SENTENCE_SPLIT_FLAG, split_to_limit

SENTENCE_UNIT = "sentence"
PARAGRAPH_UNIT = "paragraph"
UNITS = (SENTENCE_UNIT, PARAGRAPH_UNIT)


@dataclass(frozen=True)
class SegmentSettings:
    # What the model is given: each sentence, or each paragraph (cut only over the limit).
    unit: str = SENTENCE_UNIT


class SegmentParagraphs(beam.DoFn):
    """Adds the model input tokens to each segment to translate, cutting it into units."""

    def __init__(self, backends: dict[str, ModelBackend], settings: SegmentSettings) -> None:
        self.backends = backends
        self.settings = settings
        self.split_paragraphs = counter(Metric.PARAGRAPHS_SENTENCE_SPLIT)

    def setup(self) -> None:
        self._tokenizers: dict[str, Tokenizer] = {}

    def process(self, seg: Segment) -> Iterator[Segment]:
        if seg.status is not None:
            yield seg
            return
        try:
            pieces = self._segment(seg)
        except Exception as exc:  # noqa: BLE001 - a tokenizer failure costs one segment
            pieces = [seg.fail(Stage.SEGMENT, exception_name(exc), str(exc))]
        yield from pieces

    def _segment(self, seg: Segment) -> list[Segment]:
        """The paragraph with its model input tokens, or its pieces within the limit.

        A list, not a generator: a failure midway must emit nothing for the paragraph."""
        if seg.model_name not in self._tokenizers:
            self._tokenizers[seg.model_name] = self.backends[seg.model_name].load_tokenizer()
        tokenizer = self._tokenizers[seg.model_name]
        limit = self.backends[seg.model_name].settings.max_input_tokens
        flags: list[str] = []
        if self.settings.unit == PARAGRAPH_UNIT:
            tokens = tokenizer.encode(seg.source_text, seg.source_lang)
            if len(tokens) <= limit:
                return [seg.replace(pieces=tuple(tokens), source_tokens=len(tokens))]
            flags.append(SENTENCE_SPLIT_FLAG)
        # Measuring a piece against the limit tokenizes it; the pieces kept are tokenized
        # once, here, not again below.
        encoded: dict[str, list[str]] = {}

        def encode(text: str) -> list[str]:
            if text not in encoded:
                encoded[text] = tokenizer.encode(text, seg.source_lang)
            return encoded[text]

        parts, forced = split_to_limit(
            seg.source_text, seg.source_lang, lambda text: len(encode(text)), limit
        )
        flags += forced
        if len(parts) > 1:
            self.split_paragraphs.inc()
        pieces = []
        for index, (body, separator) in enumerate(parts):
            tokens = encode(body)
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


class SegmentIntoUnits(beam.PTransform):
    """Routed segments → model-ready units (sentences or paragraphs) within each model's
    input limit."""

    def __init__(
        self, backends: dict[str, ModelBackend], settings: SegmentSettings | None = None
    ) -> None:
        super().__init__()
        self.backends = backends
        self.settings = settings or SegmentSettings()

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        return segments | beam.ParDo(SegmentParagraphs(self.backends, self.settings))
