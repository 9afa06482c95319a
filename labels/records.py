"""Labeled records: read the project's JSONL format (labels/FORMAT.md) and the CheckThat! TSV.

``themes``/``claims`` are None when a record carries no labels of that kind
(e.g. held-out rows), and a list (possibly empty) when it was labeled.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from classify.errors import InputError

RECORD_KEYS = {"id", "text", "lang", "meta", "themes", "claims", "annotator", "status", "split"}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str = "checkworthy"


@dataclass
class LabeledRecord:
    id: str
    text: str
    themes: list[str] | None = None
    claims: list[Span] | None = None
    lang: str | None = None
    meta: dict = field(default_factory=dict)
    annotator: str | None = None
    status: str | None = None
    split: str | None = None
    source: str = ""

    def to_dict(self) -> dict:
        record = {"id": self.id, "text": self.text}
        if self.lang is not None:
            record["lang"] = self.lang
        if self.meta:
            record["meta"] = self.meta
        if self.themes is not None:
            record["themes"] = list(self.themes)
        if self.claims is not None:
            record["claims"] = [{"start": s.start, "end": s.end, "label": s.label} for s in self.claims]
        for key in ("annotator", "status", "split"):
            if getattr(self, key) is not None:
                record[key] = getattr(self, key)
        return record


def record_from_dict(data: dict, path, line: int) -> LabeledRecord:
    """Build a record from one parsed JSON object; unknown top-level keys go to ``meta``."""
    where = f"line {line}"
    if not isinstance(data, dict):
        raise InputError(path, "a record must be a JSON object", location=where)
    if not isinstance(data.get("text"), str):
        raise InputError(path, "missing 'text'", location=where)
    if data.get("id") is None:
        raise InputError(path, "missing 'id'", location=where)
    themes = data.get("themes")
    if themes is not None and not (isinstance(themes, list) and all(isinstance(t, str) for t in themes)):
        raise InputError(path, "'themes' must be a list of theme ids", location=where)
    claims = data.get("claims")
    spans = None
    if claims is not None:
        if not isinstance(claims, list):
            raise InputError(path, "'claims' must be a list of {start, end, label}", location=where)
        spans = []
        for i, claim in enumerate(claims):
            if not (isinstance(claim, dict) and isinstance(claim.get("start"), int)
                    and isinstance(claim.get("end"), int)):
                raise InputError(path, f"claims[{i}] needs integer 'start' and 'end'", location=where)
            spans.append(Span(claim["start"], claim["end"], str(claim.get("label", "checkworthy"))))
    meta = dict(data.get("meta") or {})
    meta.update({k: v for k, v in data.items() if k not in RECORD_KEYS})
    return LabeledRecord(
        id=str(data["id"]), text=data["text"], themes=themes, claims=spans, lang=data.get("lang"),
        meta=meta, annotator=data.get("annotator"), status=data.get("status"), split=data.get("split"),
        source=f"{path}:{line}",
    )


def iter_jsonl_records(path) -> Iterator[LabeledRecord]:
    path = Path(path)
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise InputError(path, f"not UTF-8 (byte {error.start} of the line)", location=f"line {number}") from None
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(path, f"invalid JSON: {error.msg} (column {error.colno})",
                                 location=f"line {number}") from None
            yield record_from_dict(data, path, number)


def iter_checkthat_records(path) -> Iterator[LabeledRecord]:
    """CheckThat! TSV (``Sentence_id, Text[, class_label]``): a 'Yes' sentence is one whole-text claim span."""
    path = Path(path)
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not reader.fieldnames or "Text" not in reader.fieldnames:
            raise InputError(path, f"not a CheckThat! TSV: columns {reader.fieldnames}", location="line 1")
        for number, row in enumerate(reader, start=2):
            text = row.get("Text") or ""
            label = row.get("class_label")
            if label not in (None, "Yes", "No"):
                raise InputError(path, f"class_label must be Yes or No, not {label!r}", location=f"line {number}")
            claims = None if label is None else ([Span(0, len(text))] if label == "Yes" else [])
            yield LabeledRecord(id=str(row.get("Sentence_id")), text=text, claims=claims, lang="en",
                                source=f"{path}:{number}")


def read_labeled(path) -> list[LabeledRecord]:
    """All records of a labeled file: project JSONL, or a CheckThat! ``.tsv``."""
    path = Path(path)
    if path.suffix.lower() == ".tsv":
        return list(iter_checkthat_records(path))
    return list(iter_jsonl_records(path))
