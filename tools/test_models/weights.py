"""Hand-set weights of the test models; the design is in ``tools.build_test_models``."""

import math

import numpy as np
from ctranslate2.specs import common_spec, model_spec, transformer_spec

from tools.test_models.tokenizer import swap_partner

_DIGITS = 3  # digits per token/position code
_POSITION_BASE = 16
MAX_POSITIONS = _POSITION_BASE**_DIGITS
MAX_INPUT_TOKENS = MAX_POSITIONS - 1  # the last position holds the appended </s>
MAX_DECODING_LENGTH = 2 * MAX_POSITIONS  # decoder steps that have a position encoding
_ATTENTION_GAP = 40.0  # attention logit per matching position digit
_OUTPUT_GAP = 30.0  # output logit margin of the expected token over any other
_LN_EPS = 1e-6


def output_map(vocabulary: list[str], swap_case: bool) -> np.ndarray:
    """Return, for each source token id, the id of the token the model must output."""
    if not swap_case:
        return np.arange(len(vocabulary))
    ids = {piece: i for i, piece in enumerate(vocabulary)}
    return np.array([ids[swap_partner(p)] if len(p) == 1 else i for i, p in enumerate(vocabulary)])


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


def _zero_self_attention(layer: model_spec.LayerSpec, dim: int) -> None:
    """Make the self-attention sublayer add exactly zero to the residual stream."""
    layer.self_attention.layer_norm.gamma = np.ones(dim, np.float32)
    layer.self_attention.layer_norm.beta = np.zeros(dim, np.float32)
    layer.self_attention.linear[0].weight = np.zeros((3 * dim, dim), np.float32)
    layer.self_attention.linear[1].weight = np.zeros((dim, dim), np.float32)


def build_spec(
    vocabulary: list[str], output_of: np.ndarray, end_loop: dict[int, float] | None = None
) -> transformer_spec.TransformerSpec:
    """Wire a 1+1-layer Transformer that outputs ``output_of[source[i]]`` at step ``i``.

    ``end_loop`` (token id: logit margin over ``</s>``) makes it loop at the source end instead
    of stopping; see ``_add_end_loop``.
    """
    vocab_size = len(vocabulary)
    token_base = 2
    while token_base**_DIGITS < vocab_size:
        token_base += 1
    tokens = _digit_codes(vocab_size, token_base)
    n_tok, n_pos = tokens.shape[1], _DIGITS * _POSITION_BASE
    # Residual stream: [token code | copied token code | position code | </s> slots | bias].
    tok, copied = slice(0, n_tok), slice(n_tok, 2 * n_tok)
    pos = slice(2 * n_tok, 2 * n_tok + n_pos)
    slots = slice(pos.stop, pos.stop + _DIGITS)
    bias = slots.stop
    dim = bias + 1
    # Decoder steps past position 4095 reuse its code, which only a </s> key could have had.
    last = np.minimum(np.arange(MAX_DECODING_LENGTH), MAX_POSITIONS - 1)
    positions = np.zeros((MAX_DECODING_LENGTH, dim), np.float32)
    positions[:, pos] = _digit_codes(MAX_POSITIONS, _POSITION_BASE)[last]

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
    _zero_self_attention(encoder.layer[0], dim)
    # FFN: hidden unit j < n_pos fires (0.5) for </s> with position one j and removes that one;
    # unit n_pos fires for </s> and fills the slots instead, so the </s> key has no position.
    ffn = encoder.layer[0].ffn
    _identity_norm(ffn.layer_norm, dim, ones=2 * _DIGITS)
    ffn.linear_0.weight = np.zeros((n_pos + 1, dim), np.float32)
    ffn.linear_0.weight[:n_pos, pos] = np.eye(n_pos)
    ffn.linear_0.weight[:, tok] = tokens[vocabulary.index("</s>")]
    ffn.linear_0.bias = np.full(n_pos + 1, -_DIGITS - 0.5, np.float32)
    ffn.linear_0.bias[n_pos] += 1
    ffn.linear_1.weight = np.zeros((dim, n_pos + 1), np.float32)
    ffn.linear_1.weight[pos, :n_pos] = -2 * np.eye(n_pos)
    ffn.linear_1.weight[slots, n_pos] = 2
    _identity_norm(encoder.layer_norm, dim, ones=2 * _DIGITS)  # token + position/slots

    decoder = spec.decoder
    decoder.scale_embeddings = False
    decoder.embeddings.weight = np.zeros((vocab_size, dim), np.float32)  # only positions matter
    decoder.embeddings.weight[:, bias] = 1  # the constant that queries the </s> bonus
    decoder.position_encodings.encodings = positions
    layer = decoder.layer[0]
    _zero_self_attention(layer, dim)
    layer.ffn.layer_norm.gamma = np.ones(dim, np.float32)
    layer.ffn.layer_norm.beta = np.zeros(dim, np.float32)
    layer.ffn.linear_0.weight = np.zeros((1, dim), np.float32)
    layer.ffn.linear_1.weight = np.zeros((dim, 1), np.float32)
    # Cross-attention logits: GAP per matching position digit, plus (DIGITS - 0.5) GAPs for
    # </s>: the same source position wins if it exists, else </s> (at or past the source end).
    cross = layer.attention
    _identity_norm(cross.layer_norm, dim, ones=_DIGITS + 1)  # position code + bias
    scale = _ATTENTION_GAP * math.sqrt(dim)  # CT2 divides attention logits by sqrt(dim)
    query, key, value, out = (np.zeros((dim, dim), np.float32) for _ in range(4))
    query[pos, pos] = np.eye(n_pos) * scale
    query[bias, bias] = scale * (_DIGITS - 0.5)
    key[pos, pos] = np.eye(n_pos)
    key[bias, slots.start] = 1
    value[copied, tok] = np.eye(n_tok)
    out[copied, copied] = np.eye(n_tok)
    cross.linear[0].weight = query
    cross.linear[1].weight = np.concatenate([key, value])
    cross.linear[2].weight = out
    _identity_norm(decoder.layer_norm, dim, ones=2 * _DIGITS + 1)  # position + copied + bias
    decoder.projection.weight = np.zeros((vocab_size, dim), np.float32)
    decoder.projection.weight[output_of, copied] = tokens * _OUTPUT_GAP

    if end_loop:
        _add_end_loop(spec, end_loop, vocabulary.index("</s>"), slots.start)
    _check_int8_safe(spec)
    spec.validate()
    spec.optimize(quantization="int8")
    return spec


def _check_int8_safe(spec: transformer_spec.TransformerSpec) -> None:
    """Fail unless every weight row has at most one nonzero per aligned pair of columns.

    int8 GEMM on AVX2-only CPUs (u8 inputs shifted by 128) adds adjacent products in a
    saturating int16, which overflows for two full-scale weights in one pair.
    """
    for name, weight in spec.variables().items():
        if name.endswith("weight") and "embeddings" not in name:
            nonzero = np.pad(weight != 0, ((0, 0), (0, weight.shape[1] % 2)))
            if nonzero.reshape(len(weight), -1, 2).sum(axis=2).max() > 1:
                raise RuntimeError(f"{name} would saturate int8 GEMM on AVX2 CPUs")


def _add_end_loop(
    spec: transformer_spec.TransformerSpec, loops: dict[int, float], eos: int, end_slot: int
) -> None:
    """At and past the source end, make each token of ``loops`` beat ``</s>`` by its logit margin.

    The ``</s>`` key's first slot (1) now reaches the decoder's residual stream through the
    cross-attention value, and the loop tokens' projection rows read it. That stream then holds
    8 ones, on which the final layer norm (made for 7) is the affine map a*x + c; the weights
    are solved for the logits after it.
    """
    cross = spec.decoder.layer[0].attention
    dim = cross.linear[2].weight.shape[0]
    cross.linear[1].weight[dim + end_slot, end_slot] = 1  # rows dim.. are the value projection
    cross.linear[2].weight[end_slot, end_slot] = 1
    mean = (2 * _DIGITS + 2) / dim
    a = float(spec.decoder.layer_norm.gamma[0]) / math.sqrt(mean * (1 - mean) + _LN_EPS)
    c = float(spec.decoder.layer_norm.beta[0]) - a * mean
    projection = spec.decoder.projection.weight
    eos_code = projection[eos] / _OUTPUT_GAP
    eos_logit = (a + c) * float(projection[eos].sum())
    for token, margin in loops.items():
        row = projection[token]
        wanted = eos_logit + margin - a * float(row @ eos_code) - c * float(row.sum())
        projection[token, end_slot] = wanted / (a + c)
