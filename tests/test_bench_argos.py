"""bench/argos.py's helpers: the Argos packages made of the real model, and what counts as kept
whitespace. The Argos side needs its own virtual environment (bench/argos.py's docstring)."""

import json
import subprocess
from pathlib import Path

import pytest

from bench.argos import argos_env, package_metadata, run_worker, table, whitespace_kept
from tests.conftest import ROOT

ARGOS_PYTHON = Path("/tmp/argos-venv/bin/python")
MODEL = ROOT.parent / "shared" / "models" / "lohelp-mul-en"


def test_each_package_translates_one_language_into_english():
    assert package_metadata("vi") | {"package_version": "", "argos_version": ""} == {
        "package_version": "",
        "argos_version": "",
        "type": "translate",
        "from_code": "vi",
        "from_name": "vi",
        "to_code": "en",
        "to_name": "en",
    }


def test_argos_splits_sentences_with_spacy_at_the_pipelines_beam(tmp_path):
    env = argos_env(tmp_path, beam_size=4)
    assert env["ARGOS_CHUNK_TYPE"] == "SPACY"
    assert env["ARGOS_BEAM_SIZE"] == "4"
    assert env["ARGOS_PACKAGES_DIR"] == str(tmp_path / "packages")
    assert env["XDG_CACHE_HOME"] == str(tmp_path / "cache")


def test_whitespace_runs_count_only_when_found_byte_for_byte():
    source = "a  b\tc\r\nd_e f_g"
    assert whitespace_kept(source, "A  B\tC\r\nd_e f_g") == {
        "whitespace": [3, 3],
        "names": [2, 2],
        "underscores": [2, 2],
    }
    # \r\n became \n, the tab a space, `_` spaces: only the double space is left.
    assert whitespace_kept(source, "A  B C\nd e f g") == {
        "whitespace": [1, 3],
        "names": [0, 2],
        "underscores": [0, 2],
    }
    assert whitespace_kept(source, "A \r\n B\t\tC   D")["whitespace"] == [0, 3]


def test_a_markdown_table_has_its_separator_row():
    assert table(["a", "b"], [["1", "2"]]) == ["", "| a | b |", "| --- | --- |", "| 1 | 2 |"]


@pytest.mark.skipif(
    not ARGOS_PYTHON.exists() or not MODEL.exists(),
    reason=f"no Argos environment at {ARGOS_PYTHON} (bench/argos.py) or no real model",
)
def test_argos_reads_the_packages_as_sentencepiece_packages_with_a_spacy_sentencizer(tmp_path):
    args = type("Args", (), {"argos_python": str(ARGOS_PYTHON), "beam_size": 4})
    job = {"model": str(MODEL), "root": str(tmp_path), "langs": ["de", "fr"]}
    run_worker("install", job, args)
    listed = subprocess.run(
        [
            str(ARGOS_PYTHON),
            "-c",
            "import json; from argostranslate import package as p; print(json.dumps([[x.from_code,"
            " x.to_code, type(x.tokenizer).__name__, str(x.packaged_sbd_path)] for x in"
            " p.get_installed_packages()]))",
        ],
        env=argos_env(tmp_path, beam_size=4),
        capture_output=True,
        text=True,
        check=True,
    )
    found = sorted(json.loads(listed.stdout.splitlines()[-1]))
    assert [row[:3] for row in found] == [
        ["de", "en", "SentencePieceTokenizer"],
        ["fr", "en", "SentencePieceTokenizer"],
    ]
    assert all(row[3].endswith("spacy") for row in found)
