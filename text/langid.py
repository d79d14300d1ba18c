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


def identifier() -> Future[LanguageIdentifier]:
    """This process's identifier, shared by every stage (classifying only reads it), loading
    in a thread of its own from the first call: its 0.6 s (mostly decompression, which
    releases the GIL) then overlaps the building of the graph and the model's loading
    instead of delaying the first paragraph."""
    global _loading
    with _loading_lock:
        if _loading is None:
            _loading = Future()
            threading.Thread(target=_load, args=(_loading,), daemon=True, name="langid").start()
        return _loading


def _load(loaded: Future[LanguageIdentifier]) -> None:
    try:
        loaded.set_result(load_identifier())
    except Exception as exc:  # noqa: BLE001 - raised where the identifier is used
        loaded.set_exception(exc)


_loading: Future[LanguageIdentifier] | None = None
_loading_lock = threading.Lock()


def letter_count(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())
