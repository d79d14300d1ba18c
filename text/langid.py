"""Language identification: py3langid, which ships its model in the wheel (no download) and
classifies a paragraph in well under a millisecond."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier


def load_identifier() -> LanguageIdentifier:
    """py3langid's identifier with its bundled model, probabilities normalized to 0–1."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_in_background() -> Future[LanguageIdentifier]:
    """`load_identifier` in a thread of its own: its 0.6 s (mostly decompression, which
    releases the GIL) then overlaps the model's loading instead of delaying the first
    paragraph."""
    loaded: Future[LanguageIdentifier] = Future()

    def load() -> None:
        try:
            loaded.set_result(load_identifier())
        except Exception as exc:  # noqa: BLE001 - raised where the identifier is used
            loaded.set_exception(exc)

    threading.Thread(target=load, daemon=True, name="load-langid").start()
    return loaded


def letter_count(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())
