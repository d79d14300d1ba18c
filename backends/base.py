"""The model-backend protocol: how stages load a translation model and use it.

In the spirit of Beam's `ModelHandler`, loading is apart from inference: a `ModelBackend`
is built from a `ModelSettings` when the pipeline is constructed (picklable, nothing loaded),
and a worker process calls `shared_model()` from a DoFn's `setup()`, never at import (the
CTranslate2 runtime is not fork-safe), or `load_tokenizer()` where it needs only tokens.
`TranslationModel.submit()` queues a batch and returns at once, so the runner thread reads
on while the backend translates. A new backend is one module of this package, registered
in `backends/__init__.py`.
"""

from __future__ import annotations

import json
import threading
import weakref
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import ClassVar, Protocol

from apache_beam.io.filesystems import FileSystems

from backends.settings import ModelSettings
from backends.store import check_manifest
from core.errors import ConfigError


@dataclass(frozen=True)
class Hypothesis:
    text: str
    score: float
    target_tokens: int
    hit_length_limit: bool


@dataclass(frozen=True)
class Decoding:
    """Decoding a stage asks for instead of the model's settings (the guard's retry);
    None keeps the setting."""

    beam_size: int | None = None
    repetition_penalty: float | None = None
    no_repeat_ngram_size: int | None = None

    def overrides(self) -> dict[str, float]:
        return {name: value for name, value in asdict(self).items() if value is not None}


class PendingBatch(Protocol):
    """A batch the backend works on: `done()` asks, `result()` waits."""

    def done(self) -> bool: ...

    def result(self) -> list[Hypothesis] | Exception:
        """The batch's hypotheses, or the exception it raised."""


class Tokenizer(Protocol):
    def encode(self, text: str, source_lang: str | None) -> list[str]:
        """The model input tokens for `text` (language tokens included)."""


class TranslationModel(ABC):
    """A loaded model with its tokenizer (a class: a weak reference can hold it)."""

    model_id: str
    tokenizer: Tokenizer

    @property
    @abstractmethod
    def replicas(self) -> int:
        """Batches the model translates at once."""

    def max_in_flight_tokens(self, token_budget: int) -> int:
        """Source tokens its caller keeps submitted and not yet collected, batches being of
        `token_budget`: two per replica, so that when the oldest is collected every replica
        still has work. A model that merges batches of several callers wants more."""
        return 2 * self.replicas * token_budget

    @abstractmethod
    def submit(
        self, batch: list[list[str]], target_langs: list[str], decoding: Decoding | None = None
    ) -> PendingBatch:
        """Queue a batch of model inputs (all of one token length, by our batching) and
        return at once; a failure is the batch's result, never raised here."""

    def translate(
        self, batch: list[list[str]], target_langs: list[str], decoding: Decoding | None = None
    ) -> list[Hypothesis]:
        """Translate one batch and wait for it; raises what the batch raised."""
        result = self.submit(batch, target_langs, decoding).result()
        if isinstance(result, Exception):
            raise result
        return result


_LOADED: weakref.WeakValueDictionary[str, TranslationModel] = weakref.WeakValueDictionary()
_LOADING = threading.Lock()


class ModelBackend(ABC):
    """How one configured model is loaded, checked and shared."""

    name: ClassVar[str]

    def __init__(self, settings: ModelSettings) -> None:
        self.settings = settings

    @abstractmethod
    def load_model(self) -> TranslationModel:
        """A new instance of the model, loaded in this process."""

    @abstractmethod
    def load_tokenizer(self) -> Tokenizer:
        """The model's tokenizer alone, without loading the model."""

    @abstractmethod
    def required_files(self) -> list[str]:
        """Files the model directory must hold."""

    def batch_size(self) -> int:
        """Segments per model batch; 0: a whole bucket is one batch."""
        return self.settings.resolved_max_batch_size()

    def token_budget(self) -> int:
        """Source tokens per batch the model's device wants (`batch_token_budget: 0`)."""
        return self.settings.resolved_token_budget()

    def shared_model(self) -> TranslationModel:
        """This process's instance: the stages that use the model (translate, the guard's
        retry) and every DoFn instance of a multi-threaded worker share one. One instance
        per worker process; a backend that shares one model among processes (one GPU fed by
        several workers) overrides this."""
        key = self.share_key()
        with _LOADING:
            model = _LOADED.get(key)
            if model is None:
                model = _LOADED[key] = self.load_model()
            return model

    def share_key(self) -> str:
        return json.dumps(asdict(self.settings), sort_keys=True)

    def check_files(self, key: str) -> None:
        """Raises ConfigError when the model directory lacks a required file."""
        for file in self.required_files():
            if not FileSystems.exists(FileSystems.join(self.settings.path, file)):
                raise ConfigError(
                    f"{key}.path: {self.settings.path} has no {file}; build the test models "
                    "with `make models` or convert a model (README: Using a real model)"
                )

    def check(self, key: str, local: bool) -> None:
        """Raises ConfigError when the settings do not fit the model or, for a `local` run,
        this machine. `key` is the config section, for the message."""
        check_manifest(self.settings, key)
