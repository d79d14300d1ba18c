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
from inference import Buckets
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


def test_over_max_pending_tokens_the_oldest_bucket_goes(test_models):
    settings = ModelSettings(path=str(test_models["swapcase"]))
    buckets = Buckets({"default": 10**6}, max_pending_tokens=10, batch_sizes={"default": 0})
    nein, ja, gut, nein2 = segments(settings, ["Nein.", "Ja.", "Gut.", "Nein!"])
    assert [seg.source_tokens for seg in (nein, ja, gut, nein2)] == [5, 3, 4, 5]
    # "Gut." brings 12 tokens in buckets: the bucket of "Nein." (the oldest) goes; then
    # "Nein!" brings 12 again, and "Ja." goes; the rest at the end, longest first.
    due = [list(buckets.add(seg)) for seg in (nein, ja, gut, nein2)]
    assert due == [[], [], [[nein]], [[ja]]]
    assert list(buckets.drain()) == [[nein2], [gut]]


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


def test_buckets_give_one_model_batch_when_full_and_the_fullest_on_demand(test_models):
    settings = ModelSettings(path=str(test_models["swapcase"]), max_batch_size=2)
    buckets = Buckets({"default": 10**6}, max_pending_tokens=10**6, batch_sizes={"default": 2})
    ja, nein, ja2, gut = segments(settings, ["Ja.", "Nein.", "Ja!", "Gut."])
    assert [seg.source_tokens for seg in (ja, nein, gut)] == [3, 5, 4]
    assert [list(buckets.add(seg)) for seg in (ja, nein, gut)] == [[], [], []]
    # "Ja!" makes the bucket of 3 tokens one model batch: it is due at once.
    assert list(buckets.add(ja2)) == [[ja, ja2]]
    assert buckets.fullest("default") == [nein]  # 5 tokens against 4
    assert buckets.fullest("other model") is None
    assert list(buckets.drain()) == [[gut]]


def test_an_idle_replica_gets_the_fullest_bucket_before_the_end_of_the_bundle(test_models):
    settings = ModelSettings(path=str(test_models["swapcase"]), inter_threads=1, intra_threads=1)
    fn = TranslateBatches(
        {"default": CTranslate2Backend(settings)},
        TranslateSettings(batch_token_budget=10**6),  # far from full by tokens
    )
    fn.setup()
    fn.start_bundle()
    (first,) = segments(settings, ["Ja."])
    assert list(fn.process(first)) == []
    # Queued at once: the replica had nothing to decode.
    assert [flight.batch for flight in fn._in_flight] == [[first]]
    outputs = [outcome(value.value) for value in fn.finish_bundle()]
    assert outputs == [("Ja.", "translated", swapcase_reference("Ja."))]
