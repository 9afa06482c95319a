"""Label Studio: tasks JSON (``data``, ``annotations[].result[]``, ``predictions``) and the labeling config XML.

Themes are one ``<Choices name="themes" choice="multiple">``; claims are
``<Labels name="claims">`` spans over ``<Text name="text">``. A task holds the
post in ``data`` (``text``, ``post_id``, ``lang``, ``meta``, ...), our labels
as one annotation, and a model's suggestions as a prediction (pre-annotation).
Importing an export gives one record per (task, annotation); a task without
annotations gives an unlabeled record.
"""
from __future__ import annotations

from xml.sax.saxutils import quoteattr

from classify.errors import InputError
from labels.convert._common import (CLAIMS_QUESTION, TEXT_FIELD, THEMES_QUESTION, check_labels, checked_span,
                                    structure_errors, suggestion_confidence)
from labels.records import LabeledRecord, spans_to_dicts
from labels.taxonomy import Taxonomy

_DATA_FIELDS = ("lang", "split", "status", "annotator")
# A record labeled for one kind only (e.g. CheckThat! sentences: claims, no themes) names it here,
# so that an annotation without theme choices does not read back as "no theme applies".
LABEL_KINDS_KEY = "label_kinds"
SUGGESTION_SCORES_KEY = "suggestion_scores"
# Suggestions without claim spans read back without "claims"; a model that found none is named here.
NO_CLAIM_SUGGESTED_KEY = "suggested_no_claim"


def labeling_config(taxonomy: Taxonomy) -> str:
    """The Label Studio labeling interface for this taxonomy (paste into Settings > Labeling Interface)."""
    lines = ["<View>", f'  <Header value={quoteattr(f"Taxonomy {taxonomy.id} {taxonomy.version}")}/>',
             f'  <Labels name="{CLAIMS_QUESTION}" toName="{TEXT_FIELD}">']
    for label in taxonomy.claim_labels:
        hint = quoteattr(label.description.get("en", label.name))
        lines.append(f"    <Label value={quoteattr(label.id)} hint={hint}/>")
    lines += ["  </Labels>", f'  <Text name="{TEXT_FIELD}" value="${TEXT_FIELD}"/>',
              f'  <Choices name="{THEMES_QUESTION}" toName="{TEXT_FIELD}" choice="multiple" showInline="true">']
    for theme in taxonomy.themes:
        hint = quoteattr(theme.description.get("en", theme.name))
        lines.append(f"    <Choice value={quoteattr(theme.id)} hint={hint}/>")
    lines += ["  </Choices>", "</View>", ""]
    return "\n".join(lines)


def _results(record_text: str, themes, claims, prefix: str) -> list[dict]:
    results = []
    if themes:
        results.append({"id": f"{prefix}themes", "from_name": THEMES_QUESTION, "to_name": TEXT_FIELD,
                        "type": "choices", "value": {"choices": list(themes)}})
    for i, span in enumerate(claims or []):
        results.append({"id": f"{prefix}claim{i}", "from_name": CLAIMS_QUESTION, "to_name": TEXT_FIELD,
                        "type": "labels", "value": {"start": span["start"], "end": span["end"],
                                                    "text": record_text[span["start"]:span["end"]],
                                                    "labels": [span["label"]]}})
    return results


def to_task(record: LabeledRecord) -> dict:
    data = {TEXT_FIELD: record.text, "post_id": record.id}
    data.update({key: getattr(record, key) for key in _DATA_FIELDS if getattr(record, key) is not None})
    if record.meta:
        data["meta"] = record.meta
    task: dict = {"data": data}
    labeled = [kind for kind, value in (("themes", record.themes), ("claims", record.claims)) if value is not None]
    if labeled:
        if len(labeled) == 1:
            data[LABEL_KINDS_KEY] = labeled
        task["annotations"] = [{"result": _results(record.text, record.themes,
                                                   spans_to_dicts(record.claims or []), "a")}]
    if record.suggestions:
        prediction = {"model_version": record.suggestions.get("agent") or "model",
                      "result": _results(record.text, record.suggestions.get("themes"),
                                         record.suggestions.get("claims"), "p")}
        confidence = suggestion_confidence(record.suggestions)
        if confidence is not None:
            prediction["score"] = confidence
        if record.suggestions.get("scores"):
            data[SUGGESTION_SCORES_KEY] = record.suggestions["scores"]
        if record.suggestions.get("claims") == []:
            data[NO_CLAIM_SUGGESTED_KEY] = True
        task["predictions"] = [prediction]
    return task


def to_tasks(records: list[LabeledRecord]) -> list[dict]:
    return [to_task(record) for record in records]


def _read_results(results, text: str, path, where: str) -> tuple[list[str] | None, list | None]:
    """Themes and claim spans of one annotation or prediction (None where it holds no result of that kind)."""
    themes, claims = None, None
    if not isinstance(results, list):
        raise InputError(path, "'result' must be a list", location=where)
    for index, item in enumerate(results):
        item_where = f"{where} result[{index}]"
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, dict):
            raise InputError(path, "a result needs a 'value' object", location=item_where)
        kind, name = item.get("type"), item.get("from_name")
        if kind == "choices" and name == THEMES_QUESTION:
            themes = (themes or []) + [str(choice) for choice in value.get("choices", [])]
        elif kind == "labels" and name == CLAIMS_QUESTION:
            for label in value.get("labels", []):
                span = checked_span(text, value.get("start"), value.get("end"), label, value.get("text"),
                                    path, item_where)
                claims = (claims or []) + [span]
        else:
            raise InputError(path, f"unexpected result type {kind!r} from {name!r} (expected choices from "
                                   f"'{THEMES_QUESTION}' or labels from '{CLAIMS_QUESTION}')", location=item_where)
    return themes, claims


def _annotator(annotation: dict, data: dict) -> str | None:
    completed_by = annotation.get("completed_by")
    if isinstance(completed_by, dict):
        return str(completed_by.get("email") or completed_by.get("id"))
    if completed_by is not None:
        return str(completed_by)
    return data.get("annotator")


def from_task(task: dict, taxonomy: Taxonomy, path, where: str) -> list[LabeledRecord]:
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get(TEXT_FIELD), str):
        raise InputError(path, f"a task needs data.{TEXT_FIELD} (export the project as JSON, not JSON-MIN or CSV)",
                         location=where)
    text = data[TEXT_FIELD]
    post_id = data.get("post_id", task.get("id"))
    if post_id is None:
        raise InputError(path, "a task needs data.post_id or an id", location=where)
    suggestions = None
    for p_index, prediction in enumerate(task.get("predictions") or []):
        themes, claims = _read_results(prediction.get("result", []), text, path, f"{where} prediction[{p_index}]")
        suggestions = {"themes": themes or []}
        if claims or data.get(NO_CLAIM_SUGGESTED_KEY):
            suggestions["claims"] = spans_to_dicts(claims or [])
        suggestions["agent"] = prediction.get("model_version") or "model"
        if isinstance(data.get(SUGGESTION_SCORES_KEY), dict):
            suggestions["scores"] = data[SUGGESTION_SCORES_KEY]
    base = dict(id=str(post_id), text=text, lang=data.get("lang"), meta=dict(data.get("meta") or {}),
                split=data.get("split"), suggestions=suggestions, source=f"{path}:{where}")
    # "completions" is what Label Studio before 1.0 called annotations
    annotations = [a for a in task.get("annotations") or task.get("completions") or [] if isinstance(a, dict)]
    if not annotations:
        record = LabeledRecord(**base, annotator=data.get("annotator"), status=data.get("status"))
        return [check_labels(record, taxonomy, path, where)]
    records = []
    kinds = data.get(LABEL_KINDS_KEY, ["themes", "claims"])
    for a_index, annotation in enumerate(annotations):
        a_where = f"{where} annotation[{a_index}]"
        themes, claims = _read_results(annotation.get("result", []), text, path, a_where)
        if annotation.get("was_cancelled"):
            record = LabeledRecord(**base, annotator=_annotator(annotation, data), status="skipped")
        else:
            record = LabeledRecord(
                **base, annotator=_annotator(annotation, data), status=data.get("status"),
                themes=themes if themes is not None else ([] if "themes" in kinds else None),
                claims=claims if claims is not None else ([] if "claims" in kinds else None))
        records.append(check_labels(record, taxonomy, path, a_where))
    return records


def from_tasks(tasks, taxonomy: Taxonomy, path) -> list[LabeledRecord]:
    if not isinstance(tasks, list):
        raise InputError(path, "a Label Studio export is a JSON list of tasks")
    records = []
    for index, task in enumerate(tasks):
        with structure_errors(path, f"task {index}"):
            records.extend(from_task(task, taxonomy, path, f"task {index}"))
    return records
