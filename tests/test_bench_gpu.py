"""`make bench-gpu`'s choices: each system at its best variant in the ratios, the GPU's
default compute type the fastest at equal chrF, and the CPU-side sampler's attribution."""

import functools
import sys

from bench.ceiling import MODEL_WAIT, RUNNER, where
from bench.compute_types import choose
from bench.gpu import ratios


def test_ratios_take_each_system_at_its_best_variant():
    systems = {
        "pipeline_ctranslate2": {"tokens_per_second": 40.0},
        "pipeline_ctranslate2_shared": {"tokens_per_second": 120.0},
        "raw_batch_whole_group": {"tokens_per_second": 240.0},
        "raw_batch_256": {"tokens_per_second": 150.0},
        "hf_generate_batch_256": {"tokens_per_second": 8.0},
        "hf_generate_batch_1024": {"tokens_per_second": 10.0},
    }
    assert ratios(systems) == {
        "best_pipeline": "pipeline_ctranslate2_shared",
        "best_raw": "raw_batch_whole_group",
        "best_hf": "hf_generate_batch_1024",
        "gpu_pipeline_over_raw": 0.5,
        "gpu_raw_over_hf": 24.0,
        "gpu_pipeline_over_hf": 12.0,
    }
    # a run cut short reports what it has
    assert ratios({"raw_batch_256": {"tokens_per_second": 1.0}}) == {"best_raw": "raw_batch_256"}


def test_default_compute_type_is_the_fastest_at_equal_quality():
    figures = {
        "int8_float16": {"chrf": 65.78, "target_tokens_per_second": 11334},
        "float16": {"chrf": 65.66, "target_tokens_per_second": 14644},
        "bfloat16": {"chrf": 65.16, "target_tokens_per_second": 14829},  # 0.6 chrF lower
        "int8_bfloat16": {"supported": False},
    }
    assert choose(figures) == "float16"
    assert choose({"x": {"supported": False}}) is None


def call_stack(*calls: tuple[str, str]):
    """The innermost frame of a real call stack through functions compiled with the given
    (file, name) pairs, outermost first."""
    call = lambda: sys._getframe(1)  # noqa: E731 - the frame of the innermost function
    for file, name in reversed(calls):
        namespace: dict = {}
        exec(compile(f"def {name}(inner):\n    return inner()\n", file, "exec"), namespace)
        call = functools.partial(namespace[name], call)
    return call()


def test_the_sampler_counts_model_waits_apart_from_the_stages():
    bundle = ("/beam/runners/worker/bundle_processor.py", "process_bundle")
    assert where(call_stack(bundle, ("/repo/transforms/segment.py", "process"))) == "segment"
    collect = ("/repo/transforms/translate.py", "_collect")
    waiting = (bundle, collect, ("/repo/backends/ct2.py", "result"))
    assert where(call_stack(*waiting)) == MODEL_WAIT
    assert where(call_stack(bundle, ("/beam/coders/coder_impl.py", "encode"))) == RUNNER
    assert where(call_stack(("/usr/lib/python3/threading.py", "run"))) is None  # no bundle
