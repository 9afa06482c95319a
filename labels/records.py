"""Labeled records: the project's JSONL format (labels/FORMAT.md) and the CheckThat! TSV.

``themes``/``claims`` are None when a record carries no labels of that kind
(e.g. held-out rows), and a list (possibly empty) when it was labeled.

Reading is built on :func:`scan_labeled`, which yields every line with all of
its structural problems; :func:`read_labeled` stops at the first problem,
``classify labels validate`` reports them all.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from classify.errors import InputError
from classify.io import atomic_output

RECORD_KEYS = {"id", "text", "lang", "meta", "themes", "claims", "annotator", "status", "split", "suggestions"}
_OPTIONAL_STRINGS = ("lang", "annotator", "status", "split")
SUGGESTION_KEYS = {"themes", "claims", "scores", "agent"}


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
    # A model's pre-filled guesses, never mistaken for labels: {"themes", "claims", "scores", "agent"}.
    suggestions: dict | None = None

    def to_dict(self) -> dict:
        record = {"id": self.id, "text": self.text}
        if self.lang is not None:
            record["lang"] = self.lang
        if self.meta:
            record["meta"] = self.meta
        if self.themes is not None:
            record["themes"] = list(self.themes)
        if self.claims is not None:
            record["claims"] = spans_to_dicts(self.claims)
        for key in ("annotator", "status", "split"):
            if getattr(self, key) is not None:
                record[key] = getattr(self, key)
        if self.suggestions is not None:
            record["suggestions"] = self.suggestions
        return record

    def labels(self) -> tuple:
        """The labels alone, comparable between two records of the same post."""
        themes = None if self.themes is None else tuple(sorted(self.themes))
        claims = None if self.claims is None else tuple(sorted((s.start, s.end, s.label) for s in self.claims))
        return themes, claims


def spans_to_dicts(spans: Iterable[Span]) -> list[dict]:
    return [{"start": s.start, "end": s.end, "label": s.label} for s in spans]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _span_problems(claims, text: str | None, key: str) -> tuple[list[Span], list[str]]:
    """Parse a list of ``{start, end, label}``; out-of-range and crossing spans are problems."""
    if not isinstance(claims, list):
        return [], [f"'{key}' must be a list of {{start, end, label}}"]
    spans, problems, kept = [], [], []
    for i, claim in enumerate(claims):
        where = f"{key}[{i}]"
        if not isinstance(claim, dict) or not _is_int(claim.get("start")) or not _is_int(claim.get("end")):
            problems.append(f"{where} needs integer 'start' and 'end'")
            continue
        label = claim.get("label", "checkworthy")
        if not isinstance(label, str) or not label:
            problems.append(f"{where}: 'label' must be a non-empty string")
            continue
        span = Span(claim["start"], claim["end"], label)
        spans.append(span)
        if text is not None and not (0 <= span.start < span.end <= len(text)):
            problems.append(f"{where} span {span.start}-{span.end} is out of range "
                            f"(needs 0 <= start < end <= {len(text)}, the text length)")
            continue
        for j, other in kept:
            if other.label != span.label or other.end <= span.start or span.end <= other.start:
                continue
            if (other.start, other.end) == (span.start, span.end):
                problems.append(f"{where} repeats {key}[{j}] ({span.start}-{span.end} {span.label})")
            else:
                problems.append(f"{where} span {span.start}-{span.end} crosses {key}[{j}] "
                                f"{other.start}-{other.end} (same label {span.label!r})")
            break
        kept.append((i, span))
    return spans, problems


def _suggestion_problems(value, text: str | None) -> list[str]:
    if not isinstance(value, dict):
        return ["'suggestions' must be an object with themes, claims, scores, agent"]
    problems = []
    unknown = sorted(set(value) - SUGGESTION_KEYS)
    if unknown:
        problems.append(f"'suggestions' has unknown key(s) {', '.join(unknown)}")
    themes = value.get("themes", [])
    if not (isinstance(themes, list) and all(isinstance(t, str) for t in themes)):
        problems.append("'suggestions.themes' must be a list of theme ids")
    if "claims" in value:
        problems.extend(_span_problems(value["claims"], text, "suggestions.claims")[1])
    scores = value.get("scores", {})
    if not (isinstance(scores, dict) and all(isinstance(v, (int, float)) for v in scores.values())):
        problems.append("'suggestions.scores' must map theme ids to numbers")
    return problems


def parse_record(data, path, line: int) -> tuple[LabeledRecord | None, list[str]]:
    """A record and every structural problem of one parsed JSON object.

    The record is None when it cannot be built (no usable id or text). Labels
    are not checked against a taxonomy here (see :mod:`labels.validate`).
    Unknown top-level keys go to ``meta``.
    """
    if not isinstance(data, dict):
        return None, [f"a record must be a JSON object, not {type(data).__name__}"]
    problems = []
    record_id = data.get("id")
    if record_id is None:
        problems.append("missing 'id'")
    elif not (isinstance(record_id, str) or _is_int(record_id)) or str(record_id).strip() == "":
        problems.append("'id' must be a non-empty string or an integer")
    text = data.get("text")
    if text is None:
        problems.append("missing 'text'")
    elif not isinstance(text, str):
        problems.append(f"'text' must be a string, not {type(text).__name__}")
        text = None
    elif not text.strip():
        problems.append("empty 'text'")
    themes = data.get("themes")
    if themes is not None:
        if not (isinstance(themes, list) and all(isinstance(t, str) for t in themes)):
            problems.append("'themes' must be a list of theme ids")
            themes = None
        else:
            problems.extend(f"theme {t!r} listed twice" for t in sorted({t for t in themes if themes.count(t) > 1}))
    spans = None
    if data.get("claims") is not None:
        spans, span_problems = _span_problems(data["claims"], text, "claims")
        problems.extend(span_problems)
    for key in _OPTIONAL_STRINGS:
        if data.get(key) is not None and not isinstance(data[key], str):
            problems.append(f"'{key}' must be a string")
    if data.get("meta") is not None and not isinstance(data["meta"], dict):
        problems.append("'meta' must be an object")
    elif isinstance(data.get("meta"), dict):  # unknown top-level keys go to meta: a clash would lose one value
        problems.extend(f"'{key}' is both a top-level key and a key of 'meta', with another value"
                        for key, value in data.items()
                        if key not in RECORD_KEYS and key in data["meta"] and data["meta"][key] != value)
    if data.get("suggestions") is not None:
        problems.extend(_suggestion_problems(data["suggestions"], text))
    try:  # JSON escapes can hold half of a surrogate pair, which no UTF-8 output can
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        problems.append(f"{error.object[error.start]!r} (half of a UTF-16 surrogate pair) is not a character: "
                        "no UTF-8 file can hold it")
    if text is None or record_id is None or any(p.startswith("'id'") for p in problems):
        return None, problems
    meta = dict(data["meta"]) if isinstance(data.get("meta"), dict) else {}
    meta.update({k: v for k, v in data.items() if k not in RECORD_KEYS})

    def optional(key):
        return data[key] if isinstance(data.get(key), str) else None

    suggestions = data.get("suggestions") if isinstance(data.get("suggestions"), dict) else None
    record = LabeledRecord(
        id=str(record_id), text=text, themes=themes, claims=spans, lang=optional("lang"), meta=meta,
        annotator=optional("annotator"), status=optional("status"), split=optional("split"),
        source=f"{path}:{line}", suggestions=suggestions,
    )
    return record, problems


@dataclass
class ScannedLine:
    """One record's line in a labeled file, with all its structural problems."""

    line: int
    record: LabeledRecord | None
    problems: list[str]


def scan_jsonl(path) -> Iterator[ScannedLine]:
    path = Path(path)
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")  # files saved on Windows start with a BOM
            except UnicodeDecodeError as error:
                yield ScannedLine(number, None, [f"not UTF-8 (byte {error.start} of the line)"])
                continue
            if not line.strip():
                continue
            try:
                data = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as error:
                yield ScannedLine(number, None, [f"invalid JSON: {error.msg} (column {error.colno})"])
                continue
            record, problems = parse_record(data, path, number)
            yield ScannedLine(number, record, problems)


def scan_checkthat(path) -> Iterator[ScannedLine]:
    """CheckThat! TSV (``Sentence_id, Text[, class_label]``): a 'Yes' sentence is one whole-text claim span.

    Fields follow CSV quoting (``"..."`` with doubled quotes), as the official files do.
    """
    path = Path(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        if not reader.fieldnames or not {"Sentence_id", "Text"} <= set(reader.fieldnames):
            yield ScannedLine(1, None, [f"not a CheckThat! TSV: needs columns Sentence_id and Text, "
                                        f"found {reader.fieldnames}"])
            return
        try:
            for row in reader:
                number = reader.line_num
                text = row.get("Text") or ""
                label = row.get("class_label")
                problems = []
                if None in row:
                    problems.append(f"{len(row[None])} more field(s) than the header")
                if not text.strip():
                    problems.append("empty 'Text'")
                if not (row.get("Sentence_id") or "").strip():
                    problems.append("missing 'Sentence_id'")
                if "class_label" in reader.fieldnames and label not in ("Yes", "No"):
                    problems.append(f"class_label must be Yes or No, not {label!r}")
                    label = None
                claims = None if label is None else ([Span(0, len(text))] if label == "Yes" and text else [])
                record = LabeledRecord(id=str(row.get("Sentence_id")), text=text, claims=claims, lang="en",
                                       source=f"{path}:{number}")
                yield ScannedLine(number, record, problems)
        except UnicodeDecodeError as error:
            yield ScannedLine(reader.line_num + 1, None, [f"not UTF-8 (byte {error.start} of a read block)"])


def scan_labeled(path) -> Iterator[ScannedLine]:
    """Every record line of a labeled file: project JSONL, or a CheckThat! ``.tsv``."""
    path = Path(path)
    return scan_checkthat(path) if path.suffix.lower() == ".tsv" else scan_jsonl(path)


def iter_labeled(path) -> Iterator[LabeledRecord]:
    """Records of a labeled file; raises InputError at the first problem, naming file and line."""
    for scanned in scan_labeled(path):
        if scanned.problems:
            raise InputError(path, scanned.problems[0], location=f"line {scanned.line}")
        yield scanned.record


def read_labeled(path) -> list[LabeledRecord]:
    """All records of a labeled file: project JSONL, or a CheckThat! ``.tsv``."""
    return list(iter_labeled(path))


def write_labeled(records: Iterable[LabeledRecord], path) -> int:
    """Write records as JSONL in the project format, atomically; returns the count written."""
    count = 0
    with atomic_output(path, "w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count
