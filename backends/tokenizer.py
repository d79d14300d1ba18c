"""SentencePieceTokenizer: a model's SentencePiece processors and how its inputs are framed."""

from __future__ import annotations

import sys
from pathlib import Path

from backends.settings import ModelSettings

EOS = "</s>"


class SentencePieceTokenizer:
    def __init__(self, settings: ModelSettings) -> None:
        import sentencepiece as spm

        self.settings = settings
        root = Path(settings.path)
        self.source_sp = spm.SentencePieceProcessor(model_file=str(root / settings.source_spm))
        self.target_sp = spm.SentencePieceProcessor(model_file=str(root / settings.target_spm))

    def encode(self, text: str, source_lang: str | None) -> list[str]:
        """The model input for `text`: NLLB/M2M style, `[src_lang] + pieces + [</s>]`."""
        # Interned: a segment waits in its bucket with its pieces, and the vocabulary's
        # strings, shared, take 8 bytes per piece instead of a string object each.
        pieces = [sys.intern(piece) for piece in self.source_sp.encode(text, out_type=str)]
        if not self.settings.multilingual:
            return pieces
        return [self.settings.language_token(source_lang), *pieces, EOS]

    def target_prefix(self, target_lang: str) -> list[str]:
        token = self.settings.language_token(target_lang)
        return [token] if token else []

    def decode(self, tokens: list[str]) -> str:
        return self.target_sp.decode(tokens)
