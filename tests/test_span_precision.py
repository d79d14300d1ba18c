"""Protect what the model must not change, and nothing else: identifiers are protected;
words in angle brackets, synopsis bars and non-addresses are text the model translates.

The man-page lines are from Debian's manpages-de/-es/-fr/-pl 4.18.1 as `man -l` renders them
(bench/protection.py measures the rules on a sample of those packages)."""

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
        # man-page quotes: each backtick would pair with the next quote's and take the words
        "una shell interactiva devuelve `fallo' si ocurre un error, o `verdad' si no.",
        "El valor predeterminado es `!'. Cada patrón se comprueba\ttras la línea `^'.",
        "Por ejemplo: ``popd +0'' elimina el primer directorio, ``popd +1'' el segundo.",
        # a backtick named in prose is no opener
        "con las excepciones de $, `, y \\, si está activa la expansión del historial, !.",
        # a word in angle brackets glued to a name is a placeholder word, whatever HTML has
        "LABEL=<label> o UUID=<uuid>, caracteres (\\x<code>), CRYPTTAB_OPTION<Option>",
        # synopses: brackets that hold brackets or run into a word are no reference link
        "chown [OPCJA]... [WŁAŚCICIEL][:[GRUPA]] PLIK...",
        "set statuscolor [bold,][italic,]Vordergrundfarbe,Hintergrundfarbe",
        "%[p][l]U  Liczba sekund, -b [[Kennung][±Versatz]|all]",
        # a unit letter that starts an elision
        "1 si getopt(3) signale des erreurs, 2 s'il ne comprend pas ; Linux 2.4 l'ignore.",
    ],
)
def test_words_the_model_must_translate_are_not_protected(text):
    assert spans(text) == []


def test_a_reference_link_keeps_its_brackets_and_label():
    assert spans("Siehe [die Doku][doc] hier.") == ["[", "][doc]"]


def test_bars_are_table_markup_only_in_a_table():
    table = "| Name | Wert |\n|---|---|\n| a | b |"
    assert "| " in spans(table)


@pytest.mark.parametrize(
    ("text", "protected"),
    [
        ("Utilisez `echo 'hi' there`, `don't` et `a'`.", ["`echo 'hi' there`", "`don't`", "`a'`"]),
        ('rm -f `find . -name "*~"` et `hostname`', ['`find . -name "*~"`', "`hostname`"]),
        ("H<sub>2</sub>O, Zeile<br>, <b>fett</b>", ["<sub>", "</sub>", "<br>", "<b>", "</b>"]),
        ("Le délai 2 s, 30 min et '0.5s' ; 64 kB.", ["2 s", "30 min", "0.5s", "64 kB"]),
    ],
)
def test_code_tags_and_units_beside_those_rules_stay_protected(text, protected):
    assert spans(text) == protected
