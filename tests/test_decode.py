import codecs
import unicodedata

import pytest

from bench.decode_accuracy import accuracy, samples
from readers.decode import (
    FLAG_GUESSED,
    FLAG_INVALID_UTF8,
    Decoded,
    DecodeError,
    decode_bytes,
)

GERMAN = "Grüße aus Köln: schöne Straßen, größere Plätze und überall Fußgänger."
FRENCH = "Le café est très chaud, déjà prêt à être servi."


def test_utf8_with_and_without_bom():
    assert decode_bytes(GERMAN.encode()) == Decoded(GERMAN, "utf-8")
    assert decode_bytes(codecs.BOM_UTF8 + GERMAN.encode()) == Decoded(GERMAN, "utf-8-sig")


def test_utf16_with_bom():
    assert decode_bytes(GERMAN.encode("utf-16")) == Decoded(GERMAN, "utf-16")


def test_latin1_french_is_decoded_as_western_not_baltic():
    decoded = decode_bytes(FRENCH.encode("latin-1"))
    assert decoded.text == FRENCH
    assert decoded.encoding == "cp1252" and FLAG_GUESSED in decoded.flags


def test_utf8_with_a_stray_byte_stays_utf8_and_is_flagged_with_the_count():
    data = GERMAN.encode()
    broken = data[:10] + b"\x80" + data[10:]
    decoded = decode_bytes(broken)
    assert decoded.encoding == "utf-8"
    assert decoded.text == data[:10].decode() + "\ufffd" + data[10:].decode()
    assert decoded.flags == (f"{FLAG_INVALID_UTF8}:1",)


def test_utf8_with_too_many_invalid_bytes_is_not_taken_for_utf8():
    # over 1 % invalid: a legacy text that happens to hold one UTF-8 sequence
    data = "Größe".encode() + " trčs déją".encode("cp1250") * 3
    assert decode_bytes(data).encoding != "utf-8"


def test_read_encoding_forces_the_codec():
    data = FRENCH.encode("cp1257", errors="replace")
    assert decode_bytes(FRENCH.encode("latin-1"), "latin-1") == Decoded(FRENCH, "latin-1")
    assert decode_bytes(data, "cp1257").encoding == "cp1257"
    with pytest.raises(DecodeError, match=r"not utf-8 \(read.encoding\)"):
        decode_bytes(FRENCH.encode("latin-1"), "utf-8")


def test_binary_data_is_refused():
    with pytest.raises(DecodeError) as info:
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert info.value.error_type == "BinaryFile"


def test_legacy_code_pages_are_decoded_exactly_from_40_characters_on():
    result = accuracy()
    long = [result["length"][n] for n in result["length"] if n >= 40]
    right, total = sum(r for r, _ in long), sum(t for _, t in long)
    assert total > 200
    assert right / total >= 0.95, result
    assert {language for language in result["language"]} >= {
        "de", "fr", "es", "pt", "pl", "cs", "ru", "el", "tr", "vi"
    }  # fmt: skip


def test_utf8_text_of_every_language_is_never_decoded_otherwise():
    for _, _, _, text, _ in samples():
        assert decode_bytes(text.encode()) == Decoded(text, "utf-8")
        nfd = unicodedata.normalize("NFD", text)
        assert decode_bytes(nfd.encode()).text == nfd


def test_documents_carry_their_decoding_flags(test_models, tmp_path):
    import pyarrow.parquet as pq

    from tests.conftest import run_pipeline

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    german = GERMAN.encode()
    (corpus / "stray.txt").write_bytes(german[:10] + b"\x80" + german[10:])
    (corpus / "latin.txt").write_bytes(FRENCH.encode("latin-1"))
    (corpus / "clean.txt").write_bytes(german)
    run_pipeline([f"{corpus}/*"], tmp_path / "out", test_models["copy"])
    rows = {row["doc_id"]: row for row in pq.read_table(tmp_path / "out" / "documents").to_pylist()}
    assert rows["stray.txt"]["flags"] == [f"{FLAG_INVALID_UTF8}:1"]
    assert rows["stray.txt"]["encoding"] == "utf-8"
    assert rows["latin.txt"]["source_text"] == FRENCH
    assert rows["latin.txt"]["encoding"] == "cp1252"
    assert FLAG_GUESSED in rows["latin.txt"]["flags"]
    assert rows["clean.txt"]["flags"] == []
