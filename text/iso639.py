"""Language codes given by users: known ISO 639 codes pass; anything else is refused with
the code the user most likely meant ("english" → en, "deu" → de, "fre" → fr).

A language is named by its shortest code, as the language identifier and the models do:
ISO 639-1 (`de`) where there is one, else ISO 639-3 (`yue`, `fil`). A region or script may
follow (`pt-BR`, `zh-Hant`). The code tables are pycountry's (the ISO 639-3 registry).
"""

from __future__ import annotations

import difflib
import re
from functools import cache

_TAG = re.compile(r"^([a-z]{2,3})(?:-([A-Z][a-z]{3}|[A-Z]{2}|\d{3}))?$")


@cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(shortest code → English name, any other ISO 639 code → shortest code, lowercased
    name → shortest code)."""
    import pycountry

    names, aliases, by_name = {}, {}, {}
    for language in pycountry.languages:
        alpha_3 = language.alpha_3
        code = getattr(language, "alpha_2", alpha_3)
        names[code] = language.name
        for other in (alpha_3, getattr(language, "bibliographic", None)):
            if other and other != code:
                aliases[other] = code
        for name in (language.name, getattr(language, "common_name", None)):
            if name:
                by_name.setdefault(name.lower(), code)
    return names, aliases, by_name


def _suggestion(code: str) -> str | None:
    """The known code closest to what the user wrote, or None."""
    names, aliases, by_name = _tables()
    lowered = code.strip().lower()
    primary = re.split(r"[-_]", lowered)[0]
    for candidate in (lowered, primary):
        if candidate in names:
            return candidate
        if candidate in aliases:
            return aliases[candidate]
        if candidate in by_name:
            return by_name[candidate]
    close = difflib.get_close_matches(lowered, list(by_name), n=1, cutoff=0.75)
    return by_name[close[0]] if close else None


def language_code_problem(code: object) -> str | None:
    """Why `code` is not a language code the pipeline accepts, with a suggestion; None
    when it is one."""
    if not isinstance(code, str):
        return f"{code!r} is not a language code (a string such as 'en')"
    match = _TAG.match(code)
    names, _, _ = _tables()
    if match and match.group(1) in names:
        return None
    suggestion = _suggestion(code)
    hint = f"; did you mean {suggestion!r} ({names[suggestion]})?" if suggestion else ""
    return (
        f"{code!r} is not an ISO 639 language code (ISO 639-1 where the language has one, "
        f"e.g. 'en', 'de', 'zh'){hint}"
    )
