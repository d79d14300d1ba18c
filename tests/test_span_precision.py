"""Protect what the model must not change, and nothing else: identifiers are protected;
words in angle brackets, synopsis bars and non-addresses are text the model translates."""

from __future__ import annotations

import pytest

from text.spans import SPAN_KINDS, find_spans


def spans(text: str) -> list[str]:
    return [text[start:end] for start, end in find_spans(text, SPAN_KINDS)]


@pytest.mark.parametrize(
    ("text", "protected"),
    [
        ("Ihre Bestellung 2024-XK-991 ist unterwegs.", ["2024-XK-991"]),
        ("Artikel AB-12345-X, Ticket JIRA-4711.", ["AB-12345-X", "JIRA-4711"]),
        ("Der Commit a3f9c2e1b7d0 behebt es in v2.3.1.", ["a3f9c2e1b7d0", "v2.3.1"]),
        ("Schreiben Sie an jane.doe@example.com.", ["jane.doe@example.com"]),
        (
            "<b>fett</b> und <span class='x'>y</span><br/>",
            ["<b>", "</b>", "<span class='x'>", "</span><br/>"],
        ),
    ],
)
def test_identifiers_addresses_and_real_tags_are_protected(text, protected):
    assert spans(text) == protected


@pytest.mark.parametrize(
    "text",
    [
        "mkswap <Pfad> legt auf <paquet> einen Auslagerungsbereich an.",
        "{DefBool|DefCur|DefDate} {char|char-char}[,...] Parameter: char",
        "Die Einheit systemd-mkswap@Gerät.service formatiert es.",
        "Ein 90-Grad-Winkel, well-known und snake_case.",
        "Dr. Hanna Weber, Leiterin Kundenservice",
        "xz -d F[.Z][OPTS] entpackt die Datei.",
    ],
)
def test_words_the_model_must_translate_are_not_protected(text):
    assert spans(text) == []


def test_a_reference_link_keeps_its_brackets_and_label():
    assert spans("Siehe [die Doku][doc] hier.") == ["[", "][doc]"]


def test_bars_are_table_markup_only_in_a_table():
    table = "| Name | Wert |\n|---|---|\n| a | b |"
    assert "| " in spans(table)
