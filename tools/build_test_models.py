"""Build tiny, exact CTranslate2 test models by setting their weights by hand (no training).

Real translation models are big and their outputs cannot be predicted, so pipeline tests use
these instead: their output for any input is known exactly, they build offline in well under a
second, and rebuilding gives byte-identical files.

    python -m tools.build_test_models --out models

writes ``models/copy`` (output == input) and ``models/swapcase`` (output ==
``swapcase_reference(input)``). Each directory holds the CTranslate2 files (``model.bin``,
``config.json``, ``shared_vocabulary.json``), ``source.spm`` and ``target.spm`` (the same
SentencePiece model) and ``manifest.json`` (model_id, description, max_input_tokens, languages,
and the sha256 of every other file).

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
  truncates, counting the appended ``</s>``) and ``len(source) <= max_decoding_length <=
  MAX_DECODING_LENGTH`` (8192; the default 256 cuts long outputs, and beams that lost may run on
  past the source end up to ``max_decoding_length``). Scores are ~0.0. ``no_repeat_ngram_size``
  breaks copies of repetitive text; ``repetition_penalty`` below 1.5 and top-k sampling do not.

How: ``d = 108``. Token ids get a 3-digit base-10 code and positions a 3-digit base-16 code, one
one-hot block per digit, so two ids share at most two of three ones. The encoder output is token
code + position code (self-attention and FFN are zero). In the decoder, cross-attention queries
and keys read the position codes, scaled so the same source position wins by a factor e^30; the
values carry that source token's code into a separate block, which the output projection reads
(its rows are the token codes, permuted for ``swapcase``). Layer norms are set to be the identity
on these 0/1 vectors, which int8 also represents exactly.
"""

import argparse
import hashlib
import io
import json
import math
import re
import shutil
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np
import sentencepiece as spm
from ctranslate2.specs import common_spec, model_spec, transformer_spec

LANGUAGES = (
    "eng_Latn", "deu_Latn", "fra_Latn", "spa_Latn", "vie_Latn",
    "ita_Latn", "por_Latn", "nld_Latn", "rus_Cyrl", "ell_Grek",
)  # fmt: skip


def _chars(first: int, last: int) -> str:
    return "".join(chr(c) for c in range(first, last + 1) if unicodedata.category(chr(c)) != "Cn")


# One piece per character: ASCII printable (not the space, which SentencePiece's char trainer
# would turn into "▁"), tab, Latin-1, Latin Extended-A, Vietnamese, Greek and Cyrillic.
ALPHABET = (
    _chars(0x21, 0x7E) + "\t" + _chars(0xA0, 0x17F) + "\u01a0\u01a1\u01af\u01b0"
    + _chars(0x1EA0, 0x1EF9) + _chars(0x386, 0x3CE) + _chars(0x400, 0x45F)
)  # fmt: skip
_ALPHABET_SET = frozenset(ALPHABET)
_LANGUAGE_RE = re.compile("(" + "|".join(LANGUAGES) + ")")

_DIGITS = 3  # digits per token/position code
_POSITION_BASE = 16
MAX_POSITIONS = _POSITION_BASE**_DIGITS
MAX_INPUT_TOKENS = MAX_POSITIONS - 1  # the last position holds the appended </s>
MAX_DECODING_LENGTH = 2 * MAX_POSITIONS  # decoder steps that have a position encoding
_ATTENTION_GAP = 30.0  # attention logit margin per matching position digit
_OUTPUT_GAP = 30.0  # output logit margin of the expected token over any other
_FFN_DIM = 16
_LN_EPS = 1e-6

_MODELS = {  # name: (model_id, swaps case, description)
    "copy": ("copy-test-v1", False, "Hand-set test model: the translation is the source text."),
    "swapcase": (
        "swapcase-test-v1",
        True,
        "Hand-set test model: the translation is the source text with letter case swapped "
        "(tools.build_test_models.swapcase_reference).",
    ),
}


def _swap_partner(char: str) -> str:
    """Return the case partner of ``char`` when both are pieces and swapping is a bijection.

    ``ß`` -> ``SS``, ``ı`` -> ``I`` -> ``i``, ``µ``/``ς`` (and byte-fallback characters) stay,
    because one output row can only answer to one source token.
    """
    other = char.swapcase()
    if {char, other} <= _ALPHABET_SET and other != char and other.swapcase() == char:
        return other
    return char


def swapcase_reference(text: str) -> str:
    """Return exactly what the swapcase model outputs (after decoding) for ``text``.

    Characters are swapped by ``_swap_partner``; language tokens such as ``eng_Latn`` are single
    pieces wherever they occur, so they stay as they are.
    """
    parts = _LANGUAGE_RE.split(text)  # odd indices are language tokens
    return "".join(p if i % 2 else "".join(map(_swap_partner, p)) for i, p in enumerate(parts))


def _train_sentencepiece() -> bytes:
    """Return the serialized character-level SentencePiece model (deterministic bytes)."""
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([ALPHABET]),
        model_writer=buffer,
        model_type="char",
        vocab_size=3 + len(LANGUAGES) + 256 + len(ALPHABET),
        character_coverage=1.0,
        byte_fallback=True,
        normalization_rule_name="identity",
        add_dummy_prefix=False,
        remove_extra_whitespaces=False,
        user_defined_symbols=list(LANGUAGES),
        num_threads=1,
        minloglevel=2,
    )
    # The char trainer requires escape_whitespaces, and an escaping model decodes a literal "▁"
    # as a space. A second NormalizerSpec (field 3) holding escape_whitespaces=false (field 5) is
    # merged into the first one by protobuf; spaces then become byte pieces and "▁" round-trips.
    return buffer.getvalue() + bytes([0x1A, 0x02, 0x28, 0x00])


def _vocabulary(sp_model: bytes) -> list[str]:
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    vocabulary = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    missing = (_ALPHABET_SET | set(LANGUAGES)) - set(vocabulary)
    if vocabulary[:3] != ["<unk>", "<s>", "</s>"] or missing:
        raise RuntimeError(f"unexpected SentencePiece vocabulary (missing {sorted(missing)})")
    return vocabulary


def _output_map(vocabulary: list[str], swap_case: bool) -> np.ndarray:
    """Return, for each source token id, the id of the token the model must output."""
    if not swap_case:
        return np.arange(len(vocabulary))
    ids = {piece: i for i, piece in enumerate(vocabulary)}
    return np.array([ids[_swap_partner(p)] if len(p) == 1 else i for i, p in enumerate(vocabulary)])


def _digit_codes(count: int, base: int) -> np.ndarray:
    """One-hot encode each base-``base`` digit of 0..count-1: shape [count, _DIGITS * base]."""
    codes = np.zeros((count, _DIGITS * base), np.float32)
    ids = np.arange(count)
    for digit in range(_DIGITS):
        codes[ids, digit * base + ids // base**digit % base] = 1.0
    return codes


def _identity_norm(norm: common_spec.LayerNormSpec, dim: int, ones: int) -> None:
    """Make ``norm`` the identity on 0/1 vectors with exactly ``ones`` ones.

    All such vectors share mean m = ones/dim and variance m(1-m), so gamma = std, beta = m
    undo the normalization.
    """
    mean = ones / dim
    norm.gamma = np.full(dim, math.sqrt(mean * (1 - mean) + _LN_EPS), np.float32)
    norm.beta = np.full(dim, mean, np.float32)


def _zero_sublayers(layer: model_spec.LayerSpec, dim: int) -> None:
    """Make self-attention and FFN add exactly zero to the residual stream."""
    for norm in (layer.self_attention.layer_norm, layer.ffn.layer_norm):
        norm.gamma = np.ones(dim, np.float32)
        norm.beta = np.zeros(dim, np.float32)
    layer.self_attention.linear[0].weight = np.zeros((3 * dim, dim), np.float32)
    layer.self_attention.linear[1].weight = np.zeros((dim, dim), np.float32)
    layer.ffn.linear_0.weight = np.zeros((_FFN_DIM, dim), np.float32)
    layer.ffn.linear_1.weight = np.zeros((dim, _FFN_DIM), np.float32)


def _build_spec(vocabulary: list[str], output_of: np.ndarray) -> transformer_spec.TransformerSpec:
    """Wire a 1+1-layer Transformer that outputs ``output_of[source[i]]`` at step ``i``."""
    vocab_size = len(vocabulary)
    token_base = 2
    while token_base**_DIGITS < vocab_size:
        token_base += 1
    tokens = _digit_codes(vocab_size, token_base)
    n_tok, n_pos = tokens.shape[1], _DIGITS * _POSITION_BASE
    dim = 2 * n_tok + n_pos  # layout: [token code | copied token code | position code]
    tok, copied, pos = slice(0, n_tok), slice(n_tok, 2 * n_tok), slice(2 * n_tok, dim)
    codes = _digit_codes(MAX_POSITIONS, _POSITION_BASE)
    positions = np.zeros((MAX_DECODING_LENGTH, dim), np.float32)
    positions[:, pos] = np.concatenate([codes, codes])

    spec = transformer_spec.TransformerSpec.from_config((1, 1), num_heads=1)
    spec.config.add_source_eos = True
    spec.config.layer_norm_epsilon = _LN_EPS
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)

    encoder = spec.encoder
    encoder.scale_embeddings = False
    encoder.embeddings[0].weight = np.zeros((vocab_size, dim), np.float32)
    encoder.embeddings[0].weight[:, tok] = tokens
    encoder.position_encodings.encodings = positions[:MAX_POSITIONS]  # longer sources fail
    _zero_sublayers(encoder.layer[0], dim)
    _identity_norm(encoder.layer_norm, dim, ones=2 * _DIGITS)  # token + position code

    decoder = spec.decoder
    decoder.scale_embeddings = False
    decoder.embeddings.weight = np.zeros((vocab_size, dim), np.float32)  # only positions matter
    decoder.position_encodings.encodings = positions  # beyond the source only for lost beams
    _zero_sublayers(decoder.layer[0], dim)
    cross = decoder.layer[0].attention
    _identity_norm(cross.layer_norm, dim, ones=_DIGITS)  # position code
    query, key, value, out = (np.zeros((dim, dim), np.float32) for _ in range(4))
    query[pos, pos] = np.eye(n_pos) * _ATTENTION_GAP * math.sqrt(dim)  # CT2 divides by sqrt(dim)
    key[pos, pos] = np.eye(n_pos)
    value[copied, tok] = np.eye(n_tok)
    out[copied, copied] = np.eye(n_tok)
    cross.linear[0].weight = query
    cross.linear[1].weight = np.concatenate([key, value])
    cross.linear[2].weight = out
    _identity_norm(decoder.layer_norm, dim, ones=2 * _DIGITS)  # position + copied code
    decoder.projection.weight = np.zeros((vocab_size, dim), np.float32)
    decoder.projection.weight[output_of, copied] = tokens * _OUTPUT_GAP

    spec.validate()
    spec.optimize(quantization="int8")
    return spec


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
    manifest["files"] = {p.name: _sha256(p) for p in sorted(staging.iterdir())}
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (staging / "manifest.json").write_text(text, encoding="utf-8")
    if dest.exists():
        shutil.rmtree(dest)
    staging.rename(dest)


def build_all(out_dir: Path) -> dict[str, Path]:
    """Build every test model under ``out_dir``, replacing earlier builds; return name -> dir."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sp_model = _train_sentencepiece()
    vocabulary = _vocabulary(sp_model)
    built = {}
    for name, (model_id, swap_case, description) in _MODELS.items():
        spec = _build_spec(vocabulary, _output_map(vocabulary, swap_case))
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
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        size_mb = (path / "model.bin").stat().st_size / 1e6
        print(
            f"built {manifest['model_id']} in {path}: model.bin {size_mb:.1f} MB, "
            f"max_input_tokens {manifest['max_input_tokens']}, files {sorted(manifest['files'])}"
        )
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
