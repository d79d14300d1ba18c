"""`make convert` offline: a MarianMTModel and an NLLB-style M2M100 model built here from a
config (random weights) with locally trained SentencePiece models are converted, checked
against their manifest, and translated with by the pipeline from the printed config."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sentencepiece as spm
import yaml

from backends import ModelSettings
from backends.store import model_checksums
from pipeline.run import run
from tests.conftest import ROOT
from tests.test_pipeline_end_to_end import table
from tools.build_test_models import build_all
from tools.convert_model import convert

pytest.importorskip("transformers", reason="make install installs the convert group")
TEXTS = ["Das ist ein kleiner Test.", "Guten Morgen, wie geht es dir heute?"] * 20
GERMAN = "Die Bibliothek bleibt am Montag geschlossen, weil das Dach repariert wird."


def train_spm() -> bytes:
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TEXTS), model_writer=model, vocab_size=40,
        model_type="unigram", hard_vocab_limit=False, minloglevel=2, num_threads=1,
    )  # fmt: skip
    return model.getvalue()


def tiny(config_class: type, vocab_size: int, **ids: int) -> object:
    return config_class(
        vocab_size=vocab_size, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
        decoder_ffn_dim=32, max_position_embeddings=64, **ids,
    )  # fmt: skip


def build_marian(path: Path) -> Path:
    """An OPUS-MT-shaped Hugging Face directory: config, weights, vocab.json, *.spm."""
    import torch
    from transformers import MarianConfig, MarianMTModel

    path.mkdir()
    sp_model = train_spm()
    for name in ("source.spm", "target.spm"):
        (path / name).write_bytes(sp_model)
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    vocab = {"</s>": 0, "<unk>": 1}
    for i in range(processor.get_piece_size()):
        vocab.setdefault(processor.id_to_piece(i), len(vocab))
    vocab["<pad>"] = len(vocab)
    (path / "vocab.json").write_text(json.dumps(vocab))
    (path / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "MarianTokenizer", "source_lang": "de", "target_lang": "en"})
    )
    torch.manual_seed(0)
    ids = {
        "pad_token_id": vocab["<pad>"],
        "eos_token_id": 0,
        "decoder_start_token_id": vocab["<pad>"],
    }
    MarianMTModel(tiny(MarianConfig, len(vocab), **ids)).save_pretrained(path)
    return path


def build_nllb(path: Path) -> Path:
    """An NLLB-200-shaped directory: M2M100 weights, NllbTokenizer, sentencepiece.bpe.model."""
    import torch
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizer

    path.mkdir()
    (path / "sentencepiece.bpe.model").write_bytes(train_spm())
    tokenizer = NllbTokenizer(vocab_file=str(path / "sentencepiece.bpe.model"))
    tokenizer.save_pretrained(path)
    torch.manual_seed(0)
    ids = {"pad_token_id": tokenizer.pad_token_id, "eos_token_id": tokenizer.eos_token_id,
           "decoder_start_token_id": tokenizer.eos_token_id}  # fmt: skip
    M2M100ForConditionalGeneration(tiny(M2M100Config, len(tokenizer), **ids)).save_pretrained(path)
    return path


def translate_with(route_config: str, tmp_path: Path) -> Path:
    (tmp_path / "doc.txt").write_text(GERMAN + "\n")
    config = yaml.safe_load(route_config)
    config.update(input=[str(tmp_path / "doc.txt")], output=str(tmp_path / "out"))
    config["language"] = {"source_lang": "de"}
    # Random weights produce degenerate output by design; the guard would (rightly) fail it.
    config["guard"] = {"enabled": False}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    run(["--config", str(tmp_path / "run.yaml")])
    return tmp_path / "out"


def test_make_convert_converts_a_marian_model_the_pipeline_then_runs(tmp_path):
    source = build_marian(tmp_path / "opus-mt-de-en")
    out = tmp_path / "models" / "opus-mt-de-en"
    made = subprocess.run(
        ["make", "-s", "convert", f"MODEL={source}", f"MODEL_OUT={out}"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-3000:]
    manifest = json.loads((out / "manifest.json").read_text())
    test_model_manifest = json.loads(
        (build_all(tmp_path / "test-models")["copy"] / "manifest.json").read_text()
    )
    assert set(manifest) >= set(test_model_manifest)  # the same format, and more
    assert manifest["files"] == {
        k: v for k, v in model_checksums(str(out)).items() if k != "manifest.json"
    }
    assert {"model.bin", "source.spm", "target.spm", "config.json"} <= set(manifest["files"])
    assert (manifest["style"], manifest["languages"]) == ("pair", ["de", "en"])
    assert (manifest["max_input_tokens"], manifest["max_decoding_length"]) == (63, 64)
    assert json.loads((out / "config.json").read_text())["add_source_eos"] is True
    pasted = made.stdout.split("# paste into your run config (e.g. configs/local.yaml):\n")[1]
    settings = yaml.safe_load(pasted)
    assert settings["routes"] == [{"source": "de", "target": "en", "model": "opus-mt-de-en"}]
    model = settings["models"]["opus-mt-de-en"]
    assert "max_input_tokens" not in model  # the pipeline reads the manifest's
    settings = ModelSettings(path=str(out))
    assert (settings.max_input_tokens, settings.max_decoding_length) == (63, 64)

    # Random weights never stop early: the decoding limit the manifest set must cut them
    # (flagged), where CTranslate2 would raise past the model's 64 positions.
    rows = table(translate_with(pasted, tmp_path), "segments")
    assert {(r["status"], r["model_id"], r["source_lang"]) for r in rows} == {
        ("translated", "opus-mt-de-en", "de")
    }
    assert all(r["target_tokens"] > 0 and "output_length_limit" in r["flags"] for r in rows)


def test_an_nllb_model_gets_its_language_tokens_and_one_spm_under_both_names(tmp_path):
    manifest = convert(str(build_nllb(tmp_path / "nllb-tiny")), tmp_path / "models" / "nllb")
    out = tmp_path / "models" / "nllb"
    assert manifest["style"] == "nllb"
    assert manifest["language_tokens"]["de"] == "deu_Latn"
    assert manifest["language_tokens"]["en"] == "eng_Latn"
    assert {"de", "en", "fr", "vi"} <= set(manifest["languages"])
    assert (out / "source.spm").read_bytes() == (out / "target.spm").read_bytes()
    assert (out / "source.spm").read_bytes() == (
        tmp_path / "nllb-tiny" / "sentencepiece.bpe.model"
    ).read_bytes()
    from tools.convert_model import route_config

    rows = table(translate_with(route_config("nllb", out, manifest, ["en"]), tmp_path), "segments")
    assert {(r["status"], r["model_id"]) for r in rows} == {("translated", "nllb-tiny")}


def test_a_hub_model_without_internet_fails_with_a_clear_message(tmp_path):
    offline = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "HF_HOME": str(tmp_path / "hf")}
    failed = subprocess.run(
        [sys.executable, "-m", "tools.convert_model", "Helsinki-NLP/opus-mt-de-en",
         "--out", str(tmp_path / "model")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=offline,
    )  # fmt: skip
    assert failed.returncode == 2
    assert "cannot download Helsinki-NLP/opus-mt-de-en from the Hugging Face Hub" in failed.stderr
    assert "needs internet access where it runs" in failed.stderr
    assert not (tmp_path / "model").exists()
    usage = subprocess.run(["make", "-s", "convert"], cwd=ROOT, capture_output=True, text=True)
    assert usage.returncode != 0 and "usage: make convert MODEL=" in usage.stderr
