"""The CTranslate2 backend: a `ctranslate2.Translator` with SentencePiece tokens."""

from __future__ import annotations

from dataclasses import dataclass, replace

from backends.base import Decoding, Hypothesis, ModelBackend, TranslationModel
from backends.settings import ModelSettings
from backends.store import local_model_dir, model_id
from backends.tokenizer import SentencePieceTokenizer
from core.errors import ConfigError


class CTranslate2Model(TranslationModel):
    def __init__(self, settings: ModelSettings) -> None:
        import ctranslate2

        self.settings = settings
        self.model_id = model_id(settings.path)
        self.tokenizer = SentencePieceTokenizer(settings)
        inter_threads, intra_threads = settings.resolved_threads()
        self.translator = ctranslate2.Translator(
            settings.path,
            device=settings.device,
            device_index=settings.resolved_device_index(),
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

    def submit(
        self, batch: list[list[str]], target_langs: list[str], decoding: Decoding | None = None
    ) -> CTranslate2Batch:
        """Replicas take queued batches (split into `max_batch_size` sub-batches) in order,
        so that on CPU every core works on a batch of its own."""
        prefixes = [self.tokenizer.target_prefix(lang) for lang in target_langs]
        longest = max(len(tokens) for tokens in batch)
        limit = self.settings.decoding_limit(longest)
        options = {"beam_size": self.settings.beam_size}
        options.update(decoding.overrides() if decoding else {})
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
                **options,
            )
        except Exception as exc:  # noqa: BLE001 - reported in the batch's place
            futures = exc
        return CTranslate2Batch(futures, prefixes, limit, self.tokenizer)


@dataclass
class CTranslate2Batch:
    """The futures of one submitted batch (a `PendingBatch`)."""

    futures: list | Exception
    prefixes: list[list[str]]
    limit: int
    tokenizer: SentencePieceTokenizer
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


class CTranslate2Backend(ModelBackend):
    name = "ctranslate2"

    def load_model(self) -> CTranslate2Model:
        return CTranslate2Model(self._on_local_disk())

    def load_tokenizer(self) -> SentencePieceTokenizer:
        return SentencePieceTokenizer(self._on_local_disk())

    def required_files(self) -> list[str]:
        return ["model.bin", self.settings.source_spm, self.settings.target_spm]

    def check(self, key: str, local: bool) -> None:
        super().check(key, local)
        if local:  # a launcher of a Dataflow or Flink job need not have the workers' GPUs
            check_device(self.settings, key)

    def _on_local_disk(self) -> ModelSettings:
        """The settings with `path` at a local copy of the model, copied (from gs://,
        s3://, ...) and verified against its manifest once per process."""
        return replace(self.settings, path=local_model_dir(self.settings.path))


def check_device(model: ModelSettings, key: str) -> None:
    """The device exists here and supports the compute type."""
    import ctranslate2

    gpus = ctranslate2.get_cuda_device_count()
    if model.device == "cuda" and gpus == 0:
        raise ConfigError(
            f"{key}.device: cuda, but CTranslate2 sees no CUDA device on this machine; "
            "set `device: cpu` (--device cpu) or run where a GPU is visible"
        )
    missing = [index for index in model.device_index if index >= gpus]
    if model.device == "cuda" and missing:
        raise ConfigError(
            f"{key}.device_index: GPU {missing[0]} does not exist here (CTranslate2 sees "
            f"{gpus}: 0 to {gpus - 1}); leave device_index empty to use every GPU"
        )
    device = "cuda" if model.device == "cuda" or (model.device == "auto" and gpus) else "cpu"
    wanted = model.resolved_compute_type()
    supported = sorted(ctranslate2.get_supported_compute_types(device))
    if wanted not in ("auto", "default") and wanted not in supported:
        raise ConfigError(
            f"{key}.compute_type: {wanted} is not supported on {device} here; "
            f"use one of {', '.join(supported)} (or `default`)"
        )
