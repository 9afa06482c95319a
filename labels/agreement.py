"""Inter-annotator agreement per theme and per claim label, and the posts where annotators disagree.

Themes: each post an annotator labeled for themes is a unit, valued 1 when the
theme was given. Claims: each word token of such a post is a unit, valued 1 when
it lies inside a span of the label, so near-identical spans mostly agree.
Two annotators: Cohen's kappa over the units both labeled. More: Krippendorff's
alpha (nominal), which allows a unit to miss some annotators. Kappa/alpha are
undefined (None) when every unit has the same value.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field

import numpy as np

from labels.annotators import Annotations, post_order, token_marks
from labels.taxonomy import Taxonomy


@dataclass
class LabelAgreement:
    kind: str  # "theme" or "claim"
    label: str
    measure: str  # "cohen_kappa" or "krippendorff_alpha"
    value: float | None
    units: int  # posts (themes) or tokens (claims) with at least two annotators
    observed: float | None  # share of those units where all annotators agree
    positives: dict[str, int] = field(default_factory=dict)  # per annotator


@dataclass
class Disagreement:
    post_id: str
    kind: str
    label: str
    said_yes: list[str]
    said_no: list[str]
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # claims: each annotator's spans

    def describe(self) -> str:
        if self.kind == "theme":
            return f"{self.post_id}: theme {self.label}: yes {','.join(self.said_yes)}; no {','.join(self.said_no)}"
        spans = "; ".join(f"{name} {' '.join(f'{s}-{e}' for s, e in spans) or '-'}"
                          for name, spans in self.spans.items())
        return f"{self.post_id}: claim {self.label}: {spans}"


@dataclass
class AgreementReport:
    annotators: list[str]
    posts: int
    labels: list[LabelAgreement]
    disagreements: list[Disagreement]

    @property
    def disagreeing_posts(self) -> list[str]:
        return list(dict.fromkeys(d.post_id for d in self.disagreements))


def _chance_corrected(matrix: np.ndarray) -> tuple[str, float | None]:
    """matrix: annotators x units with 0/1 and NaN for 'not labeled'."""
    if matrix.shape[0] == 2:
        both = ~np.isnan(matrix).any(axis=0)
        a, b = matrix[0, both].astype(int), matrix[1, both].astype(int)
        if len(a) == 0 or len(set(a) | set(b)) < 2:
            return "cohen_kappa", None
        from sklearn.metrics import cohen_kappa_score

        return "cohen_kappa", float(cohen_kappa_score(a, b, labels=[0, 1]))
    import krippendorff

    values = matrix[~np.isnan(matrix)]
    if len(set(values.tolist())) < 2:
        return "krippendorff_alpha", None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return "krippendorff_alpha", float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal"))


def _label_agreement(kind: str, label: str, names: list[str], matrix: np.ndarray) -> LabelAgreement:
    rated = (~np.isnan(matrix)).sum(axis=0) >= 2
    matrix = matrix[:, rated]
    measure, value = _chance_corrected(matrix) if matrix.shape[1] else (
        "cohen_kappa" if len(names) == 2 else "krippendorff_alpha", None)
    agree = [len(set(col[~np.isnan(col)].tolist())) == 1 for col in matrix.T]
    return LabelAgreement(kind=kind, label=label, measure=measure, value=value, units=int(matrix.shape[1]),
                          observed=float(np.mean(agree)) if agree else None,
                          positives={name: int(np.nansum(row)) for name, row in zip(names, matrix)})


def compute_agreement(groups: Annotations, taxonomy: Taxonomy) -> AgreementReport:
    """Agreement of two or more annotators (``{annotator: {post id: record}}``) per label."""
    names = sorted(groups)
    if len(names) < 2:
        raise ValueError(f"agreement needs at least two annotators, found {names}")
    order = post_order(groups)
    rows, disagreements = [], []
    for theme in taxonomy.theme_ids:
        matrix = np.full((len(names), len(order)), np.nan)
        for i, name in enumerate(names):
            for j, post_id in enumerate(order):
                record = groups[name].get(post_id)
                if record is not None and record.themes is not None:
                    matrix[i, j] = float(theme in record.themes)
        rows.append(_label_agreement("theme", theme, names, matrix))
        for j, post_id in enumerate(order):
            column = matrix[:, j]
            if (~np.isnan(column)).sum() >= 2 and len(set(column[~np.isnan(column)].tolist())) > 1:
                disagreements.append(Disagreement(
                    post_id, "theme", theme,
                    said_yes=[n for n, v in zip(names, column) if v == 1],
                    said_no=[n for n, v in zip(names, column) if v == 0]))
    for label in taxonomy.claim_label_ids:
        columns = []
        for post_id in order:
            labeled = {n: groups[n][post_id] for n in names
                       if post_id in groups[n] and groups[n][post_id].claims is not None}
            if not labeled:
                continue
            text = next(iter(labeled.values())).text
            marks = {n: token_marks(text, record.claims, label) for n, record in labeled.items()}
            block = np.full((len(names), len(token_marks(text, [], label))), np.nan)
            for i, name in enumerate(names):
                if name in marks:
                    block[i] = marks[name]
            columns.append(block)
            if len(marks) >= 2 and len({tuple(m) for m in marks.values()}) > 1:
                disagreements.append(Disagreement(
                    post_id, "claim", label,
                    said_yes=[n for n in names if n in marks and any(marks[n])],
                    said_no=[n for n in names if n in marks and not any(marks[n])],
                    spans={n: [(s.start, s.end) for s in labeled[n].claims if s.label == label] for n in marks}))
        matrix = np.concatenate(columns, axis=1) if columns else np.full((len(names), 0), np.nan)
        rows.append(_label_agreement("claim", label, names, matrix))
    order_index = {post_id: i for i, post_id in enumerate(order)}
    disagreements.sort(key=lambda d: order_index[d.post_id])
    return AgreementReport(annotators=names, posts=len(order), labels=rows, disagreements=disagreements)


def render_agreement(report: AgreementReport, *, show: int = 50) -> str:
    """A table per label, then the disagreeing posts (the first ``show`` of them)."""
    lines = [f"{len(report.annotators)} annotators ({', '.join(report.annotators)}), {report.posts} posts",
             f"{'kind':<6} {'label':<22} {'measure':<19} {'value':>6} {'units':>7} {'agree%':>7}  positives"]
    for row in report.labels:
        value = "n/a" if row.value is None else f"{row.value:.3f}"
        observed = "n/a" if row.observed is None else f"{100 * row.observed:.1f}"
        positives = " ".join(f"{name}={count}" for name, count in row.positives.items())
        lines.append(f"{row.kind:<6} {row.label:<22} {row.measure:<19} {value:>6} {row.units:>7} {observed:>7}"
                     f"  {positives}")
    posts = report.disagreeing_posts
    lines.append(f"{len(posts)} post(s) with disagreements" + (f" (first {show} shown)" if len(posts) > show else ""))
    shown = set(posts[:show])
    lines += [f"  {d.describe()}" for d in report.disagreements if d.post_id in shown]
    return "\n".join(lines)


def write_disagreements(report: AgreementReport, path) -> int:
    """Every disagreement as a row of a JSONL, CSV or Parquet table; returns the rows written."""
    import pandas as pd

    from classify.io import write_table

    rows = [{"post_id": d.post_id, "kind": d.kind, "label": d.label, "said_yes": d.said_yes, "said_no": d.said_no,
             "spans": json.dumps({name: [list(s) for s in spans] for name, spans in d.spans.items()}) if d.spans
             else None} for d in report.disagreements]
    columns = ["post_id", "kind", "label", "said_yes", "said_no", "spans"]
    return write_table(pd.DataFrame(rows, columns=columns), path)
