"""BenchSettings: the sizes and settings of a `make bench` run (each one a flag of bench.run)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchSettings:
    paragraphs: int = 1000  # main corpus: systems a, b, c, d
    dedup_paragraphs: int = 800  # half of them repeats
    worker_paragraphs: int = 800
    worker_files: int = 8  # local worker processes share a run by input file
    # Dedup and workers again on one-sentence paragraphs of 2 to 8 words: few distinct
    # lengths, so length buckets fill as they do in a large corpus (see README).
    short_paragraphs: int = 4000
    # Worker processes on 8000 of them: each process's fixed start and stop (graph,
    # worker start-up, shutdown: about 5 s) weighed 8% of one process's minute at 4000.
    short_worker_paragraphs: int = 8000
    # Sentence-level segments, as OPUS-MT models are trained: longer paragraphs are split.
    max_input_tokens: int = 128
    per_document: int = 5
    beam_size: int = 1
    threads: int = len(os.sched_getaffinity(0))
    hf_every_nth: int = 20  # HuggingFace translates this uniform sample of the segments
    hf_batch_size: int = 32
    raw_max_batch_size: int = 0  # 0: a whole length group in one batch
    model_dir: str = "models/bench-opus"
    rounds: int = 3  # the TARGET_RATIOS pairs run this many times (bench/ratios.py)
    # The real model and its development set (bench/real_model.py), natural output lengths
    real_model: str = "../shared/models/lohelp-mul-en"
    real_dev_set: str = "../shared/eval/lohelp-dev.jsonl"
    real_beam_size: int = 4
