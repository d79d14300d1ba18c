"""The order of the stages: the one place that wires them together."""

from __future__ import annotations

import apache_beam as beam

from backends import backend_for
from core.names import Table, Tag
from pipeline.config import PipelineConfig, settings_fingerprint
from text.glossary import load_glossary
from transforms.accounting import CheckAccounting
from transforms.commit_units import (
    CommitUnits,
    MatchUnits,
    ReadUnits,
    UnitPlan,
    owned_by_a_unit,
)
from transforms.detect_language import DetectLanguage
from transforms.guard import GuardTranslations
from transforms.protect import ApplyGlossary, ProtectSpans, RestoreSpans
from transforms.read import ReadDocuments
from transforms.rebuild import OUTPUT_TAGS, RebuildDocuments
from transforms.report_progress import ReportProgress
from transforms.reuse import ReusePreviousRun
from transforms.route import RouteSegments, RouteTable
from transforms.segment import SegmentIntoUnits
from transforms.split import SplitParagraphs
from transforms.translate import TranslateSegments
from transforms.write import WriteOutputs


def build_pipeline(
    p: beam.Pipeline,
    config: PipelineConfig,
    previous_run: str | None = None,
    progress_dir: str | None = None,
    units: UnitPlan | None = None,
) -> dict[Table, beam.PCollection]:
    """Adds the translation graph to `p`; returns the PCollections it writes, by table.

    With `previous_run` (an earlier output directory), documents it already translated
    with the same settings are taken from it instead of being translated again. With
    `progress_dir`, workers also report their progress there (`pipeline.progress`). With
    `units`, rows are committed unit by unit as the run goes (`transforms.commit`) and
    only the rows of no unit (patterns that match nothing, accounting) are written at
    the end."""
    models = config.model_table()
    glossary = load_glossary(config.protect.glossary) if config.protect.glossary else None
    fingerprint = settings_fingerprint(config, glossary)
    routes = RouteTable(config.route_table(), models)
    backends = {name: backend_for(model) for name, model in models.items()}
    smallest_input = min(model.max_input_tokens for model in models.values())
    by_unit = None
    if units:
        reader = ReadUnits(config.read, config.output, len(config.target_lang), units)
        by_unit = MatchUnits(units.settings), reader
    documents, read_errors = p | "ReadDocuments" >> ReadDocuments(
        config.input, config.read, by_unit
    )
    to_translate, reused = documents, None
    if previous_run:
        to_translate, reused = documents | "ReusePreviousRun" >> ReusePreviousRun(
            previous_run, fingerprint, config.target_lang
        )
    paragraphs = to_translate | "SplitParagraphs" >> SplitParagraphs(config.split)
    segments = (
        paragraphs[Tag.PARAGRAPHS]
        | "ProtectSpans" >> ProtectSpans(config.protect, smallest_input)
        | "DetectLanguage" >> DetectLanguage(config.language)
        | "RouteSegments" >> RouteSegments(config.target_lang, routes)
        | "ApplyGlossary" >> ApplyGlossary(glossary, models)
        | "SegmentIntoUnits" >> SegmentIntoUnits(backends, config.segment)
        | "TranslateSegments" >> TranslateSegments(backends, config.translate)
        | "GuardTranslations" >> GuardTranslations(config.guard, config.language, backends)
        | "RestoreSpans" >> RestoreSpans()
    )
    if progress_dir:
        progress = {Tag.DOCUMENTS: documents, Tag.READ_ERRORS: read_errors, Tag.SEGMENTS: segments}
        _ = progress | "ReportProgress" >> ReportProgress(progress_dir)
    # Each branch is rebuilt where its segments are produced (fused, so without a shuffle).
    parts = [segments | "RebuildDocuments" >> RebuildDocuments(fingerprint)]
    if reused is not None:
        parts.append(reused | "RebuildReused" >> RebuildDocuments(fingerprint))
    rebuilt = {
        tag: tuple(part[tag] for part in parts) | f"Rebuilt{tag.title()}" >> beam.Flatten()
        for tag in OUTPUT_TAGS
    }
    accounting = {
        "read": documents,
        "written": rebuilt[Tag.DOCUMENTS],
        "refused": paragraphs[Tag.ERRORS],
        "incomplete": rebuilt[Tag.INCOMPLETE],
    } | "CheckAccounting" >> CheckAccounting(config.target_lang)
    if units:
        tables = commit_units(p, paragraphs[Tag.ERRORS], parts[0], read_errors, accounting)
    else:
        errors = (
            read_errors,
            paragraphs[Tag.ERRORS],
            rebuilt[Tag.ERRORS],
            rebuilt[Tag.INCOMPLETE],
            accounting,
        ) | "AllErrors" >> beam.Flatten()
        tables = {
            Table.SEGMENTS: rebuilt[Tag.SEGMENTS],
            Table.DOCUMENTS: rebuilt[Tag.DOCUMENTS],
            Table.ERRORS: errors,
        }
    _ = tables | "WriteOutputs" >> WriteOutputs(config.output)
    return tables


def commit_units(
    p: beam.Pipeline,
    refused: beam.PCollection,
    rebuilt: beam.pvalue.DoOutputsTuple,
    read_errors: beam.PCollection,
    accounting: beam.PCollection,
) -> dict[Table, beam.PCollection]:
    """Commits the rows of each unit from the stages that make them (no shuffle between
    them and the read); returns the rows of no unit (errors only), written at the end.
    Segments and documents all belong to units: no sink is built for them (its stages
    cost start-up and end time), and the launcher leaves each table an empty shard
    if no unit wrote one (`pipeline.output.write_empty_tables`)."""
    parts = {tag: rebuilt[tag] for tag in (Tag.DOCUMENTS, Tag.SEGMENTS, Tag.ERRORS, Tag.INCOMPLETE)}
    _ = {Tag.REFUSED: refused, **parts} | "CommitUnits" >> CommitUnits()
    unowned = read_errors | "PatternErrors" >> beam.Filter(lambda e: not owned_by_a_unit(e))
    return {Table.ERRORS: (unowned, accounting) | "OtherErrors" >> beam.Flatten()}
