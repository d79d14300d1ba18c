"""Documents from records (JSON objects, table rows): the fields `read` names."""

from __future__ import annotations

from collections.abc import Iterator

from core.records import SourceDocument
from readers.base import Output, Reader, oversize, read_error


class RecordReader(Reader):
    """A reader of files holding one document per record."""

    def document(
        self,
        obj: object,
        path: str,
        doc_id: str,
        seen_ids: set[str],
        flags: tuple[str, ...] = (),
    ) -> Iterator[Output]:
        """A record as a document, or the reason it is not one. `doc_id` is the record's
        position; the `id_field`, when the record has it, replaces it. `flags`: warnings
        from reading it (readers.decode)."""
        settings = self.settings
        if not isinstance(obj, dict):
            yield read_error(path, doc_id, "MalformedRecord", "record is not an object")
            return
        text = obj.get(settings.text_field)
        if not isinstance(text, str):
            message = f"field {settings.text_field!r} is missing or not a string"
            yield read_error(path, doc_id, "MissingText", message)
            return
        # Encoded once: for its size, and to know it holds no lone surrogates.
        try:
            size, text_is_unicode = len(text.encode("utf-8")), True
        except UnicodeEncodeError:
            size, text_is_unicode = len(text.encode("utf-8", "surrogatepass")), False
        if size > settings.max_document_bytes:
            yield oversize(path, doc_id, len(text), settings.max_document_bytes)
            return
        given_id = obj.get(settings.id_field) if settings.id_field else None
        if given_id is not None:
            given_id = str(given_id)
            if given_id in seen_ids:
                message = f"id {given_id!r} repeats an earlier record of this file"
                yield read_error(path, doc_id, "DuplicateId", message)
                return
            seen_ids.add(given_id)
            doc_id = given_id
        hint = obj.get(settings.lang_field) if settings.lang_field else None
        others = (value for value in (doc_id, hint) if isinstance(value, str))
        if not (text_is_unicode and all(_is_unicode(value) for value in others)):
            message = "text, id or language contains lone surrogates: not valid Unicode"
            printable_id = doc_id.encode("utf-8", "backslashreplace").decode()
            yield read_error(path, printable_id, "InvalidUnicode", message)
            return
        hint = hint if isinstance(hint, str) else None
        yield SourceDocument(doc_id, path, text, "utf-8", hint, flags)


def _is_unicode(text: str) -> bool:
    """False for strings with lone surrogates (JSON allows "\\ud800"; UTF-8 does not)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
