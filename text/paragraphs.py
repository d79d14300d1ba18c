"""Paragraphs: a text cut at blank lines, separators kept for an exact rebuild.

A paragraph boundary is a run of whitespace holding at least two line breaks
(\\n, \\r\\n or \\r, mixed freely). The whole run is kept as the paragraph's
`separator`, so trailing spaces and indentation around blank lines survive, and
whitespace before the first paragraph is kept as the first paragraph's `prefix`.
"""

from __future__ import annotations

import re

_WHITESPACE_RUN = re.compile(r"\s+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_paragraphs(text: str) -> list[tuple[str, str, str]]:
    """(prefix, paragraph, separator) triples whose concatenation is `text` exactly."""
    cuts = []  # (start, end) of each separator run
    for run in _WHITESPACE_RUN.finditer(text):
        at_edge = run.start() == 0 or run.end() == len(text)
        if at_edge or len(_LINE_BREAK.findall(run.group())) >= 2:
            cuts.append((run.start(), run.end()))
    prefix = ""
    if cuts and cuts[0][0] == 0:
        prefix = text[: cuts[0][1]]
        cuts = cuts[1:]
    paragraphs = []
    start = len(prefix)
    for cut_start, cut_end in cuts:
        paragraphs.append((text[start:cut_start], text[cut_start:cut_end]))
        start = cut_end
    if start < len(text):
        paragraphs.append((text[start:], ""))
    return [(prefix if i == 0 else "", body, sep) for i, (body, sep) in enumerate(paragraphs)]
