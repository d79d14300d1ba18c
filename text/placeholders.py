"""Placeholders: `{N}` in the text the model sees, the protected span put back after it.

Why `{N}`: it must reach the output of real SentencePiece models unchanged and of the test
models too. Braces and ASCII digits are in every vocabulary (no `<unk>`, unlike `⟦0⟧` in
OPUS-MT's byte-less SentencePiece models), and OPUS-MT was trained on OPUS, whose software
localization corpora (GNOME, KDE, Ubuntu, Mozilla) are full of `{0}`/`{1}` placeholders
that the translation copies: the models learned to copy them. It has no cased letters, so a
model that changes case (the swapcase test model, or a real one starting a sentence) cannot
alter it. Restoring accepts the forms a model may give back (`{ 3 }`, other digit scripts),
and source text that already looks like a placeholder is itself protected, so a `{N}` in the
model input is always ours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MISSING_FLAG = "placeholder_missing"
DUPLICATED_FLAG = "placeholder_duplicated"
UNEXPECTED_FLAG = "placeholder_unexpected"

EXACT_PLACEHOLDER = re.compile(r"\{([0-9]+)\}")
LOOSE_PLACEHOLDER = re.compile(r"\{\s*(\d+)\s*\}")
_NON_SPACE_RUN = re.compile(r"\S+")
_WORD_BOUNDARY = re.compile(r"\b")
_SPACE_RUN = re.compile(r"\s+")

Spans = Sequence[tuple[str, str]]


def mask(
    text: str, ranges: Sequence[tuple[int, int, str]], first_id: int
) -> tuple[str, list[tuple[str, str]]]:
    """`text` with each sorted, disjoint (start, end, restore_as) range replaced by `{id}`
    (ids from `first_id`), and the (source, restore_as) pair of each new id."""
    parts, spans, cursor = [], [], 0
    for start, end, restore_as in ranges:
        parts += [text[cursor:start], f"{{{first_id + len(spans)}}}"]
        spans.append((text[start:end], restore_as))
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts), spans


def unmask(masked: str, spans: Spans) -> str:
    """The source text back: every placeholder replaced by the span it stands for."""
    return EXACT_PLACEHOLDER.sub(lambda m: spans[int(m.group(1))][0], masked)


def without_placeholders(text: str) -> str:
    return LOOSE_PLACEHOLDER.sub("", text)


def may_split_placeholder(masked: str, max_input_tokens: int) -> bool:
    """Whether the segmenter could cut a placeholder in two: it cuts inside a whitespace-free
    run only when the run alone exceeds the model's input limit (a token is at least one
    UTF-8 byte; 3 more for language tokens and a leading piece)."""
    return any(
        len(run.group().encode()) + 3 > max_input_tokens and EXACT_PLACEHOLDER.search(run.group())
        for run in _NON_SPACE_RUN.finditer(masked)
    )


def restore(masked_source: str, output: str, spans: Spans) -> tuple[str, tuple[str, ...]]:
    """The model output with its placeholders replaced by their text, and what went wrong.

    A placeholder the source piece does not hold, or a second copy of one, is removed
    (`placeholder_unexpected`, `placeholder_duplicated`); one the model dropped is put back
    (`placeholder_missing`) next to the source neighbour it touched, at the start or end if
    it had no text before or after it, else at the word boundary nearest its position
    relative to the neighbours the output holds.
    """
    source = [
        (int(m.group(1)), m.start(), m.end()) for m in EXACT_PLACEHOLDER.finditer(masked_source)
    ]
    expected = {ident for ident, _, _ in source}
    found = [(int(m.group(1)), m.start(), m.end()) for m in LOOSE_PLACEHOLDER.finditer(output)]
    flags: list[str] = []
    edits: list[tuple[int, int, int, str]] = []  # (start, end, source order, replacement)
    placed: dict[int, tuple[int, int]] = {}
    for ident, start, end in found:
        if ident in placed or ident not in expected:
            flags.append(DUPLICATED_FLAG if ident in placed else UNEXPECTED_FLAG)
            edits.append((start, end, -1, ""))
            continue
        placed[ident] = (start, end)
        edits.append((start, end, -1, spans[ident][1]))
    for order, (ident, _, _) in enumerate(source):
        if ident not in placed:
            flags.append(MISSING_FLAG)
            at, space_before, space_after = _insertion(
                order, source, masked_source, output, placed, found
            )
            edits.append((at, at, order, space_before + spans[ident][1] + space_after))
            placed[ident] = (at, at)
    parts, cursor = [], 0
    for start, end, _, text in sorted(edits):
        parts += [output[cursor:start], text]
        cursor = end
    parts.append(output[cursor:])
    return "".join(parts), tuple(dict.fromkeys(flags))


def _insertion(
    order: int,
    source: list[tuple[int, int, int]],
    masked_source: str,
    output: str,
    placed: dict[int, tuple[int, int]],
    found: list[tuple[int, int, int]],
) -> tuple[int, str, str]:
    """Where a dropped placeholder goes in `output`, and the whitespace to put before and
    after its span there: the whitespace it had in the source."""
    _, start, end = source[order]
    before = masked_source[:start]
    after = masked_source[end:]
    space_before = before[len(before.rstrip()) :]
    space_after = after[: len(after) - len(after.lstrip())]
    if order > 0:
        previous, _, previous_end = source[order - 1]
        between = masked_source[previous_end:start]
        if not between.strip() and previous in placed:
            return placed[previous][1], between, ""
    if order + 1 < len(source):
        following, following_start, _ = source[order + 1]
        between = masked_source[end:following_start]
        if not between.strip() and following in placed:
            return placed[following][0], "", between
    if not without_placeholders(before).strip():
        return _spaced(output, 0, space_before, space_after)
    if not without_placeholders(after).strip():
        return _spaced(output, len(output), space_before, space_after)
    # Interpolate between the nearest neighbours the output holds (or the text's ends).
    low = max(((e, placed[i][1]) for i, _, e in source[:order] if i in placed), default=(0, 0))
    high = min(
        ((s, placed[i][0]) for i, s, _ in source[order + 1 :] if i in placed),
        default=(len(masked_source), len(output)),
    )
    share = (start - low[0]) / max(1, high[0] - low[0])
    target = low[1] + share * (high[1] - low[1])
    at = min(
        _candidates(output, found, space_before, space_after), key=lambda i: (abs(i - target), i)
    )
    return _spaced(output, at, space_before, space_after)


def _candidates(
    output: str, found: list[tuple[int, int, int]], space_before: str, space_after: str
) -> set[int]:
    """Positions a dropped span may go: word starts if it led into the next word in the
    source, word ends if it trailed the previous one, any word boundary if it sat inside
    text; never inside another placeholder."""
    starts = {m.end() for m in _SPACE_RUN.finditer(output)} | {0}
    ends = {m.start() for m in _SPACE_RUN.finditer(output)} | {len(output)}
    if space_after and not space_before:
        chosen = ends | {0}
    elif not space_before:
        chosen = starts | ends | {m.start() for m in _WORD_BOUNDARY.finditer(output)}
    else:
        chosen = starts | {len(output)}
    inside = {i for _, s, e in found for i in range(s + 1, e)}
    return chosen - inside


def _spaced(output: str, at: int, space_before: str, space_after: str) -> tuple[int, str, str]:
    """The source's whitespace around the span, where the output has none at `at`."""
    before = space_before if at > 0 and not output[at - 1].isspace() else ""
    after = space_after if at < len(output) and not output[at].isspace() else ""
    return at, before, after
