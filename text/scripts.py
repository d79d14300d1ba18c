"""Writing systems and linguistic content: which script a paragraph's letters are in, which
scripts a language is written in, and whether a text holds any word at all.

A language identifier forced to choose names some language for anything; these checks bound
what it may be told: Han or Cyrillic text is never English, and a hex dump is no language.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

LATIN = "LATIN"
# Unicode name prefixes of letters → script (CJK ideographs are Han; kana: Japanese)
_PREFIXES = {
    "CJK": "HAN",
    "HIRAGANA": "KANA",
    "KATAKANA": "KANA",
    "HANGUL": "HANGUL",
}
# Languages not written in the Latin script (ISO 639-1); any other is taken as Latin-script.
LANGUAGE_SCRIPTS: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        ("ru", "uk", "be", "bg", "mk", "kk", "ky", "mn", "tg"), frozenset({"CYRILLIC"})
    ),
    "sr": frozenset({"CYRILLIC", LATIN}),
    "zh": frozenset({"HAN"}),
    "ja": frozenset({"HAN", "KANA"}),
    "ko": frozenset({"HANGUL", "HAN"}),
    "el": frozenset({"GREEK"}),
    **dict.fromkeys(("ar", "fa", "ur", "ps", "ug", "ku"), frozenset({"ARABIC"})),
    **dict.fromkeys(("he", "yi"), frozenset({"HEBREW"})),
    **dict.fromkeys(("hi", "mr", "ne", "sa"), frozenset({"DEVANAGARI"})),
    "bn": frozenset({"BENGALI"}),
    "as": frozenset({"BENGALI"}),
    "pa": frozenset({"GURMUKHI"}),
    "gu": frozenset({"GUJARATI"}),
    "or": frozenset({"ORIYA"}),
    "ta": frozenset({"TAMIL"}),
    "te": frozenset({"TELUGU"}),
    "kn": frozenset({"KANNADA"}),
    "ml": frozenset({"MALAYALAM"}),
    "si": frozenset({"SINHALA"}),
    "th": frozenset({"THAI"}),
    "lo": frozenset({"LAO"}),
    "km": frozenset({"KHMER"}),
    "my": frozenset({"MYANMAR"}),
    "ka": frozenset({"GEORGIAN"}),
    "hy": frozenset({"ARMENIAN"}),
    "am": frozenset({"ETHIOPIC"}),
    "dz": frozenset({"TIBETAN"}),
}
_LETTER_RUN = re.compile(r"[^\W\d_]+")
_HEX_LETTERS = re.compile(r"[a-fA-F]+")
MIN_WORD_SHARE = 0.1


def script_of(text: str) -> str | None:
    """The script most of the text's letters are in (None: no letters)."""
    counts: Counter[str] = Counter()
    for ch in text:
        if ch.isalpha():
            name = unicodedata.name(ch, "").split(" ", 1)[0]
            counts[_PREFIXES.get(name, name)] += 1
    return counts.most_common(1)[0][0] if counts else None


def written_in(language: str, script: str | None) -> bool:
    """Whether `language` is written in `script` (True when either is unknown)."""
    if script is None:
        return True
    return script in LANGUAGE_SCRIPTS.get(language, frozenset({LATIN}))


def has_words(text: str) -> bool:
    """Whether the text holds words: at least a tenth of its non-space characters are in runs
    of letters (two or more, or any outside ASCII), hexadecimal digits beside a digit left
    out. Hex dumps, hashes, UUIDs and number tables hold none."""
    visible = sum(not ch.isspace() for ch in text)
    in_words = 0
    for run in _LETTER_RUN.finditer(text):
        if len(run.group()) < 2 and run.group().isascii():
            continue
        before, after = text[run.start() - 1 : run.start()], text[run.end() : run.end() + 1]
        if _HEX_LETTERS.fullmatch(run.group()) and (before.isdigit() or after.isdigit()):
            continue
        in_words += len(run.group())
    return visible > 0 and in_words >= MIN_WORD_SHARE * visible
