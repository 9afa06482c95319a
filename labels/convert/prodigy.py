"""Prodigy JSONL: ``text``, ``meta``, ``options``/``accept`` for themes, ``spans`` for claims, ``answer``.

One task per line. Themes use the ``choice`` interface (``options`` with every theme,
``accept`` with the chosen ids); claims are ``spans`` of ``{start, end, label}``
(Prodigy adds tokens itself). The post id is ``meta.id`` (an ``id`` of the record's own meta travels
as ``meta_id``). A labeled record is
``answer: "accept"``; an unlabeled record with suggestions has them pre-filled in
``accept``/``spans`` and no ``answer``, ready for ``textcat.manual``/``spans.manual``.
``reject``/``ignore`` answers read back as records without labels, status ``rejected``/``ignored``.
"""
from __future__ import annotations

from classify.errors import InputError
from labels.convert._common import check_labels, checked_span_list, structure_errors
from labels.records import LabeledRecord, spans_to_dicts
from labels.taxonomy import Taxonomy

_ANSWER_STATUS = {"reject": "rejected", "ignore": "ignored"}
_STATUS_ANSWER = {status: answer for answer, status in _ANSWER_STATUS.items()}
# meta.id is the post id; a record's own meta "id" travels beside it
META_ID_KEY = "meta_id"


def to_task(record: LabeledRecord, taxonomy: Taxonomy) -> dict:
    meta = {"id": record.id, **{key: value for key, value in record.meta.items() if key != "id"}}
    task: dict = {"text": record.text, "meta": meta,
                  "options": [{"id": theme.id, "text": theme.name} for theme in taxonomy.themes]}
    if "id" in record.meta:
        task[META_ID_KEY] = record.meta["id"]
    for key in ("lang", "split"):
        if getattr(record, key) is not None:
            task[key] = getattr(record, key)
    if record.annotator is not None:
        task["_annotator_id"] = record.annotator
    labeled = record.themes is not None or record.claims is not None
    if labeled:
        if record.themes is not None:
            task["accept"] = list(record.themes)
        if record.claims is not None:
            task["spans"] = spans_to_dicts(record.claims)
        task["answer"] = "accept"
    elif record.status in _STATUS_ANSWER:
        task["answer"] = _STATUS_ANSWER[record.status]
    if record.status is not None:
        task["status"] = record.status
    if record.suggestions:
        task["suggestions"] = record.suggestions
        if not labeled:
            task["accept"] = list(record.suggestions.get("themes", []))
            task["spans"] = list(record.suggestions.get("claims", []))
    return task


def to_tasks(records: list[LabeledRecord], taxonomy: Taxonomy) -> list[dict]:
    return [to_task(record, taxonomy) for record in records]


def _spans(value, text: str, path, where: str) -> list:
    return checked_span_list(value, text, path, where, list_name="'spans'", item_where="{where} spans[{i}]")


def from_task(task: dict, taxonomy: Taxonomy, path, where: str) -> LabeledRecord:
    if not isinstance(task, dict) or not isinstance(task.get("text"), str):
        raise InputError(path, "a Prodigy task needs 'text'", location=where)
    if "themes" in task or "claims" in task:  # would read back without its labels
        raise InputError(path, "a labeled record in the project format (themes/claims), not a Prodigy task: "
                               "it needs no import", location=where)
    text = task["text"]
    meta = dict(task.get("meta") or {})
    record_id = meta.pop("id", task.get("id"))
    if record_id is None:
        raise InputError(path, "a task needs meta.id (the post id)", location=where)
    if META_ID_KEY in task:
        meta["id"] = task[META_ID_KEY]
    answer = task.get("answer")
    if answer not in (None, "accept", "reject", "ignore"):
        raise InputError(path, f"unknown answer {answer!r} (accept, reject or ignore)", location=where)
    suggestions = task.get("suggestions")
    if answer is None and suggestions is None and ("accept" in task or "spans" in task):
        suggestions = {"themes": list(task.get("accept") or []),
                       "claims": spans_to_dicts(_spans(task.get("spans") or [], text, path, where))}
    accepted = answer == "accept"
    record = LabeledRecord(
        id=str(record_id), text=text, lang=task.get("lang"), split=task.get("split"), meta=meta,
        annotator=task.get("_annotator_id") or task.get("_session_id"),
        status=_ANSWER_STATUS.get(answer) or task.get("status"), suggestions=suggestions,
        themes=[str(t) for t in task["accept"]] if accepted and "accept" in task else None,
        claims=_spans(task["spans"], text, path, where) if accepted and "spans" in task else None,
        source=f"{path}:{where}")
    return check_labels(record, taxonomy, path, where)


def from_tasks(tasks, taxonomy: Taxonomy, path) -> list[LabeledRecord]:
    records = []
    for number, task in tasks:
        with structure_errors(path, f"line {number}"):
            records.append(from_task(task, taxonomy, path, f"line {number}"))
    return records
