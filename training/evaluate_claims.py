"""Claim metrics: span-level and sentence-level precision, recall and F1, per label and language.

Span level: a gold span is *found* when one predicted span of the same label
covers at least half of it; a predicted span is *correct* when one gold span
of the same label covers at least half of it. Precision = correct / predicted,
recall = found / gold.

Sentence level (how CheckThat! scores check-worthiness): every sentence of the
post (:func:`classify.text.sentences.split_sentences`) is positive in the gold
when gold spans cover at least half of it, and predicted positive when
predicted spans do.

>>> from labels.records import LabeledRecord, Span
>>> gold = [LabeledRecord(id="1", text="Prices rose 5%. Subscribe!", lang="en", claims=[Span(0, 15)])]
>>> claim_metrics(gold, {"1": [{"start": 0, "end": 15, "label": "checkworthy"}]})["span"]["all"]["f1"]
1.0
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from classify.errors import InputError
from classify.text.sentences import split_sentences

__all__ = ["span_matches", "claim_metrics", "evaluate_claims", "evaluate_model_claims", "format_claim_metrics",
           "evaluate_claim_files", "write_claim_metrics", "read_claim_gold", "has_theme_labels", "MIN_COVERAGE"]

MIN_COVERAGE = 0.5


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def _covers_half(spans, start: int, end: int) -> bool:
    need = (end - start) * MIN_COVERAGE
    return any(_overlap(s, e, start, end) >= need for s, e in spans)


def span_matches(gold: list[tuple[int, int]], predicted: list[tuple[int, int]]) -> tuple[int, int]:
    """(gold spans found, predicted spans correct) under the half-coverage rule."""
    found = sum(_covers_half(predicted, s, e) for s, e in gold)
    correct = sum(_covers_half(gold, s, e) for s, e in predicted)
    return found, correct


def _prf(counts: dict) -> dict:
    precision = counts["correct"] / counts["predicted"] if counts["predicted"] else 0.0
    recall = counts["found"] / counts["gold"] if counts["gold"] else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {**counts, "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def claim_metrics(records, predictions: dict[str, list[dict]] | list[list[dict]]) -> dict:
    """Span- and sentence-level metrics of predicted claims against gold records.

    ``records``: labeled records (those with ``claims is None`` are skipped);
    ``predictions``: record id -> list of ``{start, end, label}``, or one such list per record, in order. Returns
    ``{"span": {group: metrics}, "sentence": {group: metrics}}`` where group is
    ``all``, a language, or ``label:<label>``.
    """
    span_counts = defaultdict(lambda: {"gold": 0, "predicted": 0, "found": 0, "correct": 0})
    sentence_counts = defaultdict(lambda: {"gold": 0, "predicted": 0, "found": 0, "correct": 0})
    for position, record in enumerate(records):
        if record.claims is None:
            continue
        predicted_claims = (predictions.get(record.id, []) if isinstance(predictions, dict)
                            else predictions[position])
        record_labels = {span.label for span in record.claims} | {c["label"] for c in predicted_claims}
        sentences = split_sentences(record.text, record.lang)
        groups = ("all", record.lang or "und")
        for label in sorted(record_labels):
            gold = [(s.start, s.end) for s in record.claims if s.label == label]
            predicted = [(c["start"], c["end"]) for c in predicted_claims if c["label"] == label]
            found, correct = span_matches(gold, predicted)
            gold_sentences = [_covers_half_union(gold, s.start, s.end) for s in sentences]
            predicted_sentences = [_covers_half_union(predicted, s.start, s.end) for s in sentences]
            hits = sum(g and p for g, p in zip(gold_sentences, predicted_sentences))
            for group in groups + (f"label:{label}",):
                span_counts[group]["gold"] += len(gold)
                span_counts[group]["predicted"] += len(predicted)
                span_counts[group]["found"] += found
                span_counts[group]["correct"] += correct
                sentence_counts[group]["gold"] += sum(gold_sentences)
                sentence_counts[group]["predicted"] += sum(predicted_sentences)
                sentence_counts[group]["found"] += hits
                sentence_counts[group]["correct"] += hits
    return {"span": {k: _prf(v) for k, v in sorted(span_counts.items())},
            "sentence": {k: _prf(v) for k, v in sorted(sentence_counts.items())}}


def _covers_half_union(spans, start: int, end: int) -> bool:
    """Whether the spans together cover at least half of [start, end)."""
    covered = sum(_overlap(s, e, start, end) for s, e in _merged(spans))
    return end > start and covered >= (end - start) * MIN_COVERAGE


def _merged(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def evaluate_claims(classifier, records, *, theme_predictor=None) -> dict:
    """Tag the records' texts with a claim classifier and score the claims against their gold spans.

    Records without ``lang`` get the language ``classify tag`` would find, so they are scored as
    tagging scores them; a gold claim label the classifier does not know is an error naming its record.
    """
    from classify.claims import find_claims

    labeled = [record for record in records if record.claims is not None]
    known = set(classifier.labels_)
    for record in labeled:
        unknown = sorted({span.label for span in record.claims} - known)
        if unknown:
            path, _, line = record.source.rpartition(":")
            raise InputError(path or record.source, f"claim label(s) {', '.join(unknown)} unknown to the model "
                                                    f"(it knows: {', '.join(sorted(known))})",
                             location=f"line {line}" if line.isdigit() else f"record {record.id}")
    if any(record.lang is None for record in labeled):
        from classify.text.lang import detect_languages

        detected = detect_languages([record.text for record in labeled])
        labeled = [record if record.lang else replace(record, lang=lang) for record, lang in zip(labeled, detected)]
    claims = find_claims(classifier, [r.text for r in labeled], [r.lang for r in labeled], theme_predictor)
    # by position: two gold files may both hold a post of one id
    return claim_metrics(labeled, claims)


def evaluate_model_claims(model, records) -> dict | None:
    """Claim metrics of a loaded bundle or tagging model (``classify.bundle.load_bundle``, ``classify.model.load_model``)
    on gold records.

    None when the model has no claims component or no record carries claim labels,
    so ``classify evaluate`` can call it on any gold file.
    """
    if "claims" not in getattr(model, "components", {}) or not any(r.claims is not None for r in records):
        return None
    return evaluate_claims(model.components["claims"], records)


def format_claim_metrics(metrics: dict) -> list[str]:
    """Printable lines: one per level (span, sentence) and group (all, languages, labels)."""
    lines = [f"{'claims':<10} {'group':<24} {'gold':>6} {'pred':>6} {'precision':>9} {'recall':>7} {'F1':>6}"]
    for level in ("span", "sentence"):
        for group, m in metrics[level].items():
            lines.append(f"{level:<10} {group:<24} {m['gold']:>6} {m['predicted']:>6} {m['precision']:>9.3f} "
                         f"{m['recall']:>7.3f} {m['f1']:>6.3f}")
    return lines


def read_claim_gold(gold_paths, splits: list[str] | None = None):
    """Records with claim labels from gold files (project JSONL or CheckThat! TSV), optionally by split.

    A post labeled on two lines of one file, or a file given twice, is an error: it would count twice."""
    from labels.records import read_labeled
    from training.data_files import require_distinct_files, require_one_labeling_per_post

    require_distinct_files(gold_paths)
    records = []
    for path in gold_paths:
        labeled = [record for record in read_labeled(path) if record.claims is not None
                   and not (splits and record.split is not None and record.split not in splits)]
        require_one_labeling_per_post(labeled, path)
        records += labeled
    return records


def has_theme_labels(gold_paths, splits: list[str] | None = None) -> bool:
    """Whether any gold row (in the splits) carries theme labels."""
    from labels.records import read_labeled

    return any(record.themes is not None and not (splits and record.split is not None and record.split not in splits)
               for path in gold_paths for record in read_labeled(path))


def evaluate_claim_files(model_path, gold_paths, *, splits: list[str] | None = None) -> dict | None:
    """Claim metrics of a bundle on gold files (:func:`write_claim_metrics` writes them).

    None when the bundle has no claims component or the gold no claim labels.
    """
    from classify.bundle import load_bundle

    records = read_claim_gold(gold_paths, splits)
    if not records:
        return None
    # the bundle, not a tagging model: a bundle trained with `classify train claims` alone has no themes
    metrics = evaluate_model_claims(load_bundle(model_path), records)
    if metrics is None:
        return None
    return {"model": str(model_path), "gold": [str(p) for p in gold_paths], "records": len(records), **metrics}


def write_claim_metrics(metrics: dict, output) -> None:
    """Write ``output/claims_metrics.json``."""
    import json
    from pathlib import Path

    from classify.io import atomic_output

    Path(output).mkdir(parents=True, exist_ok=True)
    with atomic_output(Path(output) / "claims_metrics.json", "w", encoding="utf-8") as handle:
        json.dump(metrics, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
