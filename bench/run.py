"""`make bench`: this pipeline against raw CTranslate2, HuggingFace and RunInference.

Builds the OPUS-MT-sized random model and the generated corpora (once), runs each
system in its own process with the same threads and the same segments, and writes
`bench/results/<date>-<machine>.json` with a Markdown table beside it.

    python -m bench.run [--paragraphs 400] [--beam_size 1] [--out out/bench]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import sentencepiece as spm
import yaml

from bench.build_model import build
from bench.ceiling import ceiling_for_bench
from bench.corpus import input_pattern, paragraphs, short_paragraphs, write_documents
from bench.measure import measure
from bench.ratios import BATCH_SIZES, TARGET_RATIOS, Rounds, compute_ratios
from bench.real_model import real_model_systems
from bench.report import machine_info, write_results
from bench.scaling import raw_processes
from bench.settings import BenchSettings

RESULTS = Path("bench/results")


class Bench:
    def __init__(self, settings: BenchSettings, out: Path) -> None:
        self.settings = settings
        self.out = out
        self.ct2 = f"{settings.model_dir}/ct2"
        self.rounds = Rounds()

    @functools.cached_property
    def source_spm(self) -> spm.SentencePieceProcessor:
        return spm.SentencePieceProcessor(model_file=f"{self.ct2}/source.spm")

    def corpus(
        self,
        name: str,
        count: int,
        repeat_fraction: float = 0.0,
        files: int = 1,
        short: bool = False,
    ) -> tuple[str, int]:
        """The corpus's --input pattern and paragraph count."""
        path = self.out / "corpus" / f"{name}.jsonl"
        if short:
            texts = short_paragraphs(count)
        else:
            processor = self.source_spm
            texts = list(paragraphs(count, lambda text: len(processor.encode(text))))
        count = write_documents(path, texts, self.settings.per_document, repeat_fraction, files)
        return input_pattern(path, files), count

    def config(self, name: str, model: dict[str, Any] | None = None, **translate: Any) -> Path:
        """The pipeline config: output lengths forced to the source length; `model`
        adds or overrides model settings."""
        config = {
            "target_lang": "en",
            "read": {"text_field": "text", "id_field": "id", "lang_field": "lang"},
            "model": {
                # absolute: paths in a config file are relative to the file
                "path": str(Path(self.ct2).resolve()),
                "beam_size": self.settings.beam_size,
                "decoding_length_ratio": 1.0,
                "decoding_length_slack": 0,
                "min_decoding_ratio": 1.0,
                "max_input_tokens": self.settings.max_input_tokens,
            }
            | (model or {}),
            "translate": translate,
            # The raw systems translate whole paragraphs: the same unit keeps the work equal.
            "segment": {"unit": "paragraph"},
            # Random weights with forced lengths are degenerate by construction: the guard
            # would retry every segment. Its own cost is measured apart (README: Fidelity).
            "guard": {"enabled": False},
        }
        path = self.out / "configs" / f"{name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config))
        return path

    def pipeline(
        self, name: str, corpus: str, config: Path, *flags: str, timeout: float | None = None
    ) -> dict[str, Any]:
        args = {
            "config": str(config),
            "input": str(corpus),
            "output": str(self.out / "runs" / name),
            "flags": list(flags),
        }
        return self.system("this_pipeline", name, args, timeout)

    def system(
        self, system: str, name: str, args: dict[str, Any], timeout: float | None = None
    ) -> dict[str, Any]:
        print(f"[bench] {name} ...", flush=True)
        result = measure(system, args, self.out / "logs" / f"{name}.log", timeout)
        result["tokens_per_second"] = round(result["target_tokens"] / result["seconds"], 1)
        result["load_average_after"] = round(os.getloadavg()[0], 2)  # others' work on the cores
        print(
            f"[bench] {name}: {result['target_tokens']} tokens in {result['seconds']:.1f} s "
            f"= {result['tokens_per_second']} tok/s, peak RSS {result['peak_rss_mb']} MB",
            flush=True,
        )
        return result

    def translated_segments(self, name: str) -> Path:
        """The source text of every segment the pipeline run `name` translated."""
        rows = pq.read_table(
            self.out / "runs" / name / "segments", columns=["source_text", "status"]
        ).to_pylist()
        path = self.out / "corpus" / f"segments-{name}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                if row["status"] == "translated":
                    handle.write(json.dumps({"text": row["source_text"]}, ensure_ascii=False))
                    handle.write("\n")
        return path

    def run(self) -> dict[str, Any]:
        s = self.settings
        threads = s.threads
        main, paragraph_count = self.corpus("main", s.paragraphs)
        systems: dict[str, dict[str, Any]] = {}
        systems["pipeline"] = self.tracked(
            "pipeline", functools.partial(self.pipeline, "pipeline", main, self.config("default"))
        )
        segments = str(self.translated_segments("pipeline"))
        raw = {"segments": segments, "model": self.ct2, "compute_type": "int8"}
        raw |= {"beam_size": s.beam_size, "max_batch_size": s.raw_max_batch_size}
        # The ceiling is the best thread split: one batch on all cores, or
        # one replica per core working on different length groups.
        splits = {
            f"raw_inter{inter}_intra{threads // inter}": raw
            | {"inter_threads": inter, "intra_threads": threads // inter}
            for inter in sorted({1, threads})
        }
        candidates = {
            name: self.system("raw_ctranslate2", name, args) for name, args in splits.items()
        }
        best = max(candidates, key=lambda k: candidates[k]["tokens_per_second"])
        systems["raw_ctranslate2"] = self.rounds.track(
            "raw_ctranslate2",
            candidates[best] | {"variant": best},
            functools.partial(self.system, "raw_ctranslate2", best, splits[best]),
        )
        systems |= {f"raw_candidate_{k}": v for k, v in candidates.items() if k != best}
        systems["transformers_generate"] = self.system(
            "transformers_generate",
            "transformers_generate",
            {
                "segments": segments,
                "hf_model": f"{s.model_dir}/hf",
                "threads": threads,
                "beam_size": s.beam_size,
                "batch_size": s.hf_batch_size,
                "every_nth": s.hf_every_nth,
            },
        )
        systems["runinference_pipeline"] = self.system(
            "runinference_pipeline",
            "runinference_pipeline",
            {
                "segments": segments,
                "model": self.ct2,
                "compute_type": "int8",
                "intra_threads": threads,
                "beam_size": s.beam_size,
                "output": str(self.out / "runs" / "runinference"),
            },
        )
        on_main_corpus = list(systems)
        for suffix, count, short in (
            ("", (s.dedup_paragraphs, s.worker_paragraphs), False),
            ("_short", (s.short_paragraphs, s.short_worker_paragraphs), True),
        ):
            systems |= self.dedup_and_workers(suffix, *count, short=short)
        systems |= real_model_systems(self)
        short_segments = self.translated_segments("dedup_short_off")
        systems |= self.batch_sizes(raw, short_segments)
        systems |= raw_processes(self.system, raw, short_segments)
        identical = {
            f"dedup{suffix}": self.segment_rows(f"dedup{suffix}_on")
            == self.segment_rows(f"dedup{suffix}_off")
            for suffix in ("", "_short")
        }
        self.rounds.again(s.rounds)
        self.rounds.medians(systems)
        translated = systems["pipeline"]["segments"]
        for name in on_main_corpus:
            result = systems[name]
            result["paragraphs_per_second"] = round(
                paragraph_count * result["segments"] / translated / result["seconds"], 2
            )

        ratios, by_round = compute_ratios(systems, self.rounds)
        return {
            "settings": asdict(s),
            "corpus": {"paragraphs": paragraph_count, "translated_segments": translated},
            "systems": systems,
            "dedup_identical_outputs": identical,
            "ratios": {k: round(v, 3) for k, v in ratios.items()},
            "ratios_by_round": {k: [round(v, 3) for v in vs] for k, vs in by_round.items()},
        }

    def dedup_and_workers(
        self, suffix: str, dedup_count: int, worker_count: int, short: bool
    ) -> dict[str, dict[str, Any]]:
        """Dedup on and off on a half-repeated corpus; 1 and 2 worker processes (and the
        runner's own thread) with one thread each on a corpus in `worker_files` files."""
        repeated, _ = self.corpus(
            f"half_repeated{suffix}", dedup_count, repeat_fraction=0.5, short=short
        )
        systems = {}
        for state in ("on", "off"):
            name = f"dedup{suffix}_{state}"
            config = self.config(f"dedup_{state}", dedup=state == "on")
            systems[name] = self.tracked(
                name, functools.partial(self.pipeline, name, repeated, config)
            )
        files = self.settings.worker_files
        corpus, _ = self.corpus(f"workers{suffix}", worker_count, files=files, short=short)
        single = ("--inter_threads=1", "--intra_threads=1")  # one core per worker process
        config = self.config("default")
        # The target compares worker processes (multi_processing, 1 vs 2); the in-process
        # run (the runner's own thread, no worker process to start) is measured beside them.
        for name, workers in (("in_process", 0), ("1_process", 1), ("2_processes", 2)):
            processes = (
                "--direct_running_mode=multi_processing",
                f"--direct_num_workers={workers}",
            )
            flags = single + (processes if workers else ())
            name = f"workers{suffix}_{name}"
            systems[name] = self.tracked(
                name, functools.partial(self.pipeline, name, corpus, config, *flags)
            )
        return systems

    def tracked(self, name: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`run()`, measured again in later rounds where `name` is in TARGET_RATIOS."""
        result = run()
        if any(name in pair for pair in TARGET_RATIOS.values()):
            self.rounds.track(name, result, run)
        return result

    def batch_sizes(self, raw: dict[str, Any], segments: Path) -> dict[str, dict[str, Any]]:
        """Raw CTranslate2 over the short corpus's segments (length groups of ~170), one
        replica per core, each group decoded whole or in batches of at most N segments:
        what `model.max_batch_size` is chosen from."""
        args = raw | {"segments": str(segments), "inter_threads": self.settings.threads}
        systems = {}
        for size in BATCH_SIZES:
            name = f"batch_size_{size or 'whole_group'}"
            sized = args | {"intra_threads": 1, "max_batch_size": size}
            systems[name] = self.system("raw_ctranslate2", name, sized)
        return systems

    def segment_rows(self, name: str) -> list[dict[str, Any]]:
        table = pq.read_table(self.out / "runs" / name / "segments")
        return sorted(table.to_pylist(), key=lambda r: (r["doc_id"], r["segment_index"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out/bench"))
    for name, default in asdict(BenchSettings()).items():
        parser.add_argument(f"--{name}", type=type(default), default=default)
    args = vars(parser.parse_args())
    out = args.pop("out")
    settings = BenchSettings(**args)
    if not Path(settings.model_dir, "ct2", "model.bin").exists():
        build(Path(settings.model_dir))
    started = time.time()
    machine_before = machine_info()
    results = Bench(settings, out).run()
    results["cpu_side_ceiling"] = ceiling_for_bench(out)  # bench/ceiling.py
    results["machine"] = machine_info() | {"load_average_at_start": machine_before["load_average"]}
    results["bench_seconds"] = round(time.time() - started, 1)
    print(f"[bench] wrote {write_results(results, RESULTS)}")


if __name__ == "__main__":
    main()
