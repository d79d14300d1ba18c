"""Character-level SentencePiece tokenizer of the test models, and the case swap they compute."""

import io
import re
import unicodedata

import sentencepiece as spm

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


def swap_partner(char: str) -> str:
    """Return the case partner of ``char`` when both are pieces and swapping is a bijection.

    So ``ß`` (-> "SS"), ``ı`` (-> "I" -> "i"), ``µ``, ``ς`` and byte-fallback characters stay:
    one output row can answer to only one source token.
    """
    other = char.swapcase()
    if {char, other} <= _ALPHABET_SET and other != char and other.swapcase() == char:
        return other
    return char


def swapcase_reference(text: str) -> str:
    """Return exactly what the swapcase model outputs (after decoding) for ``text``.

    Characters are swapped by ``swap_partner``; language tokens such as ``eng_Latn`` are single
    pieces wherever they occur, so they stay as they are.
    """
    parts = _LANGUAGE_RE.split(text)  # odd indices are language tokens
    return "".join(p if i % 2 else "".join(map(swap_partner, p)) for i, p in enumerate(parts))


def train_sentencepiece() -> bytes:
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


def vocabulary(sp_model: bytes) -> list[str]:
    """Return the pieces of ``sp_model`` by id, checking the pieces the models rely on."""
    processor = spm.SentencePieceProcessor(model_proto=sp_model)
    pieces = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    missing = (_ALPHABET_SET | set(LANGUAGES)) - set(pieces)
    if pieces[:3] != ["<unk>", "<s>", "</s>"] or missing:
        raise RuntimeError(f"unexpected SentencePiece vocabulary (missing {sorted(missing)})")
    return pieces
