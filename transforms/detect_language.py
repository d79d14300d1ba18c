"""DetectLanguage: a language and confidence for every paragraph of a document.

Detection is text.langid's. Paragraphs that are too short or too uncertain to
trust (names, signatures, dates) take the document's dominant language, unless that
language is not written in the paragraph's script (Han or Cyrillic text is never
English): then the paragraph keeps its own detection, flagged. A language hint (per
run, or per document from the input) overrides detection. Paragraphs with no letters,
or no words (hex dumps, hashes, number tables: text.scripts), get no language and
pass through.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

import apache_beam as beam

from core.metrics import counter
from core.names import Metric
from core.records import Segment
from text.langid import identifier, letter_count
from text.scripts import has_words, script_of, written_in

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

NO_LETTERS_FLAG = "no_letters"
DOCUMENT_FALLBACK_FLAG = "lang_from_document"
NO_WORDS_FLAG = "no_words"
# An uncertain paragraph kept its own language: the document's is not written in its script.
SCRIPT_BOUND_FLAG = "lang_script_bound"


@dataclass(frozen=True)
class LanguageSettings:
    source_lang: str | None = None
    min_letters: int = 20
    min_confidence: float = 0.8


class DetectDocumentLanguages(beam.DoFn):
    """A document's list of paragraph segments in, the same list with languages out."""

    def __init__(self, settings: LanguageSettings) -> None:
        self.settings = settings
        self.fallbacks = counter(Metric.LANGUAGE_DOCUMENT_FALLBACKS)

    def setup(self) -> None:
        # Loaded at the first paragraph that needs it (in the background from the launcher
        # of an in-process run that has no language hints): a corpus that carries its
        # languages, or a run with `source_lang`, never does.
        self._identifier: Future[LanguageIdentifier] | None = None

    def process(self, segments: list[Segment]) -> Iterator[list[Segment]]:
        detected = [self._detect(seg) for seg in segments]
        votes: Counter[str] = Counter()
        for lang, _, letters, trusted in detected:
            if lang and trusted:
                votes[lang] += letters
        dominant = votes.most_common(1)[0][0] if votes else None
        out = []
        for seg, (lang, prob, letters, trusted) in zip(segments, detected, strict=True):
            flags = seg.flags
            if letters == 0:
                flags += (NO_LETTERS_FLAG,)
            elif lang is None:
                flags += (NO_WORDS_FLAG,)
            elif (
                not trusted
                and dominant
                and not written_in(dominant, script := script_of(seg.source_text))
            ):
                flags += (SCRIPT_BOUND_FLAG,)
                lang = lang if written_in(lang, script) else None
            elif not trusted and dominant:
                self.fallbacks.inc()
                lang, flags = dominant, flags + (DOCUMENT_FALLBACK_FLAG,)
            out.append(seg.replace(source_lang=lang, lang_score=prob, flags=flags))
        yield out

    def _detect(self, seg: Segment) -> tuple[str | None, float | None, int, bool]:
        """(language, confidence, letters, trusted) for one paragraph."""
        letters = letter_count(seg.source_text)
        hint = seg.source_lang_hint or self.settings.source_lang
        if letters == 0:
            return None, None, 0, False
        if not has_words(seg.source_text):
            return None, None, letters, False
        if hint:
            return hint, 1.0, letters, True
        if self._identifier is None:
            self._identifier = identifier()
        lang, prob = self._identifier.result().classify(seg.source_text)
        trusted = prob >= self.settings.min_confidence and letters >= self.settings.min_letters
        return lang, float(prob), letters, trusted


class DetectLanguage(beam.PTransform):
    def __init__(self, settings: LanguageSettings) -> None:
        super().__init__()
        self.settings = settings

    def expand(self, documents: beam.PCollection) -> beam.PCollection:
        return documents | beam.ParDo(DetectDocumentLanguages(self.settings))
