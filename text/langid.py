"""Language identification: py3langid, which ships its model in the wheel (no download) and
classifies a paragraph in well under a millisecond."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier


def load_identifier() -> LanguageIdentifier:
    """py3langid's identifier with its bundled model, probabilities normalized to 0–1."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def letter_count(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())
