"""Model backends behind one protocol (`backends.base`), chosen by `model.backend`."""

from backends.base import Decoding, Hypothesis, ModelBackend, PendingBatch, TranslationModel
from backends.ct2 import CTranslate2Backend
from backends.settings import EXECUTION_SETTINGS, MODEL_STYLES, ModelSettings
from backends.shared import SharedCTranslate2Backend

# A new backend: one module in this package and one line here.
BACKENDS: dict[str, type[ModelBackend]] = {
    backend.name: backend for backend in (CTranslate2Backend, SharedCTranslate2Backend)
}


def backend_for(settings: ModelSettings) -> ModelBackend:
    """The backend of a model's settings (`validate` has checked `settings.backend`)."""
    return BACKENDS[settings.backend](settings)


__all__ = [
    "BACKENDS",
    "EXECUTION_SETTINGS",
    "MODEL_STYLES",
    "Decoding",
    "Hypothesis",
    "ModelBackend",
    "ModelSettings",
    "PendingBatch",
    "TranslationModel",
    "backend_for",
]
