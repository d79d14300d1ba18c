"""Glossaries: terms kept as they are or given a fixed translation, per language pair.

The file is tab-separated, one term per line, `#` starts a comment line:

    source_lang <TAB> target_lang <TAB> term [<TAB> translation]

`*` stands for any language; an empty or missing translation keeps the term as it is
(a do-not-translate entry). For one term, the most specific line wins: `de en`, then
`de *`, then `* en`, then `* *`. Terms match case-sensitively as whole words (not inside a
longer word), longest term first.

Terms are enforced with placeholders (text.placeholders, by the protect stage): the model
never sees the term, and the translation is put in its place. CTranslate2 has no positive
lexical constraints: `target_prefix` fixes only the start of the output and
`suppress_sequences` can only forbid sequences, so neither can put a term in the middle of
a sentence. The cost: the model does not see the term, so inflection around it (case
endings, articles) may not agree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from apache_beam.io.filesystems import FileSystems

ANY = "*"


class GlossaryError(ValueError):
    """The glossary file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class GlossaryEntry:
    source_lang: str
    target_lang: str
    term: str
    translation: str


def parse_glossary(text: str, where: str) -> list[GlossaryEntry]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) not in (3, 4) or not all(c.strip() for c in columns[:3]):
            raise GlossaryError(
                f"{where}:{number}: expected source_lang, target_lang, term and an optional "
                f"translation, separated by tabs; got {line!r}"
            )
        source, target, term = (c.strip() for c in columns[:3])
        translation = columns[3].strip() if len(columns) == 4 else ""
        entries.append(GlossaryEntry(source, target, term, translation or term))
    return entries


def load_glossary(path: str) -> Glossary:
    """Reads a glossary through Beam FileSystems (local, gs://, s3://, ...)."""
    try:
        with FileSystems.open(path) as handle:
            text = handle.read().decode("utf-8")
    except Exception as exc:  # noqa: BLE001 - FileSystems raises its own types (BeamIOError)
        raise GlossaryError(f"cannot read glossary {path}: {exc}") from exc
    return Glossary(parse_glossary(text, path), hashlib.sha256(text.encode()).hexdigest())


class Glossary:
    def __init__(self, entries: list[GlossaryEntry], sha256: str = "") -> None:
        self.entries = entries
        self.sha256 = sha256  # of the file, for the run's settings fingerprint
        self._patterns: dict[tuple[str, str], tuple[re.Pattern[str], dict[str, str]] | None] = {}

    def terms(self, source: str, target: str) -> dict[str, str]:
        """term → the text it must become, for one language pair."""
        rank = {(source, target): 0, (source, ANY): 1, (ANY, target): 2, (ANY, ANY): 3}
        chosen: dict[str, tuple[int, str]] = {}
        for entry in self.entries:
            level = rank.get((entry.source_lang, entry.target_lang))
            if level is not None and level < chosen.get(entry.term, (4, ""))[0]:
                chosen[entry.term] = (level, entry.translation)
        return {term: translation for term, (_, translation) in chosen.items()}

    def matches(self, text: str, source: str, target: str) -> list[tuple[int, int, str]]:
        """(start, end, text to restore) of every term occurrence in `text`, in order."""
        if (source, target) not in self._patterns:
            terms = self.terms(source, target)
            ordered = sorted(terms, key=lambda term: (-len(term), term))
            pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ordered)) + r")(?!\w)")
            self._patterns[source, target] = (pattern, terms) if terms else None
        found = self._patterns[source, target]
        if found is None:
            return []
        pattern, terms = found
        return [(m.start(), m.end(), terms[m.group()]) for m in pattern.finditer(text)]
