"""The command line a new user meets: --help, mistyped flags, --set, config-relative paths,
language codes, and the exit codes a scheduler acts on (docs/exit-codes.md)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from core.errors import ConfigError
from core.names import ExitCode
from pipeline.cli import GROUPS, OWN_OPTIONS, check_flags
from pipeline.config import load_config
from pipeline.options import CONFIG_KEYS, TranslationOptions
from pipeline.run import main
from pipeline.validate import check_values
from tests.conftest import ROOT

LOCAL = str(ROOT / "configs" / "local.yaml")


def test_help_lists_every_pipeline_flag_grouped_and_points_to_beams(capsys):
    assert main(["--help"]) == ExitCode.OK
    text = capsys.readouterr().out
    for dest in [*CONFIG_KEYS, "config", "set", "progress"]:
        assert f"--{dest}" in text, dest
    parser = argparse.ArgumentParser(add_help=False)
    for options in OWN_OPTIONS:
        options._add_argparse_args(parser)
    assert [action.dest for action in parser._actions if not action.help] == []
    for title, dests in GROUPS.items():
        assert f"{title}:" in text or not dests
    assert "--help_beam" in text
    assert "--runner" not in text.split("Beam's own")[0]  # Beam's options are not listed
    assert main(["--help_beam"]) == ExitCode.OK
    assert "--direct_num_workers" in capsys.readouterr().out


def test_help_as_a_module_command():
    made = subprocess.run(
        [sys.executable, "-m", "pipeline.run", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert made.returncode == 0, made.stderr
    assert "--target_lang" in made.stdout and "--max_failed_fraction" in made.stdout


def test_a_mistyped_flag_stops_the_run_naming_the_closest(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["--config", LOCAL, "--modle", "models/copy", "--output", str(out)])
    assert code == ExitCode.CONFIG
    err = capsys.readouterr().err
    assert "unknown flag --modle" in err and "did you mean --model?" in err
    assert not out.exists()
    with pytest.raises(ConfigError, match="did you mean --direct_num_workers"):
        check_flags(["--direct_num_worker=2"])
    with pytest.raises(ConfigError, match="unexpected argument 'corpus/'"):
        check_flags(["corpus/"])


def test_beams_own_options_pass_through():
    check_flags(
        [
            "--runner=PortableRunner", "--job_endpoint=localhost:8099", "--direct_num_workers",
            "2", "--experiments=a", "--experiments=b", "--target-lang=de", "--input", "x/*",
            "--save_main_session", "--progress=off", "--set", "model.beam_size=3",
        ]
    )  # fmt: skip


def overrides(*flags: str) -> dict:
    return PipelineOptions(list(flags)).view_as(TranslationOptions).config_overrides()


def test_set_reaches_any_config_key_and_flags_win():
    config = load_config(
        LOCAL,
        overrides(
            "--set", "model.max_decoding_length=77",
            "--set", "translate.dedup=false",
            "--set", "protect.kinds=[url, code]",
            "--set", "model.beam_size=3",
            "--beam_size=5",
        ),
    )  # fmt: skip
    assert config.model.max_decoding_length == 77
    assert config.translate.dedup is False
    assert config.protect.kinds == ["url", "code"]
    assert config.model.beam_size == 5
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        overrides("--set", "model.beam_size")
    with pytest.raises(ConfigError, match=r"did you mean model\.max_decoding_length"):
        load_config(LOCAL, overrides("--set", "model.max_decodng_length=5"))
    with pytest.raises(ConfigError, match="target_lang is not a section"):
        load_config(LOCAL, overrides("--set", "target_lang.x=5"))


def test_config_paths_are_relative_to_the_config_file_and_flags_to_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(LOCAL, {})
    assert config.model.path == str(ROOT / "models" / "swapcase")
    assert (Path(config.model.path) / "model.bin").exists()
    assert config.input == [str(ROOT / "samples" / "corpus" / "**")]
    assert config.output == str(ROOT / "out" / "sample")
    given = load_config(LOCAL, {"output": "here/out", "model.path": "mine"})
    assert (given.output, given.model.path) == ("here/out", "mine")
    nested = tmp_path / "jobs"
    nested.mkdir()
    (nested / "glossary.tsv").write_text("*\t*\tCTranslate2\n")
    (nested / "job.yaml").write_text(
        "input: [corpus/*.txt, gs://bucket/x/*]\noutput: /abs/out\n"
        "models: {m: {path: ../m}}\nroutes: [{source: '*', target: en, model: m}]\n"
        "protect: {glossary: glossary.tsv}\n"
    )
    job = load_config("jobs/job.yaml", {})
    assert job.input == ["jobs/corpus/*.txt", "gs://bucket/x/*"]
    assert (job.output, job.models["m"].path) == ("/abs/out", "m")
    assert job.protect.glossary == "jobs/glossary.tsv"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--target_lang", "english"], r"target_lang: 'english' .* did you mean 'en' \(English\)"),
        (["--target_lang", "en,deu"], r"'deu' .* did you mean 'de' \(German\)"),
        (["--source_lang", "fre"], r"language.source_lang: 'fre' .* did you mean 'fr'"),
        (["--target_lang", "EN"], r"did you mean 'en'"),
        (["--set", "model.language_tokens={xx: tok}"], r"model.language_tokens: 'xx'"),
    ],
)
def test_unknown_language_codes_are_refused_with_a_suggestion(flags, message):
    with pytest.raises(ConfigError, match=message):
        load_config(LOCAL, overrides(*flags))


def test_known_language_codes_pass_and_routes_and_glossaries_are_checked(tmp_path):
    assert load_config(LOCAL, overrides("--target_lang", "pt-BR,zh-Hant,yue,fil")).target_lang
    routes = {"routes": [{"source": "german", "target": "en", "model": "default"}]}
    with pytest.raises(ConfigError, match=r"routes\[0\].source: 'german' .* 'de'"):
        load_config(LOCAL, routes)
    glossary = tmp_path / "g.tsv"
    glossary.write_text("*\t*\tBeam\nde\tenglish\tHaus\thouse\n")
    with pytest.raises(ConfigError, match=r"protect.glossary .*'Haus'.*'english'.*'en'"):
        load_config(LOCAL, {"protect.glossary": str(glossary)})


def test_no_input_exits_4_before_anything_runs_unless_allowed(test_models, tmp_path, capsys):
    out = tmp_path / "out"
    base = ["--config", LOCAL, "--model", str(test_models["copy"]), "--output", str(out)]
    code = main([*base, "--input", "/no/such/dir/*.txt", "--input", f"{ROOT}/samples/corpus/**"])
    assert code == ExitCode.NO_INPUT
    assert "'/no/such/dir/*.txt' matched no file" in capsys.readouterr().err
    assert not out.exists()
    assert main([*base, "--input", "/no/such/dir/*.txt", "--allow_empty_input"]) == ExitCode.OK
    assert (out / "run.json").exists()


def test_too_many_failed_documents_exit_5_with_the_output_committed(test_models, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "binary.txt").write_bytes(b"\x7fELF\x00\x01" + bytes(range(256)))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "ok.txt").write_text("Hallo Welt, das ist ein kurzer deutscher Text.")
    base = ["--config", LOCAL, "--model", str(test_models["copy"]), "--input", f"{corpus}/*"]
    assert main([*base, "--output", str(tmp_path / "a")]) == ExitCode.TOO_MANY_FAILURES
    assert "2 of 3 documents failed (66.7%), over max_failed_fraction 0.1" in (
        capsys.readouterr().err
    )
    assert (tmp_path / "a" / "run.json").exists()
    flags = ["--output", str(tmp_path / "b"), "--max_failed_fraction", "0.7"]
    assert main([*base, *flags]) == ExitCode.OK


def test_a_local_run_imports_no_google_cloud_client(test_models, tmp_path):
    script = f"""
import json, sys
from pipeline.run import main
code = main(["--config", {LOCAL!r}, "--model", {str(test_models["copy"])!r},
             "--output", {str(tmp_path / "out")!r}, "--progress=off"])
loaded = [m for m in sys.modules if m.startswith(("google.cloud.", "google.api_core", "apitools",
          "apache_beam.io.gcp.gcs", "apache_beam.io.gcp.bigquery", "apache_beam.internal.gcp"))]
print(json.dumps({{"code": code, "gcp": loaded}}))
"""
    made = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert made.returncode == 0, made.stderr[-3000:]
    result = json.loads(made.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "gcp": []}
    assert "apitools" not in made.stderr and "WARNING" not in made.stderr


def test_read_encoding_must_be_a_known_codec():
    assert load_config(LOCAL, overrides("--encoding", "cp1250")).read.encoding == "cp1250"
    with pytest.raises(ConfigError, match="read.encoding: 'latin-9x' is no encoding"):
        load_config(LOCAL, overrides("--encoding", "latin-9x"))


def test_the_report_names_the_final_output_not_the_staging_directory(report_run):
    page = (report_run / "report.html").read_text()
    assert f"<td>output</td><td>{report_run}</td>" in page
    assert ".partial-" not in page


def test_max_failed_fraction_is_checked():
    with pytest.raises(ConfigError, match="max_failed_fraction: -0.5 is below the minimum 0"):
        check_values(load_config(LOCAL, overrides("--max_failed_fraction", "-0.5")))
