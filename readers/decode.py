"""Bytes to text: UTF-8 first, then a detected encoding, refusing binary data."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Like git and grep: a NUL byte in the head of a file without a UTF-16/32 BOM means binary.
_BINARY_PROBE_BYTES = 8192


class DecodeError(ValueError):
    """The bytes are not text in any encoding we can trust."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name) or raise DecodeError.

    UTF-8 (with or without BOM) and BOM-marked UTF-16/32 are taken as declared;
    anything else is detected with charset-normalizer, whose answer is kept only
    when it decodes the whole input.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise DecodeError("UndecodableBytes", f"{encoding} BOM but {exc}") from exc
    if b"\x00" in data[:_BINARY_PROBE_BYTES]:
        raise DecodeError("BinaryFile", "NUL bytes in the first 8 KiB: binary data, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as utf8_error:
        best = from_bytes(data).best()
        if best is None:
            raise DecodeError(
                "UndecodableBytes", f"not UTF-8 ({utf8_error}) and no encoding detected"
            ) from utf8_error
        return str(best), best.encoding
