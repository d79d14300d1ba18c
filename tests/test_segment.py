import pytest

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
