"""Text helpers the stages use: paragraphs, sentences, spans and placeholders, glossaries,
language codes and identification."""

from text.glossary import Glossary, GlossaryError, load_glossary
from text.langid import identifier, letter_count, load_identifier
from text.paragraphs import split_paragraphs
from text.sentences import split_to_limit

__all__ = [
    "Glossary",
    "GlossaryError",
    "identifier",
    "letter_count",
    "load_glossary",
    "load_identifier",
    "split_paragraphs",
    "split_to_limit",
]
