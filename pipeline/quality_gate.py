"""The quality gate a scheduler can act on: a run whose share of low-confidence text (source
characters of translated segments flagged `low_confidence`, over all translated ones) is
over `max_low_confidence_fraction` exits with ExitCode.LOW_CONFIDENCE. The output is
committed all the same: the gate says "review before use", not "lost"."""

from __future__ import annotations

import logging
from typing import Any

from core.names import ExitCode, RunKey, SummaryKey
from reports.confidence import low_confidence_by_pair

LOG = logging.getLogger(__name__)
GATE_KEY = "max_low_confidence_fraction"


def low_confidence_exit_code(info: dict[str, Any]) -> ExitCode:
    """OK, or LOW_CONFIDENCE when the run's low-confidence share is over its config's limit."""
    limit = info.get(RunKey.CONFIG, {}).get(GATE_KEY)
    if limit is None:
        return ExitCode.OK
    share = low_confidence_by_pair(info[RunKey.OUTPUT]).get(SummaryKey.TOTAL, {})
    fraction = share.get(SummaryKey.LOW_CONFIDENCE_SHARE, 0.0)
    if fraction <= limit:
        return ExitCode.OK
    LOG.error(
        "low-confidence text is %.1f%% of the translated text, over %s = %.1f%%: review "
        "the segments flagged low_confidence before using the run",
        100 * fraction,
        GATE_KEY,
        100 * limit,
    )
    return ExitCode.LOW_CONFIDENCE
