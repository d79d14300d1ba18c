"""Bytes to text: UTF-8 first and strictly, legacy code pages only for text that is not
UTF-8, chosen by what the text plausibly is; binary data is refused.

1. A BOM (UTF-8, UTF-16, UTF-32) is taken as declared; `read.encoding` forces a codec.
2. Valid UTF-8 is UTF-8.
3. UTF-8 with a few invalid bytes (a stray byte in an edited file) stays UTF-8: the bad
   bytes become U+FFFD and the document is flagged `invalid_utf8_bytes:N`. "A few": the
   rest holds multi-byte sequences (real UTF-8 evidence; ASCII with a few high bytes is a
   legacy text with a handful of accents), and the bad bytes are under 1 % of the bytes or,
   in a short text, under half as many as its multi-byte characters (a legacy text decodes as
   a valid multi-byte sequence only by accident, and then rarely, among many bad bytes).
4. Anything else is decoded with each legacy code page that decodes it, and the decoding
   the language identifier finds most plausible, in a language that code page is used
   for, wins (flag `encoding_guessed`; `encoding_uncertain` when the runner-up, in another
   script or language, is nearly as plausible). A detector's first guess is not used: on
   short Latin-1 text it picks Baltic or Central European pages ("trčs", "déją").
"""

from __future__ import annotations

import codecs
import threading
import unicodedata
from dataclasses import dataclass

from text.langid import identifier, letter_count

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Like git and grep: a NUL byte in the head of a file without a UTF-16/32 BOM means binary.
_BINARY_PROBE_BYTES = 8192
MAX_INVALID_UTF8_FRACTION = 0.01
# Legacy code pages, most common first (a tie keeps the first), with the languages
# (ISO 639-1) each is used for.
LEGACY_CODE_PAGES: dict[str, tuple[str, ...]] = {
    "cp1252": (
        "en", "de", "fr", "es", "pt", "it", "nl", "da", "sv", "no", "nb", "nn", "fi", "ca",
        "gl", "eu", "is", "ga", "af", "id", "ms", "sw", "la", "lb", "oc", "wa", "br", "et",
    ),
    "cp1250": ("pl", "cs", "sk", "hu", "sl", "hr", "bs", "sr", "ro", "sq", "de"),
    "iso-8859-2": ("pl", "cs", "sk", "hu", "sl", "hr", "bs", "sr", "ro", "sq", "de"),
    "cp1251": ("ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "mn", "tg"),
    "koi8-r": ("ru", "bg", "be", "mk", "sr"),
    "koi8-u": ("uk", "ru"),
    "iso-8859-7": ("el",),
    "cp1253": ("el",),
    "cp1254": ("tr", "az", "ku"),
    "cp1257": ("lt", "lv", "et"),
    "cp1258": ("vi",),
    "cp1255": ("he", "yi"),
    "cp1256": ("ar", "fa", "ur"),
    "cp874": ("th",),
    "cp932": ("ja",),
    "gb18030": ("zh",),
    "big5": ("zh",),
    "euc_kr": ("ko",),
}  # fmt: skip
# The non-ASCII letters of languages written in Latin script with a legacy code page
# (lowercase; a letter outside them is an oddity), where code pages of one script differ.
ALPHABETS = {
    "pl": "ąćęłńóśźż", "cs": "áčďéěíňóřšťúůýž", "sk": "áäčďéíĺľňóôŕšťúýž",
    "hu": "áéíóöőúüű", "sl": "čšžćđ", "hr": "čćđšž", "bs": "čćđšž", "ro": "ăâîșțşţ",
    "sq": "çë", "de": "äöüßé", "tr": "çğıöşüâîû", "az": "çəğıöşü",
    "lt": "ąčęėįšųūž", "lv": "āčēģīķļņšūž", "et": "äöõüšž",
}  # fmt: skip
# Text long enough to judge is judged on its head: identification is then fast and sure.
_PROBE_CHARS = 2000
_PROBE_BYTES = 8192
UNCERTAIN_MARGIN = 0.2
# Below this, no code page gives text in a language it is used for: not text we can trust.
MIN_PLAUSIBILITY = 0.05
FLAG_INVALID_UTF8 = "invalid_utf8_bytes"
FLAG_GUESSED = "encoding_guessed"
FLAG_UNCERTAIN = "encoding_uncertain"


class DecodeError(ValueError):
    """The bytes are not text in any encoding we can trust."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    flags: tuple[str, ...] = ()


_replaced = threading.local()


def _count_and_replace(exc: UnicodeDecodeError) -> tuple[str, int]:
    _replaced.count += exc.end - exc.start
    return "\ufffd", exc.end


_HANDLER = "corpus-translate.count-and-replace"
codecs.register_error(_HANDLER, _count_and_replace)


def decode_bytes(data: bytes, encoding: str | None = None) -> Decoded:
    """The text of `data` and how it was decoded, or DecodeError. `encoding` forces one."""
    if encoding:
        try:
            return Decoded(data.decode(encoding), encoding)
        except UnicodeDecodeError as exc:
            raise DecodeError("UndecodableBytes", f"not {encoding} (read.encoding): {exc}") from exc
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(name), name)
            except UnicodeDecodeError as exc:
                raise DecodeError("UndecodableBytes", f"{name} BOM but {exc}") from exc
    if b"\x00" in data[:_BINARY_PROBE_BYTES]:
        raise DecodeError("BinaryFile", "NUL bytes in the first 8 KiB: binary data, not text")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as utf8_error:
        lenient = mostly_utf8(data)
        if lenient is not None:
            return lenient
        legacy = _most_plausible_legacy(data)
        if legacy is None:
            raise DecodeError(
                "UndecodableBytes", f"not UTF-8 ({utf8_error}) and no code page fits it"
            ) from utf8_error
        return legacy


def mostly_utf8(data: bytes) -> Decoded | None:
    """UTF-8 with its few invalid bytes replaced, when the rest is UTF-8 with multi-byte
    sequences in it; else None."""
    # A fast first look (C-level): each invalid sequence becomes one U+FFFD.
    text = data.decode("utf-8", "replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    multibyte = len(text) - len(text.encode("ascii", "ignore")) - replaced
    if not multibyte or replaced > max(MAX_INVALID_UTF8_FRACTION * len(data), multibyte / 2):
        return None
    _replaced.count = 0  # few errors: count the bytes exactly
    text = data.decode("utf-8", _HANDLER)
    bad = _replaced.count
    if bad > max(MAX_INVALID_UTF8_FRACTION * len(data), multibyte / 2):
        return None
    return Decoded(text, "utf-8", (f"{FLAG_INVALID_UTF8}:{bad}",))


def oddities(text: str, alphabet: str | None) -> int:
    """Characters that real text in one language and script rarely has, as a wrong code
    page makes them: controls and unassigned code points; symbols, foreign digits or
    punctuation inside a word ("poszli¶my"); a capital right after a small letter
    ("łódĽ", KOI8-R read as cp1251); a combining mark with nothing to combine with; and
    letters outside the language's `alphabet` (its non-ASCII letters, where known)."""
    padded = f" {text} "
    return sum(
        _is_odd(padded[i], padded[i - 1], padded[i + 1], alphabet)
        for i in range(1, len(padded) - 1)
    )


_WORD_PUNCTUATION = "·״׳"  # Catalan l·l, Hebrew gershayim and geresh
_HARMLESS_CONTROLS = "\t\n\r\f\v\u200c\u200d\u00ad\ufeff"


def _is_odd(ch: str, previous: str, following: str, alphabet: str | None) -> bool:
    category = unicodedata.category(ch)
    if category[0] == "C":
        return ch not in _HARMLESS_CONTROLS
    if category[0] == "S" or category == "No" or (category == "Nd" and not ch.isascii()):
        return previous.isalpha() or following.isalpha()
    if category == "Po" and not ch.isascii() and not ("\u3000" <= ch <= "\u303f"):
        # inside a word, as no script but CJK (whose full stops and commas are in their
        # own block, or full-width) puts its punctuation: "ภ๚ณ" is EUC-KR read as cp874
        return previous.isalpha() and following.isalpha() and ch not in _WORD_PUNCTUATION
    if category == "Mn":
        return not (previous.isalpha() or unicodedata.category(previous) == "Mn")
    if ch.isupper() and previous.islower():
        return True
    return alphabet is not None and ch.isalpha() and not ch.isascii() and ch.lower() not in alphabet


def plausibility(text: str, languages: tuple[str, ...]) -> tuple[float, str]:
    """How plausible `text` is as a text in one of `languages`: the identifier's
    probability of the likeliest of them, lowered by its `oddities` (each one in ten
    letters takes it to zero); and that language."""
    probe = unicodedata.normalize("NFC", text[:_PROBE_CHARS])
    ranked = dict(identifier().result().rank(probe))
    language = max(languages, key=lambda code: ranked.get(code, 0.0))
    letters = letter_count(probe)
    odd = oddities(probe, ALPHABETS.get(language))
    return ranked.get(language, 0.0) * max(0.0, 1 - 10 * odd / max(1, letters)), language


def _head(data: bytes, name: str) -> str | None:
    """The first `_PROBE_BYTES` of `data` in code page `name`, or None if they are not in
    it (a multi-byte character cut at the end of the head is dropped)."""
    head = data[:_PROBE_BYTES]
    for cut in range(4 if len(data) > _PROBE_BYTES else 1):
        try:
            return head[: len(head) - cut].decode(name)
        except UnicodeDecodeError:
            continue
    return None


def _most_plausible_legacy(data: bytes) -> Decoded | None:
    """The code page whose decoding of the head is most plausible and that decodes the
    whole of `data`; judged on the head, a large file is decoded whole only once."""
    scored = []
    for index, (name, languages) in enumerate(LEGACY_CODE_PAGES.items()):
        head = _head(data, name)
        if head is not None:
            score, language = plausibility(head, languages)
            scored.append((score, -index, name, language, head))
    scored.sort(reverse=True)
    for rank, (score, _, name, language, head) in enumerate(scored):
        if score < MIN_PLAUSIBILITY:
            return None
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        flags = [FLAG_GUESSED]
        rivals = [s for s in scored[rank + 1 :] if s[4] != head and s[3] != language]
        if rivals and score - rivals[0][0] < UNCERTAIN_MARGIN:
            flags.append(FLAG_UNCERTAIN)
        return Decoded(text, name, tuple(flags))
    return None
