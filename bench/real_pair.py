"""The real-model pair of `make bench` alone (bench/real_model.py), in interleaved rounds:
minutes instead of the hour or more of the whole bench.

    python -m bench.real_pair [--rounds 3] [--real_beam_size 4]
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from bench.ratios import TARGET_RATIOS
from bench.real_model import real_model_systems
from bench.report import machine_info, write_results
from bench.run import RESULTS, Bench
from bench.settings import BenchSettings

PAIR = "real_pipeline_over_raw"


def main() -> None:
    parser = argparse.ArgumentParser(description="The real-model pair of make bench alone.")
    parser.add_argument("--out", type=Path, default=Path("out/bench-real"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--real_beam_size", type=int, default=BenchSettings.real_beam_size)
    args = parser.parse_args()
    settings = BenchSettings(rounds=args.rounds, real_beam_size=args.real_beam_size)
    bench = Bench(settings, args.out)
    load_at_start = machine_info()["load_average"]
    systems = real_model_systems(bench)
    bench.rounds.again(settings.rounds)
    bench.rounds.medians(systems)
    by_round = bench.rounds.ratios(*TARGET_RATIOS[PAIR])
    results = {
        "settings": {"rounds": args.rounds, "real_beam_size": args.real_beam_size},
        "systems": systems,
        "ratios": {PAIR: round(statistics.median(by_round), 3)},
        "ratios_by_round": {PAIR: [round(value, 3) for value in by_round]},
        "machine": machine_info() | {"load_average_at_start": load_at_start},
    }
    print(f"[bench] wrote {write_results(results, RESULTS, '-real-model')}")


if __name__ == "__main__":
    main()
