"""Batching: with several model replicas (`inter_threads`) buckets are translated while
more are queued, a batch that raises fails only its own segment, and results do not
depend on the number of replicas or on splitting a bucket into smaller batches; over
`max_pending_tokens` the bucket with the oldest segment goes."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from backends import ModelSettings
from backends.ct2 import CTranslate2Backend, CTranslate2Model
from core.records import Segment
from tests.conftest import local_pipeline
from tools.build_test_models import MAX_INPUT_TOKENS, swapcase_reference
from transforms.translate import TranslateBatches, TranslateSegments, TranslateSettings

TEXTS = ["Guten Morgen.", "Auf Wiedersehen!", "Ja.", "Nein.", "Vielleicht morgen.", "Gut."]


def segments(settings: ModelSettings, texts: list[str]) -> list[Segment]:
    model = CTranslate2Model(settings)
    out = []
    for index, text in enumerate(texts):
        pieces = tuple(model.tokenizer.encode(text, None))
        out.append(
            Segment(
                doc_id="d",
                source_path="/d",
                encoding="utf-8",
                paragraph_index=index,
                source_text=text,
                separator="\n\n",
                model_name="default",
                target_lang="en",
                source_tokens=len(pieces),
                pieces=pieces,
            )
        )
    return out


def outcome(seg: Segment) -> tuple[str, str, str | None]:
    return (seg.source_text, str(seg.status), seg.translated_text)


def test_replicas_translate_every_bucket_and_isolate_a_failing_batch(test_models):
    settings = ModelSettings(path=str(test_models["swapcase"]), inter_threads=2, intra_threads=1)
    too_long = "x" * (MAX_INPUT_TOKENS + 10)
    inputs = segments(settings, [too_long, *TEXTS])  # the failing batch shares a call
    expected = [(text, "translated", swapcase_reference(text)) for text in TEXTS]
    expected.append((too_long, "failed", None))
    # A budget of 1 token makes every segment a full bucket, translated two at a time.
    with local_pipeline() as p:
        out = (
            p
            | beam.Create(inputs)
            | TranslateSegments(
                {"default": CTranslate2Backend(settings)},
                TranslateSettings(batch_token_budget=1),
            )
        )
        assert_that(out | beam.Map(outcome), equal_to(expected))


def test_one_replica_and_two_give_identical_segments(test_models):
    results = []
    for inter in (1, 2):
        settings = ModelSettings(
            path=str(test_models["swapcase"]), inter_threads=inter, intra_threads=1
        )
        model = CTranslate2Model(settings)
        assert model.replicas == inter
        queued = [model.submit([list(seg.pieces)], ["en"]) for seg in segments(settings, TEXTS)]
        results.append([pending.result() for pending in queued])
    assert results[0] == results[1]
    assert [batch[0].text for batch in results[0]] == [swapcase_reference(t) for t in TEXTS]


def test_over_max_pending_tokens_the_oldest_bucket_is_translated(test_models):
    settings = ModelSettings(path=str(test_models["swapcase"]), inter_threads=1, intra_threads=1)
    handlers = {"default": CTranslate2Backend(settings)}
    translate = TranslateSettings(batch_token_budget=10**6, max_pending_tokens=10)
    fn = TranslateBatches(handlers, translate)
    fn.setup()
    fn.start_bundle()
    texts = ["Nein.", "Ja.", "Gut.", "Nein!"]
    inputs = segments(settings, texts)
    assert [seg.source_tokens for seg in inputs] == [5, 3, 4, 5]
    # "Gut." brings 12 tokens in buckets: the bucket of "Nein." (the oldest) goes; then
    # "Nein!" brings 12 again, and "Ja." goes. Buckets are collected in the order they
    # went, whether during `process` or at the end; the rest at the end, longest first.
    outputs = [outcome(out) for seg in inputs for out in fn.process(seg)]
    outputs += [outcome(value.value) for value in fn.finish_bundle()]
    order = ["Nein.", "Ja.", "Nein!", "Gut."]
    assert outputs == [(t, "translated", swapcase_reference(t)) for t in order]
    assert order != sorted(texts, key=len, reverse=True)  # the end of the bundle alone


def test_a_bucket_split_into_smaller_batches_translates_the_same(test_models):
    texts = ["Gut.", "Ja!!", "Wie?", "Neu.", "Alt.", "Rot.", "Tag."]
    results = []
    for max_batch_size in (0, 2):
        settings = ModelSettings(
            path=str(test_models["swapcase"]),
            inter_threads=2,
            intra_threads=1,
            max_batch_size=max_batch_size,
        )
        pieces = [list(seg.pieces) for seg in segments(settings, texts)]
        assert len({len(p) for p in pieces}) == 1  # one bucket: equal lengths
        results.append(CTranslate2Model(settings).translate(pieces, ["en"] * len(texts)))
    assert results[0] == results[1]  # texts and scores: batches of 2 change nothing
    assert [hyp.text for hyp in results[1]] == [swapcase_reference(t) for t in texts]


def test_batches_of_128_segments_on_cpu_the_whole_bucket_on_gpu():
    assert ModelSettings(path="m").resolved_max_batch_size() == 128
    assert ModelSettings(path="m", device="cuda").resolved_max_batch_size() == 0
    assert ModelSettings(path="m", max_batch_size=32).resolved_max_batch_size() == 32


def test_a_full_bucket_is_queued_and_collected_once_two_per_replica_are_in_flight(test_models):
    settings = ModelSettings(path=str(test_models["swapcase"]), inter_threads=1, intra_threads=1)
    fn = TranslateBatches(
        {"default": CTranslate2Backend(settings)},
        TranslateSettings(batch_token_budget=1),  # every segment a full bucket
    )
    fn.setup()
    fn.start_bundle()
    inputs = segments(settings, TEXTS)
    # Each call queues its segment and returns without waiting for it; the next finds
    # more than 2 tokens (two buckets of 1 for the one replica) in flight and collects it.
    outputs = [[outcome(out) for out in fn.process(seg)] for seg in inputs]
    outputs.append([outcome(value.value) for value in fn.finish_bundle()])
    translated = [[(t, "translated", swapcase_reference(t))] for t in TEXTS]
    assert outputs == [[], *translated]


def test_a_bucket_holding_one_model_batch_is_queued_before_the_end_of_the_bundle(test_models):
    settings = ModelSettings(
        path=str(test_models["swapcase"]), inter_threads=1, intra_threads=1, max_batch_size=2
    )
    fn = TranslateBatches(
        {"default": CTranslate2Backend(settings)},
        TranslateSettings(batch_token_budget=10**6),  # far from full by tokens
    )
    fn.setup()
    fn.start_bundle()
    inputs = segments(settings, ["Ja.", "Nein.", "Ja!"])
    assert [seg.source_tokens for seg in inputs] == [3, 5, 3]
    # "Ja!" makes the bucket of 3 tokens one batch of 2: it is queued then, so it comes
    # back first; the end of the bundle alone would queue the longest bucket first.
    outputs = [outcome(out) for seg in inputs for out in fn.process(seg)]
    outputs += [outcome(value.value) for value in fn.finish_bundle()]
    order = ["Ja.", "Ja!", "Nein."]
    assert outputs == [(t, "translated", swapcase_reference(t)) for t in order]
