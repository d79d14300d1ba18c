"""Finding the parts of a text that a translation model must pass through untouched.

Each kind is a set of regular expressions over one paragraph; fenced code blocks are found
over the whole document, since a fence may enclose blank lines (and so several paragraphs).
Overlapping matches keep the one that starts first (the longest of those), so a URL inside
inline code or a link target is one span, and touching spans merge into one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from text.placeholders import LOOSE_PLACEHOLDER

CODE, URL, EMAIL, NUMBER, MARKUP = "code", "url", "email", "number", "markup"
IDENTIFIER = "identifier"
PLACEHOLDER = "placeholder"  # source text that looks like `{N}`: protected always, not a kind
SPAN_KINDS = (CODE, URL, EMAIL, NUMBER, MARKUP, IDENTIFIER)

_URL_TRAILING = ".,;:!?*_~'\""
_UNITS = (
    r"%|‰|°[CF]?|km/h|m/s|mph|[kMGT]?Hz|[kMGTP]i?B|[kMG]?bit/s|[kMG]?bps|[kMG]?Wh?|mAh|kcal"
    r"|[kmµn]?g|[mµn]?s|min|h|[kcmµn]?m[²³]?|[mcd]?l|L|px|pt|r?em|dpi|ft|yd|mi|lbs?|oz|gal"
    r"|€|\$|£|¥|EUR|USD|GBP|CHF|JPY"
)
_NUMBER = r"[-+−]?\d+(?:[.,\u00a0\u202f]\d{3})*(?:[.,]\d+)?"
_CURRENCY = r"[€$£¥]|EUR|USD|GBP|CHF"
# HTML elements: a word in angle brackets is a tag only if HTML has it, or if it carries
# attributes (`<Pfad>`, `<paquet>` in man pages are words the model must translate).
_HTML_ELEMENTS = (
    "a|abbr|address|article|aside|audio|b|bdi|bdo|blockquote|body|br|button|caption|cite|code"
    "|col|colgroup|dd|del|details|dfn|div|dl|dt|em|figcaption|figure|font|footer|form|h[1-6]"
    "|head|header|hr|html|i|iframe|img|input|ins|kbd|label|li|link|main|mark|meta|nav|ol|option"
    "|p|pre|q|s|samp|script|section|select|small|source|span|strike|strong|style|sub|summary"
    "|sup|table|tbody|td|textarea|tfoot|th|thead|time|title|tr|tt|u|ul|var|video|wbr"
)
# Identifiers: letters and digits in groups joined by - or _ (order numbers 2024-XK-991,
# SKUs, ticket ids), with at least one digit; hex hashes of 7+ digits; versions (v2.3.1).
# A group is capitals or holds a digit: `90-Grad`, `well-known` are words, not ids.
_ID_GROUP = r"(?:[A-Z]+|[A-Za-z]*\d[A-Za-z0-9]*)"
_IDENTIFIER = (
    rf"(?<![\w-])(?=[\w-]*\d){_ID_GROUP}(?:[-_]{_ID_GROUP})+(?![\w-])"
    r"|(?<!\w)(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,64}(?!\w)"
    r"|(?<![\w.])v\d+(?:\.\d+)+(?!\w|\.\d)"
)

_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    # Not a quote in the manner of man pages and TeX (`word', ``words''), nor a lone backtick
    # named in prose ("$, `, and \\"): either would pair with the next backtick and take the
    # prose between them.
    CODE: [
        re.compile(
            r"(?<!`)(`+)(?!`)(?!(?<!``)[\s,;])(?![^`']*[^\s`']'(?![\w`])).+?(?<!`)\1(?!`)", re.S
        )
    ],
    URL: [
        re.compile(r"<(?:https?|ftp|mailto):[^<>\s]+>", re.I),
        re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"'`]+", re.I),
    ],
    # A domain is ASCII with a top-level name of letters (`mkswap@Gerät.service` is no address).
    EMAIL: [
        re.compile(
            r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-]|\.\w)"
        )
    ],
    NUMBER: [
        re.compile(
            # A unit is not the letter of an elision (`2 s'il`, `2.4 l'ignore`).
            rf"(?<![\w.,]){_NUMBER}[ \u00a0\u202f]?(?:{_UNITS})(?![\w/]|['’]\w)"
            rf"|(?<!\w)(?:{_CURRENCY})[ \u00a0\u202f]?{_NUMBER}(?![\w])"
        )
    ],
    IDENTIFIER: [re.compile(_IDENTIFIER)],
    MARKUP: [
        # Line structure: the line break with the next line's indentation and markers
        # (heading, quote, list item, task box), a rule line, a link definition.
        re.compile(r"(?:^|\r\n|\r|\n)[ \t]*(?:[-=*_][ \t]*){3,}(?=\r\n|\r|\n|$)"),
        re.compile(r"(?:^|\r\n|\r|\n)[ \t]*\[[^\]\r\n]+\]:[ \t]*\S+(?:[ \t]+\"[^\"\r\n]*\")?"),
        re.compile(
            r"(?:^|\r\n|\r|\n)[ \t]*(?:(?:#{1,6}|[-*+]|\d{1,9}[.)])[ \t]+|>[ \t]?)*"
            r"(?:\[[ xX]\][ \t]+)?"
        ),
        # Links and images: the brackets and the target; the link text is translated.
        re.compile(r"!?\[(?=[^\]\r\n]*\]\()"),
        re.compile(r"\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"\r\n]*\")?\)"),
        # Emphasis that opens before or closes after a non-space (not inside words: snake_case).
        re.compile(r"(?<![\w*_~\\])(?:\*{1,3}|_{1,3}|~~)(?=[^\s*_~])"),
        re.compile(r"(?<=[^\s*_~\\])(?:\*{1,3}|_{1,3}|~~)(?![\w*_~])"),
        # HTML: comments, tags, entities.
        re.compile(
            rf"<!--.*?-->|</(?:{_HTML_ELEMENTS})\s*>|<(?:br|hr|wbr)\s*/?>"
            rf"|(?<![\w=])<(?:{_HTML_ELEMENTS})\s*/?>|<(?P<tag>{_HTML_ELEMENTS})\s*>(?=.*?</(?P=tag)\s*>)"
            r"|</?[A-Za-z][\w:.-]*\s+[\w:.-]+=[^<>]*/?>"
            r"|&(?:#\d+|#x[\da-fA-F]+|[A-Za-z]\w*);",
            re.S | re.I,
        ),
    ],
}
# Table cell bars are markup only in a paragraph that is a Markdown table (a delimiter row
# or a line that starts with a bar): `{A|B}` in a synopsis is text.
_TABLE_BAR = re.compile(r"[ \t]*\|[ \t]*")
_MARKDOWN_TABLE = re.compile(r"^[ \t]*\||^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*\|", re.M)
# Reference links `[text][label]`: the opening bracket and `][label]` (the text is translated);
# not after a word or a bracket (`F[.Z][OPTS]` in an option synopsis is text).
_REFERENCE_LINK = re.compile(r"(?<![\w\[\]])(\[)[^\[\]\r\n]*(\]\[[^\[\]\r\n]*\])(?![\w\[])")
_FENCE_OPEN = re.compile(r"[ ]{0,3}(`{3,}|~{3,})")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


def clipped(ranges: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The parts of `ranges` (a document's fenced code) inside one paragraph [start, end),
    as offsets in the paragraph."""
    inside = [(s, e) for s, e in ranges if s < end and e > start]
    return [(max(s, start) - start, min(e, end) - start) for s, e in inside]


def fenced_code_ranges(text: str) -> list[tuple[int, int]]:
    """(start, end) of each fenced code block (fence lines included; CommonMark rules:
    the closing fence repeats the opening character at least as often; an unclosed block
    runs to the end of the text)."""
    ranges: list[tuple[int, int]] = []
    start, fence = -1, ""
    for line in _LINE.finditer(text):
        if line.start() == len(text):
            break
        body = line.group().rstrip("\r\n")
        if start < 0:
            opening = _FENCE_OPEN.match(body)
            # A backtick fence's info string cannot hold a backtick (that is inline code).
            if opening and not (opening.group(1)[0] == "`" and "`" in body[opening.end() :]):
                start, fence = line.start(), opening.group(1)
        elif re.fullmatch(rf"[ ]{{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", body):
            ranges.append((start, line.start() + len(body)))
            start = -1
    if start >= 0:
        ranges.append((start, len(text)))
    return ranges


def _trim_url(text: str, start: int, end: int) -> int:
    """The URL's end without trailing punctuation or a closing bracket it did not open."""
    while end > start:
        last = text[end - 1]
        closing = {")": "(", "]": "[", "}": "{"}.get(last)
        if last in _URL_TRAILING or (
            closing and text.count(closing, start, end) < text.count(last, start, end)
        ):
            end -= 1
            continue
        break
    return end


def find_spans(
    text: str, kinds: Sequence[str], fixed: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int]]:
    """Sorted, disjoint (start, end) spans of `kinds` in `text`, plus `fixed` ranges (code
    fences found over the document) and text that looks like a placeholder (always: it
    must not be mistaken for one). Touching spans become one (one placeholder)."""
    merged: list[tuple[int, int]] = []
    for start, end, _ in labelled_spans(text, kinds, fixed):
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def labelled_spans(
    text: str, kinds: Sequence[str], fixed: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int, str]]:
    """The matches `find_spans` keeps, before touching ones merge, with the kind of each
    (`code` for `fixed`, `placeholder` for text that looks like one)."""
    candidates = [(start, end, CODE) for start, end in fixed]
    candidates += [(m.start(), m.end(), PLACEHOLDER) for m in LOOSE_PLACEHOLDER.finditer(text)]
    patterns = {kind: list(_PATTERNS[kind]) for kind in kinds}
    if MARKUP in patterns and _MARKDOWN_TABLE.search(text):
        patterns[MARKUP].append(_TABLE_BAR)
    if MARKUP in patterns:
        for link in _REFERENCE_LINK.finditer(text):
            candidates += [(*link.span(1), MARKUP), (*link.span(2), MARKUP)]
    for kind in kinds:
        for pattern in patterns[kind]:
            for match in pattern.finditer(text):
                end = _trim_url(text, *match.span()) if kind == URL else match.end()
                if end > match.start():
                    candidates.append((match.start(), end, kind))
    chosen: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(candidates, key=lambda span: (span[0], -span[1])):
        if not chosen or start >= chosen[-1][1]:
            chosen.append((start, end, kind))
    return chosen
