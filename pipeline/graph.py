"""The order of the stages: the one place that wires them together."""

from __future__ import annotations

import apache_beam as beam

from pipeline.config import PipelineConfig
from transforms.dedup import TranslateOnce
from transforms.detect_language import DetectLanguage
from transforms.model import TranslationModelHandler, model_id
from transforms.read import ReadDocuments
from transforms.rebuild import SEGMENTS_TAG, RebuildDocuments
from transforms.records import ERRORS_TAG
from transforms.route import RouteSegments, RouteSettings
from transforms.segment import SegmentParagraphs
from transforms.split import SplitParagraphs
from transforms.translate import TranslateSegments
from transforms.write import WriteOutputs


def build_pipeline(p: beam.Pipeline, config: PipelineConfig) -> dict[str, beam.PCollection]:
    """Adds the translation graph to `p`; returns the PCollections it writes, by table."""
    model = config.model
    documents, read_errors = p | "ReadDocuments" >> ReadDocuments(config.input, config.read)
    paragraphs = documents | "SplitParagraphs" >> SplitParagraphs()
    translate = TranslateSegments(
        TranslationModelHandler(model), config.translate.batch_token_budget
    )
    segments = (
        paragraphs.paragraphs
        | "DetectLanguage" >> DetectLanguage(config.language)
        | "RouteSegments" >> RouteSegments(RouteSettings(config.target_lang, model_id(model.path)))
        | "SegmentParagraphs"
        >> beam.ParDo(SegmentParagraphs(model.path, model.source_spm, model.max_input_tokens))
        | "TranslateSegments" >> (TranslateOnce(translate) if config.translate.dedup else translate)
    )
    rebuilt = segments | "RebuildDocuments" >> RebuildDocuments()
    errors = (
        read_errors,
        paragraphs[ERRORS_TAG],
        rebuilt[ERRORS_TAG],
    ) | "AllErrors" >> beam.Flatten()
    tables = {"segments": rebuilt[SEGMENTS_TAG], "documents": rebuilt.documents, "errors": errors}
    _ = tables | "WriteOutputs" >> WriteOutputs(config.output)
    return tables
