"""Argilla 2.x: record dicts as ``Record.to_dict()`` writes them, and the dataset settings.

A record is ``{"id", "fields": {"text"}, "metadata", "suggestions": {question: {value, score, agent}},
"responses": {question: [{value, user_id[, status]}]}, "vectors"}``: the file ``dataset.records.to_json``
writes and ``rg.Dataset.from_disk``-style loaders read. Questions: ``themes`` (MultiLabelQuestion)
and ``claims`` (SpanQuestion over the ``text`` field, values ``{start, end, label}``).

Responses name their annotator in ``user_id``: Argilla wants the user's UUID there when you
upload responses, so upload existing labels as a user's own responses only after mapping names.
"""
from __future__ import annotations

import json
from collections import defaultdict

from classify.errors import InputError
from labels.convert._common import (CLAIMS_QUESTION, TEXT_FIELD, THEMES_QUESTION, check_labels, checked_span_list,
                                    structure_errors)
from labels.records import LabeledRecord, spans_to_dicts
from labels.taxonomy import Taxonomy

_RESERVED = ("lang", "split", "status")
META_JSON_KEY = "meta_json"
SCORES_KEY = "suggestion_scores"
# responses name their annotator; a record without labels keeps its annotator here
ANNOTATOR_KEY = "annotator"


def dataset_settings(taxonomy: Taxonomy) -> dict:
    """Dataset settings in the shape of Argilla's ``Settings.serialize()``: one text field, two questions."""
    def options(labels):
        return [{"value": label.id, "text": label.name, "description": label.description.get("en")}
                for label in labels]

    return {
        "guidelines": f"Label each post with the themes of taxonomy {taxonomy.id} {taxonomy.version} "
                      "and mark its check-worthy claims (see labels/taxonomy.toml and FORMAT.md).",
        "allow_extra_metadata": True,
        "fields": [{"name": TEXT_FIELD, "title": "Post", "required": True,
                    "settings": {"type": "text", "use_markdown": False}}],
        "questions": [
            {"name": THEMES_QUESTION, "title": "Themes", "description": "Every substantial theme of the post.",
             "required": False, "settings": {"type": "multi_label_selection", "options": options(taxonomy.themes),
                                             "visible_options": len(taxonomy.themes), "options_order": "natural"}},
            {"name": CLAIMS_QUESTION, "title": "Claims", "description": "Mark the sentences carrying a claim.",
             "required": False, "settings": {"type": "span", "field": TEXT_FIELD,
                                             "options": options(taxonomy.claim_labels),
                                             "allow_overlapping": len(taxonomy.claim_labels) > 1,
                                             "allow_character_annotation": True}},
        ],
        "metadata": [{"name": "lang", "title": "Language", "settings": {"type": "terms", "values": None},
                      "visible_for_annotators": True}],
        "vectors": [],
    }


def _is_metadata_value(value) -> bool:
    scalar = (str, int, float)
    return isinstance(value, scalar) and not isinstance(value, bool) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value))


def to_record(record: LabeledRecord) -> dict:
    metadata = {key: getattr(record, key) for key in _RESERVED if getattr(record, key) is not None}
    complex_meta = {}
    for key, value in record.meta.items():
        if _is_metadata_value(value) and key not in (*_RESERVED, META_JSON_KEY, SCORES_KEY, ANNOTATOR_KEY):
            metadata[key] = value
        else:
            complex_meta[key] = value
    if complex_meta:
        metadata[META_JSON_KEY] = json.dumps(complex_meta, ensure_ascii=False, sort_keys=True)
    responses = {}
    user = record.annotator
    if record.themes is not None:
        responses[THEMES_QUESTION] = [{"value": list(record.themes), "user_id": user}]
    if record.claims is not None:
        responses[CLAIMS_QUESTION] = [{"value": spans_to_dicts(record.claims), "user_id": user}]
    if user is not None and not responses:
        metadata[ANNOTATOR_KEY] = user
    suggestions = {}
    if record.suggestions:
        agent = record.suggestions.get("agent") or "model"
        scores = record.suggestions.get("scores") or {}
        themes = record.suggestions.get("themes", [])
        theme_scores = [scores[t] for t in themes] if scores and all(t in scores for t in themes) else None
        suggestions[THEMES_QUESTION] = {"value": list(themes), "agent": agent, "score": theme_scores}
        if "claims" in record.suggestions:
            suggestions[CLAIMS_QUESTION] = {"value": record.suggestions["claims"], "agent": agent, "score": None}
        if scores:
            metadata[SCORES_KEY] = json.dumps(scores, sort_keys=True)
    return {"id": record.id, "fields": {TEXT_FIELD: record.text}, "metadata": metadata,
            "suggestions": suggestions, "responses": responses, "vectors": {}, "_server_id": None}


def to_records(records: list[LabeledRecord]) -> list[dict]:
    return [to_record(record) for record in records]


def _spans(value, text: str, path, where: str) -> list:
    return checked_span_list(value, text, path, where, list_name="a span answer", item_where="{where} span {i}")


def from_record(item: dict, taxonomy: Taxonomy, path, where: str) -> list[LabeledRecord]:
    fields = item.get("fields") if isinstance(item, dict) else None
    if not isinstance(fields, dict) or not isinstance(fields.get(TEXT_FIELD), str):
        raise InputError(path, f"a record needs fields.{TEXT_FIELD}", location=where)
    if item.get("id") is None:
        raise InputError(path, "a record needs an 'id'", location=where)
    text = fields[TEXT_FIELD]
    metadata = dict(item.get("metadata") or {})
    meta = json.loads(metadata.pop(META_JSON_KEY)) if META_JSON_KEY in metadata else {}
    scores = json.loads(metadata.pop(SCORES_KEY)) if SCORES_KEY in metadata else None
    reserved = {key: metadata.pop(key, None) for key in (*_RESERVED, ANNOTATOR_KEY)}
    meta.update(metadata)
    suggestions = None
    raw_suggestions = item.get("suggestions") or {}
    if raw_suggestions:
        themes = raw_suggestions.get(THEMES_QUESTION, {})
        claims = raw_suggestions.get(CLAIMS_QUESTION)
        suggestions = {"themes": list(themes.get("value") or []),
                       "agent": themes.get("agent") or (claims or {}).get("agent") or "model"}
        if claims is not None:
            suggestions["claims"] = spans_to_dicts(_spans(claims.get("value") or [], text, path, f"{where} suggestion"))
        if scores:
            suggestions["scores"] = scores
    # One record per annotator: answers are grouped by user; drafts are not labels yet.
    by_user: dict[str | None, dict] = defaultdict(dict)
    for question, answers in (item.get("responses") or {}).items():
        for answer in answers:
            if answer.get("status") == "draft":
                continue
            user = answer.get("user_id")
            by_user[None if user is None else str(user)][question] = answer
    base = dict(id=str(item["id"]), text=text, lang=reserved["lang"], split=reserved["split"], meta=meta,
                suggestions=suggestions, source=f"{path}:{where}")
    if not by_user:
        return [check_labels(LabeledRecord(**base, status=reserved["status"], annotator=reserved[ANNOTATOR_KEY]),
                             taxonomy, path, where)]
    if reserved[ANNOTATOR_KEY] is not None:  # the responses name the annotators: a dataset's own metadata field
        meta[ANNOTATOR_KEY] = reserved[ANNOTATOR_KEY]
    records = []
    for user, answers in by_user.items():
        if any(answer.get("status") == "discarded" for answer in answers.values()):
            record = LabeledRecord(**base, annotator=user, status="skipped")
        else:
            themes = answers.get(THEMES_QUESTION)
            claims = answers.get(CLAIMS_QUESTION)
            record = LabeledRecord(
                **base, annotator=user, status=reserved["status"],
                themes=None if themes is None else [str(v) for v in themes.get("value") or []],
                claims=None if claims is None else _spans(claims.get("value") or [], text, path, f"{where} {user}"))
        records.append(check_labels(record, taxonomy, path, f"{where} user {user}"))
    return records


def from_records(items, taxonomy: Taxonomy, path) -> list[LabeledRecord]:
    if not isinstance(items, list):
        raise InputError(path, "an Argilla export is a JSON list of record dicts")
    records = []
    for index, item in enumerate(items):
        with structure_errors(path, f"record {index}"):
            records.extend(from_record(item, taxonomy, path, f"record {index}"))
    return records
