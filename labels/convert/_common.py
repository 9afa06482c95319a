"""Pieces shared by the converters: span offsets checked against the text, labels checked against the taxonomy."""
from __future__ import annotations

import contextlib
from typing import Iterator

from classify.errors import InputError
from labels.records import LabeledRecord, Span, parse_record
from labels.taxonomy import Taxonomy

THEMES_QUESTION = "themes"
CLAIMS_QUESTION = "claims"
TEXT_FIELD = "text"


def _utf16_to_codepoints(text: str, offset: int) -> int | None:
    """Code-point offset of a UTF-16 offset (JavaScript string index), None when it falls inside a character."""
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


def checked_span(text: str, start, end, label, quoted: str | None, path, where: str) -> Span:
    """A span whose offsets fall inside ``text`` and, when the tool quotes the text, match the quote.

    Browser tools count in UTF-16 units; when the quote matches only after
    converting from UTF-16 (an emoji before the span), the converted offsets are used.
    """
    if not (isinstance(start, int) and isinstance(end, int)):
        raise InputError(path, f"span needs integer start and end, got {start!r}, {end!r}", location=where)
    if quoted is not None and text[start:end] != quoted:
        start16, end16 = _utf16_to_codepoints(text, start), _utf16_to_codepoints(text, end)
        if start16 is not None and end16 is not None and text[start16:end16] == quoted:
            start, end = start16, end16
        else:
            raise InputError(path, f"span {start}-{end} reads {text[start:end]!r}, the tool quotes {quoted!r}",
                             location=where)
    if not (0 <= start < end <= len(text)):
        raise InputError(path, f"span {start}-{end} is out of range for a text of {len(text)} characters",
                         location=where)
    return Span(start, end, label)


def checked_span_list(value, text: str, path, where: str, *, list_name: str, item_where: str) -> list[Span]:
    """The spans of a tool's list of ``{start, end, label}`` objects, each checked by :func:`checked_span`;
    ``list_name`` names the list in errors, ``item_where`` is the location of item ``{i}`` (e.g. ``"{where} spans[{i}]"``)."""
    if not isinstance(value, list):
        raise InputError(path, f"{list_name} must be a list of {{start, end, label}}", location=where)
    spans = []
    for i, item in enumerate(value):
        location = item_where.format(where=where, i=i)
        if not isinstance(item, dict):
            raise InputError(path, f"a span must be an object {{start, end, label}}, not {item!r}", location=location)
        spans.append(checked_span(text, item.get("start"), item.get("end"), item.get("label"), None, path, location))
    return spans


def check_labels(record: LabeledRecord, taxonomy: Taxonomy, path, where: str) -> LabeledRecord:
    """Refuse a record that breaks the format's rules (e.g. crossing spans of one label, drawn in the tool)
    or whose labels or suggestions the taxonomy does not define."""
    problems = parse_record(record.to_dict(), path, 0)[1]
    if problems:
        raise InputError(path, problems[0], location=where)
    suggestions = record.suggestions or {}
    themes = list(record.themes or []) + list(suggestions.get("themes", []))
    claims = [s.label for s in record.claims or []] + [c["label"] for c in suggestions.get("claims", [])]
    try:
        taxonomy.check_known(themes=themes, claim_labels=claims, source=str(path))
    except InputError as error:
        raise InputError(path, error.message, location=where) from None
    return record


def suggestion_confidence(suggestions: dict) -> float | None:
    """How sure the model is on its least certain theme (1 = certain), for sorting tasks in a tool."""
    scores = suggestions.get("scores") or {}
    if not scores:
        return None
    return round(min(max(p, 1 - p) for p in scores.values()), 6)


@contextlib.contextmanager
def structure_errors(path, where: str) -> Iterator[None]:
    """Report an item of a tool's export whose shape is not the tool's (a number where a list belongs, a
    missing key, ...) as an InputError naming the item, not a traceback."""
    try:
        yield
    except InputError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise InputError(path, f"unexpected structure ({type(error).__name__}: {error})", location=where) from None
