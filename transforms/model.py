"""Loading a CTranslate2 model with its SentencePiece processors, apart from inference.

Like Beam's `ModelHandler`: `TranslationModelHandler.load_model()` is called once
per worker process (from a DoFn's `setup()`, never at import: CTranslate2 is not
fork-safe), and `TranslationModel.translate()` runs one batch.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
OUTPUT_LIMIT_FLAG = "output_length_limit"


@dataclass(frozen=True)
class ModelSettings:
    path: str
    device: str = "cpu"
    compute_type: str = "default"
    beam_size: int = 2
    max_input_tokens: int = 512
    max_decoding_length: int = 1024
    decoding_length_ratio: float = 2.0
    decoding_length_slack: int = 16
    # Benchmarks force every output to a known length (with ratio 1 and slack 0: the
    # source length), so that every system compared does the same work.
    min_decoding_ratio: float = 0.0
    inter_threads: int = 1
    intra_threads: int = 0
    source_spm: str = "source.spm"
    target_spm: str = "target.spm"

    def decoding_limit(self, source_tokens: int) -> int:
        """Decoding stops here: proportional to the source, so a looping output is cut
        (and flagged) early, and capped so no batch decodes forever."""
        wanted = math.ceil(source_tokens * self.decoding_length_ratio) + self.decoding_length_slack
        return min(self.max_decoding_length, wanted)

    def min_decoding_length(self, source_tokens: int) -> int:
        return min(
            self.decoding_limit(source_tokens), math.ceil(source_tokens * self.min_decoding_ratio)
        )

    def resolved_compute_type(self) -> str:
        if self.compute_type != "default":
            return self.compute_type
        return "int8" if self.device == "cpu" else "int8_float16"


@dataclass(frozen=True)
class Hypothesis:
    text: str
    score: float
    target_tokens: int
    hit_length_limit: bool


def model_id(path: str) -> str:
    """The manifest's `model_id`, or the directory name for a model without one."""
    manifest = Path(path) / MANIFEST
    if manifest.exists():
        return json.loads(manifest.read_text())["model_id"]
    return Path(path).resolve().name


def model_checksums(path: str) -> dict[str, str]:
    """sha256 of every file in the model directory, for run.json."""
    sums = {}
    for file in sorted(Path(path).iterdir()):
        if file.is_file():
            digest = hashlib.sha256()
            with file.open("rb") as handle:
                for chunk in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(chunk)
            sums[file.name] = digest.hexdigest()
    return sums


class TranslationModel:
    """A loaded translator and its tokenizers (a class, so Beam's `Shared` can hold it)."""

    def __init__(self, settings: ModelSettings) -> None:
        import ctranslate2
        import sentencepiece as spm

        self.settings = settings
        self.model_id = model_id(settings.path)
        self.translator = ctranslate2.Translator(
            settings.path,
            device=settings.device,
            compute_type=settings.resolved_compute_type(),
            inter_threads=settings.inter_threads,
            intra_threads=settings.intra_threads or default_intra_threads(),
        )
        root = Path(settings.path)
        self.source_sp = spm.SentencePieceProcessor(model_file=str(root / settings.source_spm))
        self.target_sp = spm.SentencePieceProcessor(model_file=str(root / settings.target_spm))

    def tokenize(self, text: str) -> list[str]:
        return self.source_sp.encode(text, out_type=str)

    def translate(self, batch: list[list[str]]) -> list[Hypothesis]:
        """Translate one batch of tokenized sources (all of one length, by our batching)."""
        settings = self.settings
        longest = max(len(pieces) for pieces in batch)
        limit = settings.decoding_limit(longest)
        results = self.translator.translate_batch(
            batch,
            beam_size=settings.beam_size,
            max_input_length=0,  # our segmenter keeps sources within max_input_tokens
            max_decoding_length=limit,
            min_decoding_length=settings.min_decoding_length(longest),
            return_scores=True,
        )
        hypotheses = []
        for result in results:
            tokens = result.hypotheses[0]
            hypotheses.append(
                Hypothesis(
                    text=self.target_sp.decode(tokens),
                    score=float(result.scores[0]),
                    target_tokens=len(tokens),
                    hit_length_limit=len(tokens) >= limit,
                )
            )
        return hypotheses


def default_intra_threads() -> int:
    """Cores this process may use: CTranslate2's threads must not oversubscribe them."""
    return max(1, len(os.sched_getaffinity(0)))


class TranslationModelHandler:
    """Separates how the model is loaded from how it is used, as Beam's ModelHandler does."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings

    def load_model(self) -> TranslationModel:
        return TranslationModel(self.settings)

    def share_key(self) -> str:
        return json.dumps(self.settings.__dict__, sort_keys=True)
