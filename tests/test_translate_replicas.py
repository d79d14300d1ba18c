"""Translation with several model replicas (`inter_threads`): full buckets are translated
together, a batch that raises fails only its own segment, and results do not depend on
the number of replicas."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to

from tests.conftest import local_pipeline
from tools.build_test_models import MAX_INPUT_TOKENS, swapcase_reference
from transforms.model import ModelSettings, TranslationModel, TranslationModelHandler
from transforms.records import Segment
from transforms.translate import TranslateSegments, TranslateSettings

TEXTS = ["Guten Morgen.", "Auf Wiedersehen!", "Ja.", "Nein.", "Vielleicht morgen.", "Gut."]


def segments(settings: ModelSettings, texts: list[str]) -> list[Segment]:
    model = TranslationModel(settings)
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
                {"default": TranslationModelHandler(settings)},
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
        model = TranslationModel(settings)
        assert model.replicas == inter
        batches = [([list(seg.pieces)], ["en"]) for seg in segments(settings, TEXTS)]
        results.append(model.translate_many(batches))
    assert results[0] == results[1]
    assert [batch[0].text for batch in results[0]] == [swapcase_reference(t) for t in TEXTS]
