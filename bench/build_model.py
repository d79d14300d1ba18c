"""An OPUS-MT-sized translation model with random weights, built offline.

A transformers `MarianMTModel` from a config (6+6 layers, d_model 512, 8 heads,
FFN 2048) over a 32k SentencePiece vocabulary trained on the generated corpus,
saved for HuggingFace `generate` and converted to CTranslate2 int8 for this
pipeline (docs/architecture.md, "Facts"). Random weights translate nothing, but with output
lengths forced every system does exactly the same arithmetic as a trained
OPUS-MT model would.

    python -m bench.build_model --out models/bench-opus
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import time
from pathlib import Path

from backends.store import write_manifest

VOCAB_SIZE = 32000
SPECIALS = ("</s>", "<unk>")  # ids 0 and 1, as in OPUS-MT; "<pad>" is the last id
MODEL_ID = "bench-opus-random-v1"


def train_sentencepiece(sentences: int = 60000) -> bytes:
    import sentencepiece as spm

    from bench.corpus import training_sentences

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=training_sentences(sentences),
        model_writer=buffer,
        model_type="unigram",
        vocab_size=VOCAB_SIZE - 1,  # SentencePiece's <unk> <s> </s> + pieces, then <pad>
        character_coverage=1.0,
        byte_fallback=True,
        num_threads=2,
        minloglevel=2,
    )
    return buffer.getvalue()


def build(out: Path, seed: int = 0, quantization: str = "int8") -> Path:
    """Writes `out/hf` (transformers) and `out/ct2` (CTranslate2, int8 weights for CPUs,
    float16 for GPUs); returns `out`."""
    import ctranslate2
    import sentencepiece as spm
    import torch
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    started = time.time()
    hf_dir, ct2_dir = out / "hf", out / "ct2"
    shutil.rmtree(out, ignore_errors=True)
    hf_dir.mkdir(parents=True)
    sp_model = train_sentencepiece()
    for name in ("source.spm", "target.spm"):
        (hf_dir / name).write_bytes(sp_model)
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = [processor.id_to_piece(i) for i in range(3, processor.get_piece_size())]
    vocabulary = [*SPECIALS, *pieces, "<pad>"]
    (hf_dir / "vocab.json").write_text(
        json.dumps({piece: i for i, piece in enumerate(vocabulary)}, ensure_ascii=False)
    )
    pad = len(vocabulary) - 1
    config = MarianConfig(
        vocab_size=len(vocabulary),
        d_model=512,
        encoder_layers=6,
        decoder_layers=6,
        encoder_attention_heads=8,
        decoder_attention_heads=8,
        encoder_ffn_dim=2048,
        decoder_ffn_dim=2048,
        max_position_embeddings=512,
        activation_function="swish",
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        pad_token_id=pad,
        eos_token_id=0,
        decoder_start_token_id=pad,
        forced_eos_token_id=0,
    )
    torch.manual_seed(seed)
    model = MarianMTModel(config).eval()
    model.save_pretrained(hf_dir)
    MarianTokenizer(
        source_spm=str(hf_dir / "source.spm"),
        target_spm=str(hf_dir / "target.spm"),
        vocab=str(hf_dir / "vocab.json"),
    ).save_pretrained(hf_dir)
    converter = ctranslate2.converters.TransformersConverter(
        str(hf_dir), copy_files=["source.spm", "target.spm"]
    )
    converter.convert(str(ct2_dir), quantization=quantization, force=True)
    write_manifest(ct2_dir, MODEL_ID)  # the sha256 of each file, verified before a run
    size = (ct2_dir / "model.bin").stat().st_size / 1e6
    took = time.time() - started
    print(f"built {ct2_dir} ({size:.0f} MB {quantization}) and {hf_dir} in {took:.0f} s")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("models/bench-opus"))
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
