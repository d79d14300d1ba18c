import pytest

from reports.devset import read_devset
from tests.conftest import ROOT
from text.sentences import FORCED_SPLIT_FLAG, sentence_starts, split_to_limit


def chars(text: str) -> int:
    return len(text)


def rebuilt(pieces):
    return "".join(body + sep for body, sep in pieces)


def test_sentences_keep_their_original_spacing():
    text = "Erster Satz.  Zweiter Satz!\nDritter Satz?\t Vierter."
    pieces, flags = split_to_limit(text, "de", chars, 20)
    assert rebuilt(pieces) == text
    assert [body for body, _ in pieces] == [
        "Erster Satz.",
        "Zweiter Satz!",
        "Dritter Satz?",
        "Vierter.",
    ]
    assert [sep for _, sep in pieces] == ["  ", "\n", "\t ", ""]
    assert FORCED_SPLIT_FLAG not in flags


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "vi", None])
def test_every_piece_fits_and_nothing_is_lost(language):
    sentence = "Word " * 30 + "end. "
    text = (sentence * 5 + "A" * 75).strip()
    pieces, flags = split_to_limit(text, language, chars, 40)
    assert rebuilt(pieces) == text
    assert all(0 < len(body) <= 40 for body, _ in pieces)
    assert FORCED_SPLIT_FLAG in flags


def test_sentence_starts_are_offsets_in_the_original_text():
    text = "One.  Two.   Three."
    assert sentence_starts(text, "en") == [0, 6, 13]


def pysbd_starts(text: str, language: str) -> list[int]:
    """What pysbd itself cuts, without the shortcut for texts it cannot cut."""
    import pysbd
    from pysbd.languages import LANGUAGE_CODES

    language = language if language in LANGUAGE_CODES else "en"
    starts, position = [0], 0
    for sentence in pysbd.Segmenter(language=language, clean=False).segment(text):
        found = text.find(sentence.strip(), position) if sentence.strip() else -1
        if found >= 0:
            starts.append(found)
            position = found + len(sentence.strip())
    return sorted(set(starts))


@pytest.mark.parametrize(
    "text",
    [
        "A heading without a stop",
        "One sentence, one final stop.",
        "Pourquoi pas ?",
        "  Leading space is a sentence start",
        'He said "go" and left.',
        'Choose Insert -" Frame',  # a dash before a quote ends a sentence for pysbd
        "1) first item 2) second item",
        'Hello world."',
        "one line\nand another",
        "z.B. mitten im Satz",
        "第一句。第二句",
        "Trailing spaces.   ",
        "",
    ],
)
@pytest.mark.parametrize("language", ["en", "de", "zh"])
def test_the_shortcut_for_one_sentence_cuts_as_pysbd_does(text, language):
    assert sentence_starts(text, language) == pysbd_starts(text, language)


DEVSET = ROOT.parent / "shared" / "eval" / "lohelp-dev.jsonl"


@pytest.mark.skipif(not DEVSET.is_file(), reason=f"the development set is missing: {DEVSET}")
def test_the_shortcut_cuts_the_development_set_as_pysbd_does():
    rows = read_devset(DEVSET)
    texts = [(row.source, row.lang) for row in rows] + [(row.reference, "en") for row in rows]
    differ = [t for t, lang in texts if sentence_starts(t, lang) != pysbd_starts(t, lang)]
    assert differ == []
