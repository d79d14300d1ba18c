"""The order of the stages: the one place that wires them together."""

from __future__ import annotations

import apache_beam as beam

from pipeline.config import PipelineConfig
from transforms.accounting import CheckAccounting
from transforms.detect_language import DetectLanguage
from transforms.model import TranslationModelHandler
from transforms.read import ReadDocuments
from transforms.rebuild import INCOMPLETE_TAG, SEGMENTS_TAG, RebuildDocuments
from transforms.records import ERRORS_TAG
from transforms.route import RouteSegments, RouteTable
from transforms.segment import SegmentLongParagraphs
from transforms.split import SplitParagraphs
from transforms.translate import TranslateSegments
from transforms.write import WriteOutputs


def build_pipeline(p: beam.Pipeline, config: PipelineConfig) -> dict[str, beam.PCollection]:
    """Adds the translation graph to `p`; returns the PCollections it writes, by table."""
    models = config.model_table()
    routes = RouteTable(config.route_table(), models)
    handlers = {name: TranslationModelHandler(model) for name, model in models.items()}
    documents, read_errors = p | "ReadDocuments" >> ReadDocuments(config.input, config.read)
    paragraphs = documents | "SplitParagraphs" >> SplitParagraphs(config.split)
    segments = (
        paragraphs.paragraphs
        | "DetectLanguage" >> DetectLanguage(config.language)
        | "RouteSegments" >> RouteSegments(config.target_lang, routes)
        | "SegmentLongParagraphs" >> SegmentLongParagraphs(models)
        | "TranslateSegments" >> TranslateSegments(handlers, config.translate.batch_token_budget)
    )
    rebuilt = segments | "RebuildDocuments" >> RebuildDocuments()
    accounting = {
        "read": documents,
        "written": rebuilt.documents,
        "refused": paragraphs[ERRORS_TAG],
        "incomplete": rebuilt[INCOMPLETE_TAG],
    } | "CheckAccounting" >> CheckAccounting(config.target_lang)
    errors = (
        read_errors,
        paragraphs[ERRORS_TAG],
        rebuilt[ERRORS_TAG],
        rebuilt[INCOMPLETE_TAG],
        accounting,
    ) | "AllErrors" >> beam.Flatten()
    tables = {"segments": rebuilt[SEGMENTS_TAG], "documents": rebuilt.documents, "errors": errors}
    _ = tables | "WriteOutputs" >> WriteOutputs(config.output)
    return tables
