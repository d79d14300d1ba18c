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
    # With inter_threads > 1 (or a GPU), groups are submitted asynchronously so that the
    # replicas work on several groups at once (and the GPU never waits for Python).
    asynchronous = args["inter_threads"] > 1 or args.get("device") == "cuda"
    if args.get("device") == "cuda":  # kernel compilation and cuBLAS set-up, not timed
        translator.translate_batch(tokens[:8], max_decoding_length=4, beam_size=1)
    started = time.perf_counter()
    pending = [
        translator.translate_batch(
            batch,
            max_batch_size=args["max_batch_size"],
            beam_size=args["beam_size"],
            max_input_length=0,
            # forced to the source length, unless the outputs are the model's own
            **({} if args.get("natural_lengths") else {"min_decoding_length": length}),
            max_decoding_length=512 if args.get("natural_lengths") else length,
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
    """(c) HuggingFace `generate` on the same weights: float32 on CPU (as users run it),
    `dtype` on a GPU. With `max_seconds`, whole length groups in a seeded random order
    until that much time is spent (a sample of the work at full batch sizes)."""
    import random

    import torch
    from transformers import MarianMTModel

    torch.set_num_threads(args["threads"])
    device = args.get("device", "cpu")
    dtype = getattr(torch, args.get("dtype", "float32"))
    hf_dir = args["hf_model"]
    vocabulary = json.loads(Path(hf_dir, "vocab.json").read_text())
    token_lists = load_tokens(args["segments"], f"{hf_dir}/source.spm")
    token_lists = token_lists[:: args.get("every_nth", 1)]  # a uniform sample: it is slow
    if args.get("length"):  # only the segments of this many tokens
        token_lists = [tokens for tokens in token_lists if len(tokens) == args["length"]]
    model = MarianMTModel.from_pretrained(hf_dir).to(device=device, dtype=dtype).eval()
    groups = list(by_length(token_lists).items())
    random.Random(0).shuffle(groups)
    max_seconds = args.get("max_seconds") or float("inf")

    calls: list[tuple[int, int, float]] = []  # on a GPU: (length, batch, seconds) of each

    def generate(batch: list[list[str]], length: int) -> int:
        called = time.perf_counter()
        output = model.generate(
            input_ids=torch.tensor([[vocabulary[p] for p in t] for t in batch], device=device),
            num_beams=args["beam_size"],
            min_new_tokens=length,
            max_new_tokens=length,
        )
        if device == "cuda":
            torch.cuda.synchronize()
            calls.append((length, len(batch), round(time.perf_counter() - called, 4)))
        return (output.shape[1] - 1) * output.shape[0]  # minus the start token

    with torch.inference_mode():
        # Warm-up, not timed; on a GPU at the measured batch size (cuBLAS and the caching
        # allocator set up per shape on first use, which only a few timed calls would pay).
        length, first = groups[0][0], [token_lists[i] for i in groups[0][1]]
        if device == "cuda":
            generate(first[: args["batch_size"]], length)
        else:
            generate(first[:8], 4)
        calls.clear()
        started, target_tokens, segments = time.perf_counter(), 0, 0
        for length, indices in groups:
            group = [token_lists[i] for i in indices]
            for start in range(0, len(group), args["batch_size"]):
                batch = group[start : start + args["batch_size"]]
                target_tokens += generate(batch, length)
                segments += len(batch)
            if time.perf_counter() - started > max_seconds:
                break
    seconds = time.perf_counter() - started
    result = {"seconds": seconds, "segments": segments, "target_tokens": target_tokens}
    if device == "cuda":  # what a slow figure needs to be understood
        attention = model.config._attn_implementation
        result |= {"calls": calls, "torch": torch.__version__, "attention": attention}
    return result


def model_load_seconds(settings: Any) -> float:
    """One model load, as each worker's `setup()` does it (excluded from pipeline times)."""
    from backends import backend_for

    started = time.perf_counter()
    backend_for(settings).load_model()
    return time.perf_counter() - started


def pipeline_argv(args: dict[str, Any]) -> list[str]:
    argv = [f"--config={args['config']}", f"--output={args['output']}", "--overwrite"]
    return [*argv, f"--input={args['input']}", *args.get("flags", [])]


def this_pipeline(args: dict[str, Any]) -> dict[str, Any]:
    """(b) This pipeline end to end on the FnApiRunner: JSONL in, Parquet out."""
    from pipeline.config import load_config
    from pipeline.run import run

    argv = pipeline_argv(args)
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
        "wall_seconds": info["wall_seconds"],  # the pipeline's own clock (run.json)
        "target_tokens": _table_sum(args["output"], "segments", "target_tokens"),
    }


def _table_sum(output: str, table: str, column: str) -> int:
    values = pq.read_table(f"{output}/{table}", columns=[column]).column(column).to_pylist()
    return sum(v or 0 for v in values)


def pipeline_timeline(args: dict[str, Any]) -> dict[str, Any]:
    """This pipeline as `this_pipeline` runs it, with where its time went (bench/timeline.py)."""
    from bench.timeline import timeline

    result = timeline(pipeline_argv(args))
    result["seconds"] = result["in_process_seconds"]
    counts = result["counts"]
    result["segments"] = counts.get("segments_translated", 0) + counts.get(
        "segments_deduplicated", 0
    )
    result["target_tokens"] = _table_sum(args["output"], "segments", "target_tokens")
    return result


SYSTEMS = {
    "raw_ctranslate2": raw_ctranslate2,
    "transformers_generate": transformers_generate,
    "this_pipeline": this_pipeline,
    "pipeline_timeline": pipeline_timeline,
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
