"""The ratios `make bench` reports; the targets' pairs run in rounds, and their ratios
are medians over rounds.

On a shared VM the speed of the cores drifts by a tenth or more over minutes (raw
CTranslate2 alone measured 610 to 987 target tokens/s in different runs), so one
measurement of each system can put a ratio on either side of its target. Each round
runs the two systems of a pair one after the other, so that both see about the same
machine; the ratio is taken within each round, and the median of those is reported
beside every round's value.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

Result = dict[str, Any]
BATCH_SIZES = (0, 64, 128, 256)  # 0: a whole length group in one batch
# The targets' ratios (faster system, slower system): measured in every round.
TARGET_RATIOS = {
    "pipeline_over_raw": ("pipeline", "raw_ctranslate2"),
    "dedup_speedup_short": ("dedup_short_on", "dedup_short_off"),
    "two_workers_speedup_short": ("workers_short_2_processes", "workers_short_1_process"),
    "real_pipeline_over_raw": ("real_pipeline", "real_raw_ctranslate2"),
}


def rate(result: Result) -> float:
    return result["target_tokens"] / result["seconds"]


class Rounds:
    """Systems measured once per round; `again` runs every later round in the order the
    systems were first measured, which keeps each pair adjacent."""

    def __init__(self) -> None:
        self._reruns: dict[str, Callable[[], Result]] = {}
        self.results: dict[str, list[Result]] = {}

    def track(self, name: str, first: Result, rerun: Callable[[], Result]) -> Result:
        """`first` is round one's result of `name`; `rerun` measures it again."""
        self._reruns[name] = rerun
        self.results[name] = [first]
        return first

    def again(self, rounds: int) -> None:
        for _ in range(rounds - 1):
            for name, rerun in self._reruns.items():
                self.results[name].append(rerun())

    def ratios(self, faster: str, slower: str) -> list[float]:
        """Per round: `faster`'s target tokens/s over `slower`'s."""
        return [
            rate(fast) / rate(slow)
            for fast, slow in zip(self.results[faster], self.results[slower], strict=True)
        ]

    def medians(self, systems: dict[str, Result]) -> None:
        """Each tracked system's entry gets its median seconds (and the rate from it),
        every round's seconds, and its highest peak RSS."""
        for name, results in self.results.items():
            seconds = [result["seconds"] for result in results]
            median = statistics.median(seconds)
            # A new dict: round one's result is the same object, and its ratios still need
            # its own seconds.
            systems[name] = systems[name] | {
                "seconds": median,
                "seconds_by_round": [round(value, 2) for value in seconds],
                "tokens_per_second": round(rate(results[0] | {"seconds": median}), 1),
                "peak_rss_mb": max(result["peak_rss_mb"] for result in results),
            }


def compute_ratios(
    systems: dict[str, Result], rounds: Rounds
) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Every ratio (the targets': the median over rounds) and the targets' per round."""

    def speed(name: str) -> float:
        return systems[name]["tokens_per_second"]

    def seconds(name: str) -> float:
        return systems[name]["seconds"]

    ratios = {
        "pipeline_over_raw": speed("pipeline") / speed("raw_ctranslate2"),
        "pipeline_over_transformers": speed("pipeline") / speed("transformers_generate"),
        "pipeline_over_runinference": speed("pipeline") / speed("runinference_pipeline"),
    }
    for suffix in ("", "_short"):
        ratios[f"dedup_speedup{suffix}"] = seconds(f"dedup{suffix}_off") / seconds(
            f"dedup{suffix}_on"
        )
        two = seconds(f"workers{suffix}_2_processes")
        ratios[f"two_workers_speedup{suffix}"] = seconds(f"workers{suffix}_1_process") / two
        ratios[f"two_workers_over_in_process{suffix}"] = (
            seconds(f"workers{suffix}_in_process") / two
        )
    ratios["raw_two_processes_speedup"] = seconds("raw_1_process") / seconds("raw_2_processes")
    whole = seconds("batch_size_whole_group")
    for size in BATCH_SIZES[1:]:
        ratios[f"batch_size_{size}_speedup"] = whole / seconds(f"batch_size_{size}")
    # The targets' ratios above (from median seconds) give way to their per-round medians.
    by_round = {
        name: rounds.ratios(*pair)
        for name, pair in TARGET_RATIOS.items()
        if all(system in rounds.results for system in pair)  # the real model may be absent
    }
    ratios |= {name: statistics.median(values) for name, values in by_round.items()}
    return ratios, by_round
