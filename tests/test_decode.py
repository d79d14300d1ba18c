import codecs

import pytest

from readers.decode import DecodeError, decode_bytes

GERMAN = "Grüße aus Köln: schöne Straßen, größere Plätze und überall Fußgänger."


def test_utf8_with_and_without_bom():
    assert decode_bytes(GERMAN.encode()) == (GERMAN, "utf-8")
    assert decode_bytes(codecs.BOM_UTF8 + GERMAN.encode()) == (GERMAN, "utf-8-sig")


def test_utf16_with_bom():
    assert decode_bytes(GERMAN.encode("utf-16")) == (GERMAN, "utf-16")


def test_legacy_encoding_is_detected_and_recorded():
    text, encoding = decode_bytes(GERMAN.encode("cp1252"))
    assert text == GERMAN
    assert encoding != "utf-8"


def test_binary_data_is_refused():
    with pytest.raises(DecodeError) as info:
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert info.value.error_type == "BinaryFile"


def test_undecodable_bytes_are_refused():
    with pytest.raises(DecodeError) as info:
        decode_bytes(bytes([0x80, 0x81, 0x8D, 0xFF, 0xFE]) * 50)
    assert info.value.error_type == "UndecodableBytes"
