"""Check labeled files against the format and a taxonomy, reporting every problem with file and line.

>>> from labels import load_taxonomy
>>> reports = validate_files(["labels/examples/sample_ru_en.jsonl"], load_taxonomy())
>>> reports[0].ok
True
"""
from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from classify.errors import InputError
from labels.records import LabeledRecord, scan_labeled
from labels.taxonomy import Taxonomy

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    path: str
    line: int | None
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        prefix = "" if self.severity == ERROR else "warning: "
        location = f"line {self.line}" if self.line else None
        return str(InputError(self.path, prefix + self.message, location=location))


@dataclass
class FileReport:
    """What one labeled file holds, and what is wrong with it."""

    path: str
    records: int = 0
    themes_labeled: int = 0
    claims_labeled: int = 0
    spans: int = 0
    theme_counts: Counter = field(default_factory=Counter)
    claim_counts: Counter = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        verdict = "OK" if self.ok else f"{len(self.errors)} error(s)"
        if self.warnings:
            verdict += f", {len(self.warnings)} warning(s)"
        return (f"{self.path}: {self.records} records, {self.themes_labeled} labeled for themes, "
                f"{self.claims_labeled} labeled for claims, {self.spans} claim spans: {verdict}")


def _unknown(value: str, known: list[str], kind: str, taxonomy: Taxonomy) -> str:
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {kind} {value!r} (not in taxonomy {taxonomy.id} {taxonomy.version}){hint}"


def label_problems(record: LabeledRecord, taxonomy: Taxonomy) -> list[str]:
    """Labels of a record (and of its suggestions) that the taxonomy does not define."""
    problems = []
    themes, claim_labels = taxonomy.theme_ids, taxonomy.claim_label_ids
    problems += [_unknown(t, themes, "theme", taxonomy) for t in record.themes or [] if t not in themes]
    seen = set()
    for span in record.claims or []:
        if span.label not in claim_labels and span.label not in seen:
            seen.add(span.label)
            problems.append(_unknown(span.label, claim_labels, "claim label", taxonomy))
    suggestions = record.suggestions or {}
    # suggestions of the wrong type are structural problems, reported by labels.records
    for theme in suggestions.get("themes", []) if isinstance(suggestions.get("themes"), list) else []:
        if isinstance(theme, str) and theme not in themes:
            problems.append("suggestions: " + _unknown(theme, themes, "theme", taxonomy))
    suggested_claims = suggestions.get("claims", []) if isinstance(suggestions.get("claims"), list) else []
    labels = (c.get("label", "checkworthy") for c in suggested_claims if isinstance(c, dict))
    for label in dict.fromkeys(label for label in labels if isinstance(label, str)):
        if label not in claim_labels:
            problems.append("suggestions: " + _unknown(label, claim_labels, "claim label", taxonomy))
    return problems


def validate_file(path, taxonomy: Taxonomy) -> FileReport:
    """Every problem of one labeled file (JSONL or CheckThat! TSV), with its counts."""
    report = FileReport(path=str(path))
    if not Path(path).is_file():
        report.problems.append(Problem(str(path), None, "no such file"))
        return report
    first_seen: dict[tuple, tuple[int, tuple]] = {}
    for scanned in scan_labeled(path):
        messages = list(scanned.problems)
        record = scanned.record
        if record is not None:
            report.records += 1
            messages += label_problems(record, taxonomy)
            if record.themes is not None:
                report.themes_labeled += 1
                report.theme_counts.update(record.themes)
            if record.claims is not None:
                report.claims_labeled += 1
                report.spans += len(record.claims)
                report.claim_counts.update(span.label for span in record.claims)
            # Several annotators may label the same post in one file; one annotator twice is a mistake.
            key = (record.id, record.annotator)
            labels = record.labels()
            if key in first_seen:
                line, first_labels = first_seen[key]
                if labels != first_labels:
                    messages.append(f"duplicate id {record.id!r} with different labels (first on line {line})")
                else:
                    report.problems.append(Problem(str(path), scanned.line, f"duplicate id {record.id!r} "
                                                   f"(same labels as line {line})", WARNING))
            else:
                first_seen[key] = (scanned.line, labels)
        report.problems.extend(Problem(str(path), scanned.line, message) for message in messages)
    if report.records == 0 and not report.problems:
        report.problems.append(Problem(str(path), None, "empty file: no records"))
    return report


def validate_files(paths: Iterable, taxonomy: Taxonomy) -> list[FileReport]:
    return [validate_file(path, taxonomy) for path in paths]


def render_reports(reports: list[FileReport], *, per_label: bool = False) -> str:
    """Problems first (one per line, file and line named), then one summary line per file
    (followed, with ``per_label``, by the count of records per theme and of spans per claim label)."""
    lines = [str(problem) for report in reports for problem in report.problems]
    for report in reports:
        lines.append(report.summary())
        if per_label:
            lines += [f"  theme {theme}: {count}" for theme, count in sorted(report.theme_counts.items())]
            lines += [f"  claim {label}: {count}" for label, count in sorted(report.claim_counts.items())]
    return "\n".join(lines)


def require_known_labels(records: Iterable[LabeledRecord], taxonomy: Taxonomy) -> None:
    """Raise InputError at the first record whose labels the taxonomy does not define."""
    for record in records:
        problems = label_problems(record, taxonomy)
        if problems:
            path, _, line = record.source.rpartition(":")
            raise InputError(path or record.source, problems[0], location=f"line {line}" if line.isdigit() else line)
