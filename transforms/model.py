"""Loading a CTranslate2 model with its SentencePiece processors, apart from inference.

Like Beam's `ModelHandler`: `TranslationModelHandler.load_model()` is called once
per worker process (from a DoFn's `setup()`, never at import: CTranslate2 is not
fork-safe), and `TranslationModel.submit()` queues a batch for the model's replicas.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import sys
import threading
import weakref
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from transforms.languages import language_token

MANIFEST = "manifest.json"
OUTPUT_LIMIT_FLAG = "output_length_limit"
MODEL_STYLES = ("pair", "nllb", "m2m")
EOS = "</s>"


# Where and how fast a model runs, not what it outputs: left out of the settings
# fingerprint (pipeline.config), so changing one does not invalidate a previous run.
EXECUTION_SETTINGS = ("path", "inter_threads", "intra_threads", "max_batch_size")


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
    inter_threads: int = 0  # 0: from the cores (resolved_threads)
    intra_threads: int = 0
    max_batch_size: int = 0  # segments per CTranslate2 batch; 0: resolved_max_batch_size
    source_spm: str = "source.spm"
    target_spm: str = "target.spm"
    # "pair": one source and target language (OPUS-MT). "nllb"/"m2m": multilingual, with
    # the source-language token before the text and the target's as `target_prefix`.
    style: str = "pair"
    language_tokens: dict[str, str] = field(default_factory=dict)

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
        """Segments per batch CTranslate2 decodes at once (a bucket is split into batches of
        this size, which all replicas share); 0 = the whole bucket.

        On CPU 128: a bucket of short segments (8192 tokens of 4-token segments is 2048
        of them) decoded at once needs memory in proportion (batch × vocabulary logits
        at every step: +1.8 GB measured with a 32k vocabulary) and was 1.2–1.4x slower
        than batches of 128 (bench/README.md). On GPU the whole bucket.
        """
        if self.max_batch_size:
            return self.max_batch_size
        return 128 if self.device == "cpu" else 0

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
    from transforms.model_store import read_manifest  # any FileSystems path (gs://, ...)

    manifest = read_manifest(path)
    if manifest is not None:
        return manifest["model_id"]
    return Path(path).resolve().name


def model_checksums(path: str) -> dict[str, str]:
    """sha256 of every file in the model directory (run.json, manifest checks, settings
    fingerprint). A file is hashed again only when its size or mtime changed, so the
    several checks of one run read a multi-GB model once."""
    sums = {}
    for file in sorted(Path(path).iterdir()):
        if file.is_file():
            stat = file.stat()
            sums[file.name] = _file_sha256(str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    return sums


@functools.lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """`size` and `mtime_ns` are only part of the cache key."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ModelTokenizer:
    """The model's SentencePiece processors and how its inputs are framed."""

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


class TranslationModel:
    """A loaded translator and its tokenizer (a class, so Beam's `Shared` can hold it)."""

    def __init__(self, settings: ModelSettings) -> None:
        import ctranslate2

        self.settings = settings
        self.model_id = model_id(settings.path)
        self.tokenizer = ModelTokenizer(settings)
        inter_threads, intra_threads = settings.resolved_threads()
        self.translator = ctranslate2.Translator(
            settings.path,
            device=settings.device,
            compute_type=settings.resolved_compute_type(),
            inter_threads=inter_threads,
            intra_threads=intra_threads,
            # Unbounded: a full queue would block `submit`, and with it the runner thread;
            # TranslateBatches bounds what it has in flight itself.
            max_queued_batches=-1,
        )

    @property
    def replicas(self) -> int:
        """Batches the translator runs at once (`inter_threads`)."""
        return self.translator.num_translators

    def translate(
        self, batch: list[list[str]], target_langs: list[str], **decoding: Any
    ) -> list[Hypothesis]:
        """Translate one batch of model inputs (all of one length, by our batching).

        `decoding` overrides `translate_batch` options (the guard's retry: beam_size,
        repetition_penalty, no_repeat_ngram_size).
        """
        result = self.submit(batch, target_langs, **decoding).result()
        if isinstance(result, Exception):
            raise result
        return result

    def submit(
        self, batch: list[list[str]], target_langs: list[str], **decoding: Any
    ) -> PendingBatch:
        """Queue a batch for the translator's replicas and return at once: the caller
        reads on while they work. Replicas take queued batches (split into
        `max_batch_size` sub-batches) in order, so that on CPU every core works on a
        batch of its own."""
        prefixes = [self.tokenizer.target_prefix(lang) for lang in target_langs]
        longest = max(len(tokens) for tokens in batch)
        limit = self.settings.decoding_limit(longest)
        try:
            futures = self.translator.translate_batch(
                batch,
                target_prefix=prefixes if any(prefixes) else None,
                max_input_length=0,  # our segmenter keeps sources within max_input_tokens
                max_decoding_length=limit,
                min_decoding_length=self.settings.min_decoding_length(longest),
                return_scores=True,
                max_batch_size=self.settings.resolved_max_batch_size(),
                asynchronous=True,
                **{"beam_size": self.settings.beam_size, **decoding},
            )
        except Exception as exc:  # noqa: BLE001 - reported in the batch's place
            futures = exc
        return PendingBatch(futures, prefixes, limit, self.tokenizer)


@dataclass
class PendingBatch:
    """A batch the translator's replicas work on: `done()` asks, `result()` waits."""

    futures: list | Exception
    prefixes: list[list[str]]
    limit: int
    tokenizer: ModelTokenizer
    finished: int = 0  # segments known to be done, from the first

    def done(self) -> bool:
        if isinstance(self.futures, Exception):
            return True
        # Sub-batches finish about in the order queued: asked often, each future is
        # asked until it is done, then never again.
        while self.finished < len(self.futures) and self.futures[self.finished].done():
            self.finished += 1
        return self.finished == len(self.futures)

    def result(self) -> list[Hypothesis] | Exception:
        """The batch's hypotheses, or the exception it raised."""
        if isinstance(self.futures, Exception):
            return self.futures
        hypotheses = []
        for future, prefix in zip(self.futures, self.prefixes, strict=True):
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - reported in the batch's place
                return exc
            tokens = result.hypotheses[0][len(prefix) :]
            hypotheses.append(
                Hypothesis(
                    text=self.tokenizer.decode(tokens),
                    score=float(result.scores[0]),
                    target_tokens=len(tokens),
                    hit_length_limit=len(tokens) + len(prefix) >= self.limit,
                )
            )
        return hypotheses


_LOADED: weakref.WeakValueDictionary[str, TranslationModel] = weakref.WeakValueDictionary()
_LOADING = threading.Lock()


def on_local_disk(settings: ModelSettings) -> ModelSettings:
    """The settings with `path` at a local copy of the model, copied (from gs://, s3://, ...)
    and verified against its manifest once per process."""
    from transforms.model_store import local_model_dir

    return replace(settings, path=local_model_dir(settings.path))


class TranslationModelHandler:
    """Separates how the model is loaded from how it is used, as Beam's ModelHandler does."""

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings

    def load_model(self) -> TranslationModel:
        """The process's model for these settings: stages that hold it through different
        `Shared` handles (translate, the guard's retry) get one instance, not one each."""
        with _LOADING:
            model = _LOADED.get(self.share_key())
            if model is None:
                model = _LOADED[self.share_key()] = TranslationModel(on_local_disk(self.settings))
            return model

    def share_key(self) -> str:
        return json.dumps(self.settings.__dict__, sort_keys=True)
