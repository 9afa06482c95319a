"""Group labeled records by annotator, for agreement and merging.

Several files: each file is one annotator, named by its records' ``annotator``
field when that is one name used by no other file, else by the file name.
One file: records are grouped by their ``annotator`` field.
"""
from __future__ import annotations

import re
from pathlib import Path

from classify.errors import InputError
from labels.records import LabeledRecord, read_labeled

# annotator -> post id -> record
Annotations = dict[str, dict[str, LabeledRecord]]

_TOKEN = re.compile(r"\w+", re.UNICODE)


def _add(groups: Annotations, annotator: str, record: LabeledRecord, path) -> None:
    posts = groups.setdefault(annotator, {})
    if record.id in posts:
        raise InputError(path, f"annotator {annotator!r} labeled post {record.id!r} twice "
                               f"(first at {posts[record.id].source})", location=record.source.rsplit(":", 1)[-1])
    posts[record.id] = record


def group_annotations(record_sets: list[tuple[str, list[LabeledRecord]]]) -> Annotations:
    """``[(file name, records), ...]`` -> ``{annotator: {post id: record}}``, checking texts agree."""
    groups: Annotations = {}
    if len(record_sets) == 1:
        path, records = record_sets[0]
        for record in records:
            if not record.annotator:
                raise InputError(path, f"record {record.id!r} names no annotator; with one file every record "
                                       "needs 'annotator' (or pass one file per annotator)")
            _add(groups, record.annotator, record, path)
    else:
        names = []
        for path, records in record_sets:
            found = {record.annotator for record in records}
            names.append(found.pop() if len(found) == 1 and None not in found else None)
        for (path, records), name in zip(record_sets, names):
            if name is None or names.count(name) > 1:
                name = Path(path).stem
            if name in groups:
                name = str(path)
            for record in records:
                _add(groups, name, record, path)
    texts: dict[str, LabeledRecord] = {}
    for posts in groups.values():
        for record in posts.values():
            first = texts.setdefault(record.id, record)
            if first.text != record.text:
                raise InputError(record.source, f"post {record.id!r} has a different text than at {first.source}; "
                                                "spans cannot be compared")
    return groups


def read_annotations(paths) -> Annotations:
    paths = list(paths)
    resolved = [Path(path).resolve() for path in paths]
    for index, path in enumerate(resolved):  # one annotator counted twice would agree with itself
        if path in resolved[:index]:
            raise InputError(paths[index], "given twice; pass each annotator's file once")
    return group_annotations([(str(path), read_labeled(path)) for path in paths])


def post_order(groups: Annotations) -> list[str]:
    """Post ids in order of first appearance."""
    seen: dict[str, None] = {}
    for posts in groups.values():
        seen.update(dict.fromkeys(posts))
    return list(seen)


def token_bounds(text: str) -> list[tuple[int, int]]:
    """Word tokens of a text: the units on which claim spans are compared."""
    return [match.span() for match in _TOKEN.finditer(text)]


def token_marks(text: str, spans, label: str) -> list[int]:
    """1 for each token that overlaps a span of ``label``, else 0."""
    ranges = [(s.start, s.end) for s in spans if s.label == label]
    return [int(any(start < end_s and start_s < end for start_s, end_s in ranges))
            for start, end in token_bounds(text)]
