import bz2
import gzip
import json

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from apache_beam.testing.util import assert_that, equal_to

from readers import MatchedFile, ReadSettings, reader_class
from readers.jsonl import JsonlReader
from readers.parquet import ParquetReader
from readers.text import TextReader
from tests.conftest import local_pipeline
from transforms.read import ReadDocuments, pattern_base

HELLO = "Hallo Welt.\n\nZweiter Absatz."


def read_and_check(patterns, settings, check_documents, check_errors):
    """Runs ReadDocuments; the checks get [(doc_id, text, encoding)] and [(doc_id, type)]."""
    with local_pipeline() as p:
        docs, errs = p | ReadDocuments([str(x) for x in patterns], settings)
        assert_that(
            docs | beam.Map(lambda d: (d.doc_id, d.text, d.encoding)),
            check_documents,
            label="documents",
        )
        assert_that(
            errs | beam.Map(lambda e: (e.doc_id, e.error_type, e.stage)),
            check_errors,
            label="errors",
        )


def test_pattern_base_and_format():
    assert pattern_base("docs/**/*.txt") == "docs/"
    assert pattern_base("gs://bucket/corpus/a*.jsonl") == "gs://bucket/corpus/"
    assert pattern_base("docs/one.txt") == "docs/"
    assert reader_class("a/b.TXT") is TextReader
    assert reader_class("a/b.jsonl.gz") is JsonlReader
    assert reader_class("a/b.md.zst") is TextReader
    assert reader_class("a/b.parquet") is ParquetReader
    assert reader_class("a/b.pdf") is None


def test_every_format_and_compression(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "plain.txt").write_text(HELLO, encoding="utf-8")
    (corpus / "sub" / "notes.md").write_bytes(b"\xef\xbb\xbf# Titel\n\nText")
    (corpus / "latin.txt").write_bytes(
        "Grüße aus Köln: schöne Straßen, größere Plätze und überall Fußgänger.".encode("cp1252")
    )
    (corpus / "packed.txt.gz").write_bytes(gzip.compress(HELLO.encode()))
    (corpus / "packed.md.bz2").write_bytes(bz2.compress(HELLO.encode()))
    (corpus / "packed.txt.zst").write_bytes(zstandard.ZstdCompressor().compress(HELLO.encode()))
    lines = [
        json.dumps({"id": "x1", "text": "eins"}),
        "",
        json.dumps({"text": "zwei"}),
        "{not json",
        json.dumps({"id": "x4", "body": "no text"}),
    ]
    (corpus / "docs.jsonl").write_text("\n".join(lines) + "\n")
    (corpus / "docs.jsonl.gz").write_bytes(gzip.compress(b'{"text": "gz line"}\n'))
    pq.write_table(
        pa.table({"id": ["p0", None], "text": ["drei", "vier"]}), corpus / "rows.parquet"
    )
    pq.write_table(pa.table({"body": ["no text column"]}), corpus / "notext.parquet")

    def check_documents(documents):
        by_id = {doc_id: (text, enc) for doc_id, text, enc in documents}
        assert by_id["plain.txt"] == (HELLO, "utf-8")
        assert by_id["sub/notes.md"] == ("# Titel\n\nText", "utf-8-sig")
        assert by_id["latin.txt"][0].startswith("Grüße aus Köln")
        assert by_id["latin.txt"][1] != "utf-8"
        for name in ("packed.txt.gz", "packed.md.bz2", "packed.txt.zst"):
            assert by_id[name] == (HELLO, "utf-8")
        assert by_id["x1"][0] == "eins"
        assert by_id["docs.jsonl:3"][0] == "zwei"
        assert by_id["docs.jsonl.gz:1"][0] == "gz line"
        assert by_id["p0"][0] == "drei"
        assert by_id["rows.parquet:1"][0] == "vier"
        assert len(documents) == len(by_id) == 11

    read_and_check(
        [corpus / "**"],
        ReadSettings(id_field="id"),
        check_documents,
        equal_to(
            [
                ("docs.jsonl:4", "MalformedJSON", "read"),
                ("docs.jsonl:5", "MissingText", "read"),
                ("notext.parquet", "MissingColumn", "read"),
            ]
        ),
    )


def test_bad_files_become_errors(tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)))
    (tmp_path / "broken.txt").write_bytes(bytes([0x80, 0x81, 0x8D, 0xFF, 0xFE]) * 50)
    (tmp_path / "big.txt").write_text("x" * 2000)
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"y" * 100_000))
    (tmp_path / "corrupt.txt.gz").write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")
    (tmp_path / "image.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "ok.txt").write_text("fine")

    def check_errors(errors):
        kinds = {doc_id: kind for doc_id, kind, _ in errors}
        assert len(errors) == len(kinds) == 7
        assert kinds["binary.txt"] == "BinaryFile"
        assert kinds["broken.txt"] == "UndecodableBytes"
        assert kinds["big.txt"] == "DocumentTooLarge"
        assert kinds["bomb.txt.gz"] == "DocumentTooLarge"
        assert kinds["image.pdf"] == "UnsupportedFormat"
        assert "corrupt.txt.gz" in kinds
        assert kinds[None] == "NoMatch"

    read_and_check(
        [tmp_path / "*", tmp_path / "missing-*.txt"],
        ReadSettings(max_document_bytes=1000),
        equal_to([("ok.txt", "fine", "utf-8")]),
        check_errors,
    )


def test_truncated_and_corrupt_compressed_streams_are_errors_never_documents(tmp_path):
    text = ("Ein langer deutscher Text über Bücher und Straßen. " * 600).encode()
    packed = {
        "gz": gzip.compress(text),
        "bz2": bz2.compress(text),
        # zstd checks only frames written with a checksum (zstd's CLI writes one)
        "zst": zstandard.ZstdCompressor(write_checksum=True).compress(text),
    }
    for suffix, data in packed.items():
        (tmp_path / f"cut.txt.{suffix}").write_bytes(data[: len(data) // 2])
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0xFF
        (tmp_path / f"flipped.txt.{suffix}").write_bytes(bytes(flipped))
        (tmp_path / f"whole.txt.{suffix}").write_bytes(data + data)  # two members / frames
        lines = b'{"text": "eins"}\n{"text": "zwei"}\n'
        compressed = {"gz": gzip.compress, "bz2": bz2.compress}.get(
            suffix, zstandard.ZstdCompressor().compress
        )(lines)
        (tmp_path / f"cut.jsonl.{suffix}").write_bytes(compressed[:-6])

    def check_documents(documents):
        assert sorted(doc_id for doc_id, _, _ in documents) == [
            "whole.txt.bz2", "whole.txt.gz", "whole.txt.zst"
        ]  # fmt: skip
        assert all(decoded == text.decode() * 2 for _, decoded, _ in documents)

    def check_errors(errors):
        kinds = {doc_id: kind for doc_id, kind, _ in errors}
        for suffix in packed:
            assert kinds[f"cut.txt.{suffix}"] == "TruncatedStream", kinds
            assert kinds[f"flipped.txt.{suffix}"] in ("CorruptStream", "TruncatedStream"), kinds
        assert {kinds[f"cut.jsonl.{s}"] for s in packed} == {"TruncatedStream"}

    read_and_check([tmp_path / "*"], ReadSettings(), check_documents, check_errors)


def test_truncated_gzip_message_names_the_format(tmp_path):
    from readers.compressed import CorruptStream, TruncatedStream, open_input

    data = gzip.compress(b"Hallo " * 5000)
    (tmp_path / "cut.txt.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "bad.txt.gz").write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")
    with pytest.raises(TruncatedStream, match="truncated gzip file: .*cut.txt.gz"):
        open_input(str(tmp_path / "cut.txt.gz")).read()
    with pytest.raises(CorruptStream, match="corrupt gzip file: .*bad.txt.gz"):
        open_input(str(tmp_path / "bad.txt.gz")).read()


def test_a_jsonl_record_with_a_stray_byte_is_read_and_flagged(tmp_path):
    (tmp_path / "docs.jsonl").write_bytes(
        '{"text": "Größe '.encode()
        + b"\x80"
        + ' und Straße"}\n'.encode()
        + b'{"text": "caf\xe9"}\n'
    )
    matched = MatchedFile(str(tmp_path / "docs.jsonl"), "docs.jsonl", 0)
    document, error = JsonlReader(ReadSettings()).read_file(matched)
    assert document.text == "Größe \ufffd und Straße"
    assert document.flags == ("invalid_utf8_bytes:1",)
    assert error.error_type == "MalformedJSON"  # no UTF-8 in it: not a stray byte
