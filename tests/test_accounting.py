"""Accounting: the streaming balance catches a lost or doubled document (the audit that
names them runs on a real output in test_failures)."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from core.records import DocumentStatus, ErrorRecord, SourceDocument, TranslatedDocument
from tests.conftest import local_pipeline
from transforms.accounting import CheckAccounting, account

TARGETS = ["en", "de"]
READ = SourceDocument("d", "p", "Text.", "utf-8")
REFUSED = ErrorRecord("p", "d", "split", "EmptyDocument", "nothing to translate")


def written(target: str) -> TranslatedDocument:
    return TranslatedDocument(
        "d", "p", "utf-8", "de", target, "Text.", "Text.", 1, 1, 0, 0, 0,
        DocumentStatus.TRANSLATED, "", "",
    )  # fmt: skip


def incomplete(target: str) -> ErrorRecord:
    return ErrorRecord("p", "d", "rebuild", "IncompleteDocument", "", target_lang=target)


CASES = {
    "written for every target": ([READ], [written("en"), written("de")], [], [], False),
    "refused": ([READ], [], [REFUSED], [], False),
    "incomplete for one target": ([READ], [written("en")], [], [incomplete("de")], False),
    "lost for one target": ([READ], [written("en")], [], [], True),
    "written twice for one target, not for the other": (
        [READ],
        [written("en"), written("en")],
        [],
        [],
        True,
    ),  # fmt: skip
    "refused and written": ([READ], [written("en"), written("de")], [REFUSED], [], True),
    "written, never read": ([], [written("en"), written("de")], [], [], True),
    "incomplete for the wrong target": ([READ], [written("en")], [], [incomplete("en")], True),
}


@pytest.mark.parametrize("case", CASES)
def test_the_balance_holds_only_when_every_document_is_accounted_for(case):
    read, writes, refusals, incompletes, broken = CASES[case]
    with local_pipeline() as p:
        parts = {
            "read": p | "Read" >> beam.Create(read),
            "written": p | "Written" >> beam.Create(writes),
            "refused": p | "Refused" >> beam.Create(refusals),
            "incomplete": p | "Incomplete" >> beam.Create(incompletes),
        }
        errors = parts | CheckAccounting(TARGETS)
        expected = ["AccountingViolation"] if broken else []
        assert_that(errors | beam.Map(lambda e: e.error_type), equal_to(expected))


def test_account_names_why_a_document_breaks_the_invariant():
    ok = {"read": [None], "written": ["en", "de"], "refused": [], "incomplete": []}
    refused = {"read": [None], "written": [], "refused": [None], "incomplete": []}
    lost = {"read": [None], "written": ["en"], "refused": [], "incomplete": []}
    doubled = {"read": [None], "written": ["en", "en"], "refused": [], "incomplete": []}
    unread = {"read": [], "written": ["en", "de"], "refused": [], "incomplete": []}
    assert account(("p", "d"), ok, TARGETS) is None
    assert account(("p", "d"), refused, TARGETS) is None
    for broken in (lost, doubled, unread):
        assert account(("p", "d"), broken, TARGETS)
