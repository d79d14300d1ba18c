"""The real model as a system of `make bench`: the pipeline against raw CTranslate2 on the
development set's paragraphs, with natural (not forced) output lengths.

The pipeline runs with its defaults (sentence unit, guard on) and the model's own limits;
raw CTranslate2 then translates exactly the sentences the pipeline translated, by length
group, one replica per core, in one asynchronous call. Both are measured in every round
(`real_pipeline_over_raw`). The pipeline's own clock (run.json `wall_seconds`) is recorded
beside the in-process figure the ratio uses, and one more run of the pipeline says where
its time goes (`real_pipeline_timeline`: start-up, the model's work, the end).

The pair alone, without the rest of `make bench`: `python -m bench.real_pair`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from reports.devset import read_devset, write_corpus

if TYPE_CHECKING:
    from bench.run import Bench


def real_model_systems(bench: Bench) -> dict[str, dict[str, Any]]:
    """`real_pipeline` and `real_raw_ctranslate2`, tracked in rounds; none (with a message)
    when the model or its development set is not beside the checkout."""
    s = bench.settings
    model, dev_set = Path(s.real_model).resolve(), Path(s.real_dev_set)
    if not (model / "model.bin").exists() or not dev_set.exists():
        print(f"[bench] real model: skipped ({model} or {dev_set} missing)", flush=True)
        return {}
    corpus, _ = write_corpus(read_devset(dev_set), bench.out / "corpus", "real-short")
    config = bench.out / "configs" / "real.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    settings = {"read": {"id_field": "id"}, "model": {"path": str(model)}}
    settings["model"]["beam_size"] = s.real_beam_size
    config.write_text(yaml.safe_dump(settings))
    # A low-confidence or failed share is no reason to stop a measurement.
    gates = ("--max_low_confidence_fraction=1", "--max_failed_fraction=1")
    pipeline = functools.partial(bench.pipeline, "real_pipeline", str(corpus), config, *gates)
    systems = {"real_pipeline": bench.tracked("real_pipeline", pipeline)}
    raw = {
        "segments": str(bench.translated_segments("real_pipeline")),
        "model": str(model),
        "compute_type": "int8",
        "beam_size": s.real_beam_size,
        "max_batch_size": s.raw_max_batch_size,
        "inter_threads": s.threads,
        "intra_threads": 1,
        "natural_lengths": True,
    }
    raw_run = functools.partial(bench.system, "raw_ctranslate2", "real_raw_ctranslate2", raw)
    systems["real_raw_ctranslate2"] = bench.tracked("real_raw_ctranslate2", raw_run)
    # Once, beside the rounds: where the pipeline's time goes (bench/timeline.py).
    timeline = {"config": str(config), "input": str(corpus), "flags": list(gates)}
    timeline["output"] = str(bench.out / "runs" / "real_pipeline_timeline")
    systems["real_pipeline_timeline"] = bench.system(
        "pipeline_timeline", "real_pipeline_timeline", timeline
    )
    return systems
