"""ProtectSpans, ApplyGlossary, RestoreSpans: what the model must not change goes past it
as placeholders (text.placeholders) and is put back after translation.

ProtectSpans runs on each document's paragraphs before language detection: fenced code
blocks may span blank lines, so they are found over the whole document, and detection then
judges the prose, not URLs or code. A paragraph that is all code is flagged `code_block` and,
having no letters left, passes through. ApplyGlossary runs after routing, when the language
pair is known. RestoreSpans puts the spans back in `source_text` (exactly) and in the
translation (flagging placeholders the model dropped, duplicated or invented).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import apache_beam as beam

from backends import ModelSettings
from core.metrics import counter
from core.names import Metric
from core.records import Segment, SegmentStatus
from text.glossary import Glossary
from text.placeholders import mask, may_split_placeholder, restore, unmask
from text.spans import CODE, SPAN_KINDS, clipped, fenced_code_ranges, find_spans

CODE_BLOCK_FLAG = "code_block"
UNPROTECTED_FLAG = "spans_unprotected"
GLOSSARY_FLAG = "glossary"


@dataclass(frozen=True)
class ProtectSettings:
    # Which spans become placeholders: code (inline and fenced), url, email, number (with a
    # unit or currency), markup (Markdown/HTML, line breaks), identifier (order numbers,
    # hashes); [] protects none.
    kinds: list[str] = field(default_factory=lambda: list(SPAN_KINDS))
    # Tab-separated glossary file (text/glossary.py has the format).
    glossary: str | None = None


def protect_paragraph(
    text: str, kinds: list[str], code: list[tuple[int, int]], max_input_tokens: int
) -> tuple[str, list[tuple[str, str]], list[str]]:
    """(masked text, spans, flags) for one paragraph; `code` = its fenced code ranges."""
    ranges = find_spans(text, kinds, code)
    masked, spans = mask(text, [(start, end, text[start:end]) for start, end in ranges], 0)
    if may_split_placeholder(masked, max_input_tokens):
        return text, [], [UNPROTECTED_FLAG]
    outside_code = "".join(
        text[end:start]
        for (_, end), (start, _) in zip([(0, 0), *code], [*code, (len(text), 0)], strict=True)
    )
    all_code = bool(code) and not outside_code.strip()
    return masked, spans, [CODE_BLOCK_FLAG] if all_code else []


class ProtectDocumentSpans(beam.DoFn):
    """A document's paragraph segments in, the same list with masked `source_text` out."""

    def __init__(self, settings: ProtectSettings, max_input_tokens: int) -> None:
        self.settings = settings
        self.max_input_tokens = max_input_tokens
        self.protected = counter(Metric.SPANS_PROTECTED)
        self.code_blocks = counter(Metric.PARAGRAPHS_CODE_BLOCK)

    def process(self, segments: list[Segment]) -> Iterator[list[Segment]]:
        kinds = self.settings.kinds
        document = "".join(seg.prefix + seg.source_text + seg.separator for seg in segments)
        fences = fenced_code_ranges(document) if CODE in kinds else []
        out, offset = [], 0
        for seg in segments:
            start = offset + len(seg.prefix)
            end = start + len(seg.source_text)
            offset = end + len(seg.separator)
            if seg.status is not None:  # refused before translation: never reaches a model
                out.append(seg)
                continue
            masked, spans, flags = protect_paragraph(
                seg.source_text, kinds, clipped(fences, start, end), self.max_input_tokens
            )
            self.protected.inc(len(spans))
            if CODE_BLOCK_FLAG in flags:
                self.code_blocks.inc()
            out.append(
                seg.replace(source_text=masked, spans=tuple(spans), flags=seg.flags + tuple(flags))
            )
        yield out


class ProtectSpans(beam.PTransform):
    """Per-document paragraph lists → the same lists, protected spans masked.

    `max_input_tokens` is the smallest input limit of the run's models: a placeholder is
    never put where the segmenter could cut it in two.
    """

    def __init__(self, settings: ProtectSettings, max_input_tokens: int) -> None:
        super().__init__()
        self.settings = settings
        self.max_input_tokens = max_input_tokens

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        return documents | beam.ParDo(ProtectDocumentSpans(self.settings, self.max_input_tokens))


class ApplyGlossarySegment(beam.DoFn):
    def __init__(self, glossary: Glossary | None, models: dict[str, ModelSettings]) -> None:
        self.glossary = glossary
        self.models = models
        self.terms = counter(Metric.GLOSSARY_TERMS)

    def process(self, seg: Segment) -> Iterator[Segment]:
        if self.glossary is None or seg.status is not None or seg.model_name is None:
            yield seg
            return
        found = self.glossary.matches(seg.source_text, seg.source_lang, seg.target_lang)
        found = [m for m in found if not _overlaps_placeholder(seg.source_text, m)]
        if not found:
            yield seg
            return
        masked, spans = mask(seg.source_text, found, len(seg.spans))
        if may_split_placeholder(masked, self.models[seg.model_name].max_input_tokens):
            yield seg.replace(flags=seg.flags + (UNPROTECTED_FLAG,))
            return
        self.terms.inc(len(spans))
        yield seg.replace(
            source_text=masked, spans=seg.spans + tuple(spans), flags=seg.flags + (GLOSSARY_FLAG,)
        )


def _overlaps_placeholder(text: str, match: tuple[int, int, str]) -> bool:
    """A term must not match the digits of a placeholder (a term "3" in "{3}")."""
    start, end, _ = match
    return text[max(0, start - 1) : start] == "{" or text[end : end + 1] == "}"


class ApplyGlossary(beam.PTransform):
    """Routed segments → glossary terms of their language pair masked (None: no glossary)."""

    def __init__(self, glossary: Glossary | None, models: dict[str, ModelSettings]) -> None:
        super().__init__()
        self.glossary = glossary
        self.models = models

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        # A ParDo even without a glossary: an empty composite would vanish from a runner's
        # job graph (Dataflow) while it stays in the pipeline's.
        return segments | beam.ParDo(ApplyGlossarySegment(self.glossary, self.models))


class RestoreSegmentSpans(beam.DoFn):
    def __init__(self) -> None:
        self.damaged = counter(Metric.SEGMENTS_PLACEHOLDER_DAMAGED)

    def process(self, seg: Segment) -> Iterator[Segment]:
        if not seg.spans:
            yield seg
            return
        translated, flags = seg.translated_text, ()
        if seg.status == SegmentStatus.TRANSLATED and translated is not None:
            translated, flags = restore(seg.source_text, translated, seg.spans)
        elif translated is not None:
            translated = unmask(translated, seg.spans)
        if flags:
            self.damaged.inc()
        yield seg.replace(
            source_text=unmask(seg.source_text, seg.spans),
            translated_text=translated,
            flags=seg.flags + flags,
            spans=(),
        )


class RestoreSpans(beam.PTransform):
    """Segments with masked text → segments with their protected spans back in place."""

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        return segments | beam.ParDo(RestoreSegmentSpans())
