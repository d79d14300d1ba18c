"""`make bench-gpu`: the pipeline on one GPU against raw CTranslate2 and HuggingFace.

Builds the OPUS-MT-sized random model in float16 (on the GPU machine: it is not carried
there), generates a corpus of distinct paragraphs, runs this pipeline with dedup off in
worker processes that feed the GPU (one model shared by all through `ctranslate2_shared`,
fed both ways: `shared_feed` stream and bucket; and a model per process), raw CTranslate2
on the segments the pipeline translated at several batch sizes (the best is the ceiling),
and HF `generate` at batch 256 and 1,024. With `--real_model` and `--dev_set`, also the
compute types of a real model: chrF and speed (bench/compute_types.py). Writes
`<results>/<date>-<host>-<N>cpu-gpu.json` and `.md`.

    python -m bench.gpu [--paragraphs 100000] [--workers 0] [--results bench/results]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.build_model import build
from bench.report import machine_info, write_results
from bench.run import RESULTS, Bench
from bench.settings import BenchSettings


@dataclass(frozen=True)
class GpuBenchSettings:
    paragraphs: int = 100_000  # distinct (dedup is off anyway)
    files: int = 64  # local worker processes share a run by input file
    workers: int = 0  # pipeline worker processes; 0: the cores less two (runner, server)
    device: str = "cuda"
    compute_type: str = "float16"
    beam_size: int = 1
    max_input_tokens: int = 128
    raw_batch_sizes: str = "0,1024,256"  # 0: a whole length group in one batch
    hf_batch_sizes: str = "256,1024"
    hf_dtype: str = "float16"
    hf_seconds: float = 20.0  # HF runs whole length groups in random order this long
    hf_length: int = 0  # HF only on the segments of this many tokens (0: all)
    # model.backend of each pipeline run; ctranslate2_shared:FEED sets model.shared_feed
    # (stream: the default since the H200 run, not measured there; bucket: measured, 0.48).
    # The shared runs first: a run cut short by the device's time limit keeps them.
    pipelines: str = "ctranslate2_shared:stream,ctranslate2_shared:bucket,ctranslate2"
    shared_max_wait: float = 2.0  # model.shared_max_wait of the shared runs
    system_seconds: float = 240.0  # a system running longer is stopped (and recorded so)
    model_dir: str = "models/bench-opus-gpu"
    real_model: str = ""  # e.g. ../shared/models/lohelp-mul-en
    dev_set: str = ""  # e.g. ../shared/eval/lohelp-dev.jsonl
    compute_types: str = "int8_float16,float16,bfloat16,int8"


def gpu_name() -> str | None:
    try:
        return subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


class GpuBench:
    def __init__(self, settings: GpuBenchSettings, out: Path, results: Path) -> None:
        self.settings = settings
        self.results_dir = results
        self.bench = Bench(
            BenchSettings(
                model_dir=settings.model_dir,
                beam_size=settings.beam_size,
                max_input_tokens=settings.max_input_tokens,
                threads=1,
            ),
            out,
        )
        self.results: dict[str, Any] = {"settings": asdict(settings), "systems": {}}

    def save(self) -> Path:
        """Written after every system: a run cut short keeps what it measured."""
        self.results["machine"] = machine_info() | {"gpu": gpu_name()}
        self.results["ratios"] = ratios(self.results["systems"])
        return write_results(self.results, self.results_dir, suffix="-gpu")

    def record(self, name: str, system: str, args: dict[str, Any]) -> None:
        limit = self.settings.system_seconds
        try:
            if system == "this_pipeline":
                result = self.bench.pipeline(name, *args["run"], timeout=limit)
            else:
                result = self.bench.system(system, name, args, limit)
            self.results["systems"][name] = result
        except RuntimeError as error:  # recorded; the other systems still run
            self.results.setdefault("failed", {})[name] = str(error)
            print(f"[bench-gpu] {name} failed: {error}", flush=True)
        print(f"[bench-gpu] wrote {self.save()}", flush=True)

    def workers(self) -> int:
        return self.settings.workers or max(1, len(os.sched_getaffinity(0)) - 2)

    def run_pipelines(self, corpus: str) -> str:
        """Each pipeline variant; returns the name of the first (its segments are the
        other systems' input)."""
        s = self.settings
        flags = (
            "--direct_running_mode=multi_processing",
            f"--direct_num_workers={self.workers()}",
        )
        names = []
        for variant in s.pipelines.split(","):
            backend, _, feed = variant.partition(":")
            model = {"device": s.device, "compute_type": s.compute_type, "backend": backend}
            if feed:
                model |= {"shared_feed": feed, "shared_max_wait": s.shared_max_wait}
            name = f"pipeline_{backend}" + (f"_{feed}" if feed else "")
            config = self.bench.config(f"gpu-{name}", model, dedup=False)
            self.record(name, "this_pipeline", {"run": (corpus, config, *flags)})
            if feed and name in self.results["systems"]:
                self.results["systems"][name]["shared_model_log"] = self.server_log(name)
            names.append(name)
        return next(name for name in names if name in self.results["systems"])

    def server_log(self, name: str) -> str | None:
        """The shared model's last line on its batches (segments per GPU batch, and by
        which rule they went) in the run's log."""
        log = self.bench.out / "logs" / f"{name}.log"
        lines = [line for line in log.read_text().splitlines() if "shared model (" in line]
        return lines[-1].split("shared model ", 1)[1] if lines else None

    def run(self) -> None:
        s = self.settings
        if s.real_model and s.dev_set:
            from bench.compute_types import compare_compute_types

            self.results["compute_types"] = compare_compute_types(
                s.real_model, s.dev_set, s.compute_types.split(","), s.device
            )
            self.save()
        if not Path(s.model_dir, "ct2", "model.bin").exists():
            build(Path(s.model_dir), quantization="float16")
        self.results["first_load_seconds"] = first_load(self.bench.ct2, s.device, s.compute_type)
        started = time.time()
        corpus, count = self.bench.corpus("gpu", s.paragraphs, files=s.files)
        self.results["corpus"] = {"paragraphs": count, "seconds": round(time.time() - started)}
        first = self.run_pipelines(corpus)
        segments = str(self.bench.translated_segments(first))
        raw = {"segments": segments, "model": self.bench.ct2, "compute_type": s.compute_type}
        raw |= {"device": s.device, "beam_size": s.beam_size, "inter_threads": 1}
        for size in map(int, s.raw_batch_sizes.split(",")):
            name = f"raw_batch_{size or 'whole_group'}"
            args = raw | {"intra_threads": 1, "max_batch_size": size}
            self.record(name, "raw_ctranslate2", args)
        for size in map(int, s.hf_batch_sizes.split(",")):
            args = {"segments": segments, "hf_model": f"{s.model_dir}/hf", "threads": 1}
            args |= {"device": s.device, "dtype": s.hf_dtype, "beam_size": s.beam_size}
            args |= {"batch_size": size, "max_seconds": s.hf_seconds, "length": s.hf_length}
            name = f"hf_generate_batch_{size}" + (f"_length_{s.hf_length}" if s.hf_length else "")
            self.record(name, "transformers_generate", args)


def first_load(model: str, device: str, compute_type: str) -> float:
    """One load and tiny translation before the timed systems: on a GPU newer than its
    kernels, the driver compiles them at the first load and caches them for the others."""
    import ctranslate2

    started = time.perf_counter()
    translator = ctranslate2.Translator(model, device=device, compute_type=compute_type)
    translator.translate_batch([["▁a"]] * 4, max_decoding_length=4)
    return round(time.perf_counter() - started, 1)


def best(systems: dict[str, Any], prefix: str) -> tuple[str, float] | None:
    rates = {
        name: result["tokens_per_second"]
        for name, result in systems.items()
        if name.startswith(prefix)
    }
    return max(rates.items(), key=lambda item: item[1]) if rates else None


def ratios(systems: dict[str, Any]) -> dict[str, Any]:
    """The GPU ratios, each system at its best variant (named beside the ratio)."""
    found = {
        key: best(systems, prefix)
        for key, prefix in (("pipeline", "pipeline_"), ("raw", "raw_"), ("hf", "hf_"))
    }
    out: dict[str, Any] = {f"best_{key}": value[0] for key, value in found.items() if value}
    for faster, slower in (("pipeline", "raw"), ("raw", "hf"), ("pipeline", "hf")):
        if found[faster] and found[slower]:
            out[f"gpu_{faster}_over_{slower}"] = round(found[faster][1] / found[slower][1], 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out/bench-gpu"))
    parser.add_argument("--results", type=Path, default=RESULTS)
    for name, default in asdict(GpuBenchSettings()).items():
        parser.add_argument(f"--{name}", type=type(default), default=default)
    args = vars(parser.parse_args())
    out, results = args.pop("out"), args.pop("results")
    bench = GpuBench(GpuBenchSettings(**args), out, results)
    started = time.time()
    bench.run()
    bench.results["bench_seconds"] = round(time.time() - started, 1)
    print(json.dumps(bench.results["ratios"]), flush=True)
    print(f"[bench-gpu] wrote {bench.save()}")


if __name__ == "__main__":
    main()
