"""Build tiny, exact CTranslate2 test models by setting their weights by hand (no training).

Real translation models are big and their outputs cannot be predicted, so pipeline tests use
these instead: their output for any input is known exactly, they build offline in well under a
second, and rebuilding gives byte-identical files.

    python -m tools.build_test_models --out models

writes ``models/copy`` (output == input), ``models/swapcase`` (output ==
``swapcase_reference(input)``) and ``models/loop``, a deliberately degenerate copy model (below).
Each directory holds the CTranslate2 files (``model.bin``, ``config.json``,
``shared_vocabulary.json``), ``source.spm`` and ``target.spm`` (the same SentencePiece model)
and ``manifest.json`` (model_id, description, max_input_tokens, languages, and the sha256 of
every other file).

Tokenizer: character-level SentencePiece with byte fallback, identity normalization and no
whitespace escaping, so ``decode(encode(text)) == text`` for any Unicode text. Each character of
``ALPHABET`` is one piece; each of ``LANGUAGES`` is one piece wherever it occurs in the text;
anything else (space, newline, CJK, emoji, "▁", ...) is one byte piece per UTF-8 byte.

Model contract (exact with int8 and float32, greedy and beam search, mixed-length batches):

* Output token ``i`` is ``f(source[i])`` for every position ``i`` of the source (``f`` is the
  identity, or the case swap of ``swapcase_reference``), and decoding stops at the ``</s>`` that
  the model appends to the source (``add_source_eos``). A caller-added trailing ``</s>`` is
  harmless: decoding stops at the first one.
* ``target_prefix`` tokens replace the first outputs. NLLB style, ``source = [src_lang, *pieces]``
  with ``target_prefix = [[tgt_lang]]`` gives ``[tgt_lang, *f(pieces)]``, so the source language
  token never reaches the output. Without a prefix it is copied (``[src_lang, *f(pieces)]``); a
  prefix with no source language token drops the first piece (``[tgt_lang, *f(pieces[1:])]``).
* ``len(source)``, language token and any explicit ``</s>`` included, may be up to
  ``MAX_INPUT_TOKENS`` (4095); a longer source makes ``translate_batch`` raise ``RuntimeError``
  ("No position encodings are defined for positions >= 4096"). An empty source gives ``[]``.
* ``translate_batch`` needs ``max_input_length=0`` (or > ``len(source)``: the default 1024
  truncates, counting the appended ``</s>``) and ``max_decoding_length >= len(source)`` (the
  default 256 cuts long outputs). Larger values cost nothing: at and past the source end every
  beam emits ``</s>`` (only ``min_decoding_length`` > ``MAX_DECODING_LENGTH`` = 8192 would run
  out of position encodings). Scores are ~0.0 (log-probabilities).
  ``no_repeat_ngram_size`` breaks copies of repetitive text; ``repetition_penalty`` below 1.5
  and top-k sampling do not.

The ``loop`` model copies like ``copy`` but does not stop at the source end: it emits "." there
and at every later step, until ``max_decoding_length`` (greedy and beam search alike: its
runner-up at the end is a space, so no beam ever finishes). With ``repetition_penalty=1.2`` the
dot and the space, once generated, fall below ``</s>``: a source holding both is copied exactly.
A real model's loop ("(applause) (applause) ...") is the same failure.

How (d = 112): token ids get a 3-digit base-10 code and positions a 3-digit base-16 code, one
one-hot block per digit, so two different ids share at most two of three ones. Self-attention
is zero. The encoder output is token code + position code; its FFN moves the ``</s>`` position
code into spare slots. Decoder cross-attention scores 40 per matching position digit plus 100
for ``</s>``: the same source position wins if there is one (120), else ``</s>`` (100 > 80). The
values carry the attended token's code into a separate block, which the output projection reads
(rows = token codes, permuted for ``swapcase``). Layer norms are the identity on these 0/1
vectors, which int8 represents exactly (``tools.test_models.weights`` also avoids an AVX2
int8 GEMM overflow).
"""

import argparse
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path

from ctranslate2.specs import transformer_spec

from core.names import File, ManifestKey
from tools.test_models.tokenizer import (
    ALPHABET,
    LANGUAGES,
    swapcase_reference,
    train_sentencepiece,
    vocabulary,
)
from tools.test_models.weights import (
    MAX_DECODING_LENGTH,
    MAX_INPUT_TOKENS,
    build_spec,
    output_map,
)

__all__ = [
    "ALPHABET",
    "LANGUAGES",
    "MAX_DECODING_LENGTH",
    "MAX_INPUT_TOKENS",
    "build_all",
    "main",
    "swapcase_reference",
]

# The loop model's tokens at the source end, with their logit margins over </s>: "." wins, the
# space is the runner-up that keeps </s> out of every beam; a 1.2 repetition penalty on logits
# near 95 puts both below </s>.
END_LOOP = {".": 12.0, "<0x20>": 6.0}
_MODELS = {  # name: (model_id, swaps case, description)
    "copy": ("copy-test-v1", False, "Hand-set test model: the translation is the source text."),
    "swapcase": (
        "swapcase-test-v1",
        True,
        "Hand-set test model: the translation is the source text with letter case swapped "
        "(tools.build_test_models.swapcase_reference).",
    ),
    "loop": (
        "loop-test-v1",
        False,
        "Hand-set test model: copies the source, then repeats '.' until max_decoding_length "
        "(a deliberately degenerate model; repetition_penalty=1.2 stops it).",
    ),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _save(
    spec: transformer_spec.TransformerSpec, sp_model: bytes, dest: Path, manifest: dict
) -> None:
    """Write the model next to ``dest``, then swap it in, so no reader sees half a model."""
    staging = dest.with_name(f".{dest.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    spec.save(str(staging))
    for name in ("source.spm", "target.spm"):
        (staging / name).write_bytes(sp_model)
    manifest[ManifestKey.FILES] = {p.name: _sha256(p) for p in sorted(staging.iterdir())}
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (staging / File.MODEL_MANIFEST).write_text(text, encoding="utf-8")
    if dest.exists():
        shutil.rmtree(dest)
    staging.rename(dest)


def build_all(out_dir: Path) -> dict[str, Path]:
    """Build every test model under ``out_dir``, replacing earlier builds; return name -> dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sp_model = train_sentencepiece()
    pieces = vocabulary(sp_model)
    built = {}
    for name, (model_id, swap_case, description) in _MODELS.items():
        end_loop = {pieces.index(p): m for p, m in END_LOOP.items()} if name == "loop" else None
        spec = build_spec(pieces, output_map(pieces, swap_case), end_loop)
        manifest = {
            "model_id": model_id,
            "description": description,
            "max_input_tokens": MAX_INPUT_TOKENS,
            "languages": list(LANGUAGES),
        }
        _save(spec, sp_model, out_dir / name, manifest)
        built[name] = out_dir / name
    return built


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build the models and say what was built."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("models"), help="output directory")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    for path in build_all(args.out).values():
        manifest = json.loads((path / File.MODEL_MANIFEST).read_text(encoding="utf-8"))
        size_mb = (path / "model.bin").stat().st_size / 1e6
        print(
            f"built {manifest[ManifestKey.MODEL_ID]} in {path}: model.bin {size_mb:.1f} MB, "
            f"max_input_tokens {manifest[ManifestKey.MAX_INPUT_TOKENS]}, "
            f"files {sorted(manifest[ManifestKey.FILES])}"
        )
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
