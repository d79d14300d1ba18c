"""(d) What a Beam user would write: `RunInference` with a CTranslate2 `ModelHandler`
and the default `BatchElements` batching (by count, not length).

Beam 2.77 has no CTranslate2 handler, so this is the obvious one. To
do the same work as the other systems, each batch is translated per group of
equal length (a forced output length holds for a whole `translate_batch` call).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.ml.inference.base import ModelHandler, PredictionResult, RunInference
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from bench.corpus import by_length


class LoadedTranslator:
    """A class instance, since RunInference's `Shared` cannot hold a tuple (fact 7)."""

    def __init__(self, path: str, compute_type: str, threads: int) -> None:
        import ctranslate2
        import sentencepiece as spm

        self.translator = ctranslate2.Translator(
            path, compute_type=compute_type, intra_threads=threads
        )
        self.source = spm.SentencePieceProcessor(model_file=f"{path}/source.spm")
        self.target = spm.SentencePieceProcessor(model_file=f"{path}/target.spm")


class CTranslate2Handler(ModelHandler[str, PredictionResult, LoadedTranslator]):
    def __init__(self, path: str, compute_type: str, threads: int, beam_size: int) -> None:
        super().__init__()
        self.path, self.compute_type, self.threads = path, compute_type, threads
        self.beam_size = beam_size

    def load_model(self) -> LoadedTranslator:
        return LoadedTranslator(self.path, self.compute_type, self.threads)

    def run_inference(
        self,
        batch: Sequence[str],
        model: LoadedTranslator,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[PredictionResult]:
        tokens = [model.source.encode(text, out_type=str) for text in batch]
        outputs: list[list[str]] = [[] for _ in batch]
        for length, indices in by_length(tokens).items():
            results = model.translator.translate_batch(
                [tokens[i] for i in indices],
                beam_size=self.beam_size,
                max_input_length=0,
                min_decoding_length=length,
                max_decoding_length=length,
            )
            for i, result in zip(indices, results, strict=True):
                outputs[i] = result.hypotheses[0]
        return [
            PredictionResult(text, {"text": model.target.decode(out), "tokens": len(out)})
            for text, out in zip(batch, outputs, strict=True)
        ]


SCHEMA = pa.schema([("source", pa.string()), ("translation", pa.string()), ("tokens", pa.int64())])


def runinference_pipeline(args: dict[str, Any]) -> dict[str, Any]:
    handler = CTranslate2Handler(
        args["model"], args["compute_type"], args["intra_threads"], args["beam_size"]
    )
    load_started = time.perf_counter()
    handler.load_model()
    load = time.perf_counter() - load_started
    started = time.perf_counter()
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        _ = (
            pipeline
            | "Read" >> beam.io.ReadFromText(args["segments"])
            | "Text" >> beam.Map(lambda line: json.loads(line)["text"])
            | "Translate" >> RunInference(handler)
            | "Row"
            >> beam.Map(
                lambda r: {
                    "source": r.example,
                    "translation": r.inference["text"],
                    "tokens": r.inference["tokens"],
                }
            )
            | "Write" >> beam.io.WriteToParquet(f"{args['output']}/part", SCHEMA)
        )
    seconds = time.perf_counter() - started - load

    tokens = pq.read_table(args["output"], columns=["tokens"]).column("tokens").to_pylist()
    return {
        "seconds": seconds,
        "model_load_seconds": load,
        "segments": len(tokens),
        "target_tokens": sum(tokens),
    }
