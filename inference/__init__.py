"""How segments reach a model: the batching policy and the translation memo."""

from inference.batching import (
    Buckets,
    batch_tokens,
    bucket_key,
    max_pending_tokens,
)
from inference.memo import TranslationMemo

__all__ = [
    "Buckets",
    "TranslationMemo",
    "batch_tokens",
    "bucket_key",
    "max_pending_tokens",
]
