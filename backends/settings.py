"""ModelSettings: one `model`/`models.NAME` config section, what any backend reads."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from text.languages import language_token

MODEL_STYLES = ("pair", "nllb", "m2m")

# Where and how fast a model runs, not what it outputs: left out of the settings
# fingerprint (pipeline.config), so changing one does not invalidate a previous run.
EXECUTION_SETTINGS = (
    "path",
    "inter_threads",
    "intra_threads",
    "max_batch_size",
    "backend",
    "device_index",
    "shared_feed",
    "shared_max_wait",
)
# The limits a model gets when the config leaves them unset and its manifest allows more.
LIMIT_DEFAULTS = {"max_input_tokens": 512, "max_decoding_length": 1024}
MANIFEST_DEFAULTS = {**LIMIT_DEFAULTS, "source_languages": [], "target_languages": []}
# Source tokens per batch by device (`translate.batch_token_budget: 0`). On an H200 whole
# length groups decoded 1.85x faster than batches of 256 sentences (bench/README.md, GPU),
# so a GPU's budget is ~1,000 sentences of 64 tokens.
TOKEN_BUDGETS = {"cpu": 8192, "cuda": 65536}


@dataclass(frozen=True)
class ModelSettings:
    path: str
    # Which implementation loads and runs the model (`backends.BACKENDS`).
    backend: str = "ctranslate2"
    device: str = "cpu"
    # GPUs this process uses, one model copy on each, batches spread over them; empty:
    # every GPU the process sees (CUDA_VISIBLE_DEVICES decides).
    device_index: list[int] = field(default_factory=list)
    compute_type: str = "default"
    beam_size: int = 2
    # None: the model's manifest limit, at most the default below (a longer unit only
    # translates worse); a model without a manifest gets the default.
    max_input_tokens: int | None = None
    max_decoding_length: int | None = None
    decoding_length_ratio: float = 2.0
    decoding_length_slack: int = 16
    # Benchmarks force every output to a known length (with ratio 1 and slack 0: the
    # source length), so that every system compared does the same work.
    min_decoding_ratio: float = 0.0
    inter_threads: int = 0  # 0: from the cores (resolved_threads)
    intra_threads: int = 0
    max_batch_size: int = 0  # segments per model batch; 0: resolved_max_batch_size
    # `backend: ctranslate2_shared` only (backends/feeding.py): "stream", workers send
    # small batches as they tokenize and the server builds GPU batches of one length;
    # "bucket", workers hold buckets of the GPU budget and the server merges what waits.
    shared_feed: str = "stream"
    shared_max_wait: float = 2.0  # seconds a worker's batch waits at the server at most
    source_spm: str = "source.spm"
    target_spm: str = "target.spm"
    # "pair": one source and target language (OPUS-MT). "nllb"/"m2m": multilingual, with
    # the source-language token before the text and the target's as `target_prefix`.
    style: str = "pair"
    language_tokens: dict[str, str] = field(default_factory=dict)
    # The languages the model translates from and into (ISO 639-1 codes or the model's
    # language tokens). None: from its manifest (`source_languages`, else `languages`;
    # `target_languages`); empty: it names none, and any is tried.
    source_languages: list[str] | None = None
    target_languages: list[str] | None = None

    def __post_init__(self) -> None:
        unset = [name for name in MANIFEST_DEFAULTS if getattr(self, name) is None]
        if not unset:
            return
        from backends.store import manifest_settings

        stated = manifest_settings(self.path)
        for name in unset:  # frozen: set once, here, before anyone reads it
            default = MANIFEST_DEFAULTS[name]
            value = stated.get(name, default)
            if name in LIMIT_DEFAULTS:
                value = min(default, value)
            object.__setattr__(self, name, value)

    def translates(self, source: str, target: str) -> bool:
        """Whether the model's languages (if it names them) include this pair."""
        return _named(source, self.source_languages, self) and _named(
            target, self.target_languages, self
        )

    @property
    def multilingual(self) -> bool:
        return self.style != "pair"

    def language_token(self, language: str | None) -> str | None:
        """The model's token for an ISO 639-1 language (None: the model cannot take it)."""
        if not language or not self.multilingual:
            return None
        return language_token(self.style, language, self.language_tokens)

    def decoding_limit(self, source_tokens: int) -> int:
        """Decoding stops here: proportional to the source, so a looping output is cut
        (and flagged) early, and capped so no batch decodes forever."""
        wanted = math.ceil(source_tokens * self.decoding_length_ratio) + self.decoding_length_slack
        return min(self.max_decoding_length, wanted)

    def min_decoding_length(self, source_tokens: int) -> int:
        return min(
            self.decoding_limit(source_tokens), math.ceil(source_tokens * self.min_decoding_ratio)
        )

    def resolved_threads(self, workers: int = 1) -> tuple[int, int]:
        """(inter_threads, intra_threads), 0 meaning: from the cores this worker owns.

        On CPU, one single-threaded replica per core, each translating its own batch:
        measured 1.5x faster than one batch across 2 threads (bench/README.md), since
        length buckets are small and intra-op threads do little for small batches. On
        GPU, one replica.
        """
        cores = max(1, len(os.sched_getaffinity(0)) // workers)
        inter = self.inter_threads or (cores if self.device == "cpu" else 1)
        return inter, self.intra_threads or max(1, cores // inter)

    def resolved_max_batch_size(self) -> int:
        """Segments per batch the model decodes at once (a bucket is split into batches of
        this size, which all replicas share); 0 = the whole bucket.

        On CPU 128: a bucket of short segments (8192 tokens of 4-token segments is 2048
        of them) decoded at once needs memory in proportion (batch × vocabulary logits
        at every step: +1.8 GB measured with a 32k vocabulary) and was 1.2–1.4x slower
        than batches of 128 (bench/README.md). On GPU the whole bucket.
        """
        if self.max_batch_size:
            return self.max_batch_size
        return 128 if self.device == "cpu" else 0

    def resolved_device_index(self) -> list[int]:
        """The GPUs (CTranslate2 `device_index`): one model copy on each."""
        if self.device_index or self.device != "cuda":
            return list(self.device_index) or [0]
        import ctranslate2

        return list(range(max(1, ctranslate2.get_cuda_device_count())))

    def resolved_token_budget(self) -> int:
        """Source tokens per batch when `translate.batch_token_budget` is 0."""
        return TOKEN_BUDGETS["cpu" if self.device == "cpu" else "cuda"]

    def resolved_compute_type(self) -> str:
        """int8 on CPU; float16 on GPU: on an H200 with the real model's dev set it gave
        chrF 65.66 against int8_float16's 65.78 (equal quality) at 1.29x the speed
        (bench/README.md, GPU)."""
        if self.compute_type != "default":
            return self.compute_type
        return "int8" if self.device == "cpu" else "float16"


def _named(language: str, languages: list[str], model: ModelSettings) -> bool:
    """`language` is in `languages` by its ISO code or a language token (an empty list
    names none: any language)."""
    if not languages:
        return True
    tokens = {language, model.language_token(language)}
    tokens |= {language_token(style, language, model.language_tokens) for style in ("nllb", "m2m")}
    return bool(tokens & set(languages))
