"""The systems the benchmark compares; each runs in its own process (`bench.measure`).

Every system translates the same segments with output lengths forced to the source
length (`min_decoding_length == max_decoding_length`), so each does the same work:
a forced length holds for a whole `translate_batch` / `generate` call, hence every
system calls the model per group of equal source length.

    python -m bench.systems SYSTEM '{"json": "arguments"}'   # prints one JSON result line
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from bench.corpus import by_length


def load_tokens(segments_file: str, spm_path: str) -> list[list[str]]:
    import sentencepiece as spm

    processor = spm.SentencePieceProcessor(model_file=spm_path)
    with open(segments_file, encoding="utf-8") as lines:
        return [processor.encode(json.loads(line)["text"], out_type=str) for line in lines]


def raw_ctranslate2(args: dict[str, Any]) -> dict[str, Any]:
    """(a) `Translator.translate_batch` per length group, all of it in one call."""
    import ctranslate2

    tokens = load_tokens(args["segments"], f"{args['model']}/source.spm")
    groups = {length: [tokens[i] for i in group] for length, group in by_length(tokens).items()}
    translator = ctranslate2.Translator(
        args["model"],
        compute_type=args["compute_type"],
        device=args.get("device", "cpu"),
        inter_threads=args["inter_threads"],
        intra_threads=args["intra_threads"],
    )
    # With inter_threads > 1, groups are submitted asynchronously so that the
    # translator's replicas work on several groups at once.
    asynchronous = args["inter_threads"] > 1
    started = time.perf_counter()
    pending = [
        translator.translate_batch(
            batch,
            max_batch_size=args["max_batch_size"],
            beam_size=args["beam_size"],
            max_input_length=0,
            min_decoding_length=length,
            max_decoding_length=length,
            asynchronous=asynchronous,
        )
        for length, batch in groups.items()
    ]
    target_tokens = sum(
        len((result.result() if asynchronous else result).hypotheses[0])
        for results in pending
        for result in results
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "segments": sum(map(len, groups.values())),
        "target_tokens": target_tokens,
    }


def transformers_generate(args: dict[str, Any]) -> dict[str, Any]:
    """(c) HuggingFace `generate` (float32, as users run it on CPU) on the same weights."""
    import torch
    from transformers import MarianMTModel

    torch.set_num_threads(args["threads"])
    hf_dir = args["hf_model"]
    vocabulary = json.loads(Path(hf_dir, "vocab.json").read_text())
    token_lists = load_tokens(args["segments"], f"{hf_dir}/source.spm")
    token_lists = token_lists[:: args["every_nth"]]  # a uniform sample: this one is slow
    model = MarianMTModel.from_pretrained(hf_dir).eval()
    started, target_tokens = time.perf_counter(), 0
    with torch.inference_mode():
        for length, indices in by_length(token_lists).items():
            group = [token_lists[i] for i in indices]
            for start in range(0, len(group), args["batch_size"]):
                ids = [
                    [vocabulary[p] for p in tokens]
                    for tokens in group[start : start + args["batch_size"]]
                ]
                output = model.generate(
                    input_ids=torch.tensor(ids),
                    num_beams=args["beam_size"],
                    min_new_tokens=length,
                    max_new_tokens=length,
                )
                target_tokens += (output.shape[1] - 1) * output.shape[0]  # minus start token
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "segments": len(token_lists), "target_tokens": target_tokens}


def model_load_seconds(settings: Any) -> float:
    """One model load, as each worker's `setup()` does it (excluded from pipeline times)."""
    from backends import backend_for

    started = time.perf_counter()
    backend_for(settings).load_model()
    return time.perf_counter() - started


def this_pipeline(args: dict[str, Any]) -> dict[str, Any]:
    """(b) This pipeline end to end on the FnApiRunner: JSONL in, Parquet out."""
    from pipeline.config import load_config
    from pipeline.run import run

    argv = [f"--config={args['config']}", f"--output={args['output']}", "--overwrite"]
    argv += [f"--input={args['input']}", *args.get("flags", [])]
    config = load_config(args["config"], {"input": [args["input"]], "output": args["output"]})
    load = model_load_seconds(config.model)
    started = time.perf_counter()
    info = run(argv)
    seconds = time.perf_counter() - started - load
    counts = info["counts"]
    return {
        "seconds": seconds,
        "model_load_seconds": load,
        "segments": counts.get("segments_translated", 0) + counts.get("segments_deduplicated", 0),
        "counts": counts,
        "target_tokens": _table_sum(args["output"], "segments", "target_tokens"),
    }


def _table_sum(output: str, table: str, column: str) -> int:
    values = pq.read_table(f"{output}/{table}", columns=[column]).column(column).to_pylist()
    return sum(v or 0 for v in values)


SYSTEMS = {
    "raw_ctranslate2": raw_ctranslate2,
    "transformers_generate": transformers_generate,
    "this_pipeline": this_pipeline,
}


def main() -> None:
    system, raw_args = sys.argv[1], json.loads(sys.argv[2])
    if system == "runinference_pipeline":
        from bench.runinference import runinference_pipeline as runner
    else:
        runner = SYSTEMS[system]
    print(json.dumps(runner(raw_args)))


if __name__ == "__main__":
    main()
