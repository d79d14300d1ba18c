"""GuardTranslations: find degenerate model output, retry it once with safer decoding.

Checks on each translated segment (on the text the model saw and gave, placeholders left
out):

* `repetition`: a unit of 1 to 64 characters repeated `repeat_min_times` times in a row,
  covering `repeat_min_chars` characters and more than twice the longest such run in the
  source ("(applause) (applause) (applause) ...", "........").
* `length_ratio_high` / `length_ratio_low`: output characters over source characters
  outside the pair's range (`length_ratios: {de-en: [min, max]}`, else the defaults), for
  sources of at least `ratio_min_source_chars` characters.
* `wrong_language`: the output is confidently (language.min_letters, min_confidence)
  detected as another language than the target.
* `output_length_limit`: decoding stopped at its limit (a loop that was cut).

A flagged segment is translated again, alone (so no padding changes it), with
`retry_beam_size`, `retry_repetition_penalty` and `retry_no_repeat_ngram_size`. Its flags
keep what the first output had, plus `retried`; if the retry is degenerate too, plus
`retry_degenerate`, and with `fail_degenerate` the segment becomes `failed` (the source
text stays in the document, the reason is in `error` and in errors/).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import apache_beam as beam

from backends import Decoding, Hypothesis, ModelBackend, TranslationModel
from core.metrics import counter
from core.names import Metric, Stage
from core.records import Segment, SegmentStatus
from text.langid import identifier, letter_count
from text.placeholders import without_placeholders
from transforms.detect_language import LanguageSettings
from transforms.translate import OUTPUT_LIMIT_FLAG

REPETITION_FLAG = "repetition"
TOO_LONG_FLAG = "length_ratio_high"
TOO_SHORT_FLAG = "length_ratio_low"
WRONG_LANGUAGE_FLAG = "wrong_language"
RETRIED_FLAG = "retried"
RETRY_DEGENERATE_FLAG = "retry_degenerate"
LOW_CONFIDENCE_FLAG = "low_confidence"
_MAX_UNIT = 64


@dataclass(frozen=True)
class GuardSettings:
    enabled: bool = True
    repeat_min_times: int = 4
    repeat_min_chars: int = 24
    min_length_ratio: float = 0.3
    max_length_ratio: float = 3.0
    length_ratios: dict[str, list[float]] = field(default_factory=dict)
    ratio_min_source_chars: int = 20
    # Off by default: the test models copy their input language, and the identifier errs on
    # short or technical text; turn it on with a real model.
    check_language: bool = False
    retry: bool = True
    retry_beam_size: int = 4
    retry_repetition_penalty: float = 1.2
    # Off by default: on subword and character vocabularies a real text repeats short
    # n-grams (names, numbers, "of the"), which this would forbid.
    retry_no_repeat_ngram_size: int = 0
    fail_degenerate: bool = True
    # A translation whose score (mean log-probability per target token) is below this is
    # flagged `low_confidence`; calibrated in docs/quality.md. None: never.
    low_confidence_score: float | None = -0.75

    def length_range(self, source: str | None, target: str | None) -> tuple[float, float]:
        low, high = self.length_ratios.get(
            f"{source}-{target}", [self.min_length_ratio, self.max_length_ratio]
        )
        return low, high

    def retry_decoding(self) -> Decoding:
        return Decoding(
            beam_size=self.retry_beam_size,
            repetition_penalty=self.retry_repetition_penalty,
            no_repeat_ngram_size=self.retry_no_repeat_ngram_size,
        )


def longest_repeat(text: str, min_times: int, at_least: int) -> int:
    """Characters covered by the longest run of one unit repeated `min_times` or more, if a
    run covers `at_least` characters; else 0.

    Such a run holds some `at_least // min_times`-gram `min_times` times, which is cheap to
    rule out: the regular expression (tens of steps per character) then runs only on text
    that repeats itself.
    """
    size = max(1, at_least // min_times)
    grams = Counter(text[i : i + size] for i in range(len(text) - size + 1))
    if not grams or max(grams.values()) < min_times:
        return 0
    pattern = re.compile(rf"(.{{1,{_MAX_UNIT}}}?)\1{{{min_times - 1},}}", re.S)
    longest = max((len(m.group()) for m in pattern.finditer(text)), default=0)
    return longest if longest >= at_least else 0


class DegenerateOutput:
    """The checks, with the language identifier they need (one per process)."""

    def __init__(self, settings: GuardSettings, language: LanguageSettings) -> None:
        self.settings = settings
        self.language = language
        self._identifier = None
        if settings.check_language:
            self._identifier = identifier().result()

    def reasons(self, seg: Segment, output: str, hit_limit: bool) -> list[str]:
        settings = self.settings
        source, output = without_placeholders(seg.source_text), without_placeholders(output)
        found = [OUTPUT_LIMIT_FLAG] if hit_limit else []
        times = settings.repeat_min_times
        repeat = longest_repeat(output, times, settings.repeat_min_chars)
        if repeat and repeat > 2 * longest_repeat(source, times, max(1, repeat // 2)):
            found.append(REPETITION_FLAG)
        if len(source.strip()) >= settings.ratio_min_source_chars:
            low, high = settings.length_range(seg.source_lang, seg.target_lang)
            ratio = len(output.strip()) / len(source.strip())
            if ratio > high:
                found.append(TOO_LONG_FLAG)
            elif ratio < low:
                found.append(TOO_SHORT_FLAG)
        if self._identifier is not None and self._wrong_language(output, seg.target_lang):
            found.append(WRONG_LANGUAGE_FLAG)
        return found

    def _wrong_language(self, output: str, target: str | None) -> bool:
        if target not in self._identifier.nb_classes:
            return False  # the identifier cannot recognize the target: no verdict
        if letter_count(output) < self.language.min_letters:
            return False
        language, confidence = self._identifier.classify(output)
        return language != target and confidence >= self.language.min_confidence


class GuardSegments(beam.DoFn):
    def __init__(
        self,
        settings: GuardSettings,
        language: LanguageSettings,
        backends: dict[str, ModelBackend],
    ) -> None:
        self.settings = settings
        self.language = language
        self.backends = backends
        self.flagged = counter(Metric.SEGMENTS_DEGENERATE)
        self.retried = counter(Metric.SEGMENTS_RETRIED)
        self.still_degenerate = counter(Metric.SEGMENTS_DEGENERATE_AFTER_RETRY)
        self.low_confidence = counter(Metric.SEGMENTS_LOW_CONFIDENCE)

    def setup(self) -> None:
        self._checks = DegenerateOutput(self.settings, self.language)
        # The translate stage's models: this process's instances.
        self._models: dict[str, TranslationModel] = {}
        if self.settings.enabled and self.settings.retry:
            self._models = {name: backend.shared_model() for name, backend in self.backends.items()}

    def process(self, seg: Segment) -> Iterator[Segment]:
        if (
            not self.settings.enabled
            or seg.status != SegmentStatus.TRANSLATED
            or seg.translated_text is None
        ):
            yield seg
            return
        reasons = self._checks.reasons(seg, seg.translated_text, OUTPUT_LIMIT_FLAG in seg.flags)
        if not reasons:
            yield self._confidence(seg)
            return
        self.flagged.inc()
        seg = seg.replace(flags=seg.flags + tuple(r for r in reasons if r not in seg.flags))
        if not self.settings.retry:
            yield self._settle(seg, reasons)
            return
        self.retried.inc()
        hypothesis, problem = self._retry(seg)
        if hypothesis is None:
            yield self._settle(seg.replace(flags=seg.flags + (RETRIED_FLAG,)), [problem])
            return
        seg = seg.replace(
            translated_text=hypothesis.text,
            score=hypothesis.score,
            target_tokens=hypothesis.target_tokens,
            flags=seg.flags + (RETRIED_FLAG,),
        )
        again = self._checks.reasons(seg, hypothesis.text, hypothesis.hit_length_limit)
        yield self._settle(seg, again) if again else self._confidence(seg)

    def _confidence(self, seg: Segment) -> Segment:
        """The segment, flagged `low_confidence` if its score is under the threshold."""
        threshold = self.settings.low_confidence_score
        if threshold is None or seg.score is None or seg.score >= threshold:
            return seg
        self.low_confidence.inc()
        return seg.replace(flags=seg.flags + (LOW_CONFIDENCE_FLAG,))

    def _retry(self, seg: Segment) -> tuple[Hypothesis | None, str]:
        model = self._models[seg.model_name]
        tokens = model.tokenizer.encode(seg.source_text, seg.source_lang)
        try:
            (hypothesis,) = model.translate(
                [tokens], [seg.target_lang], self.settings.retry_decoding()
            )
        except Exception as exc:  # noqa: BLE001 - a failing retry is recorded, not raised
            return None, f"retry raised {type(exc).__name__}: {exc}"
        return hypothesis, ""

    def _settle(self, seg: Segment, reasons: list[str]) -> Segment:
        """A segment still degenerate after what the settings allow."""
        self.still_degenerate.inc()
        retried = RETRIED_FLAG in seg.flags
        seg = seg.replace(flags=seg.flags + (RETRY_DEGENERATE_FLAG,) * retried)
        if not self.settings.fail_degenerate:
            return seg
        when = " after the retry" if retried else ""
        return seg.replace(translated_text=None).fail(
            Stage.GUARD, "DegenerateOutput", f"{', '.join(reasons)}{when}"
        )


class GuardTranslations(beam.PTransform):
    """Translated segments → checked, retried once if degenerate; others pass untouched."""

    def __init__(
        self,
        settings: GuardSettings,
        language: LanguageSettings,
        backends: dict[str, ModelBackend],
    ) -> None:
        super().__init__()
        self.settings = settings
        self.language = language
        self.backends = backends

    def expand(self, segments: beam.PCollection) -> beam.PCollection:
        return segments | beam.ParDo(GuardSegments(self.settings, self.language, self.backends))
