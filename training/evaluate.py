"""Theme evaluation: metrics, a Markdown report and plots, as plain functions.

:func:`theme_metrics` takes gold and predicted indicator matrices (rows = posts,
columns = themes) and the calibrated scores, and returns a JSON-ready dict:
per-theme precision/recall/F1 with support, micro and macro averages (macro over
themes that occur in the gold set), the same per language and per group (e.g.
source file), the share of posts whose top-scoring theme is a gold theme, a
theme co-occurrence confusion table, a calibration table and the worst errors.
:func:`write_theme_report` writes ``metrics.json``, ``report.md`` and PNG plots.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from classify.io import atomic_output

CALIBRATION_BINS = 10
THEME_REPORT_FILES = ("metrics.json", "report.md", "f1_by_theme.png", "calibration.png")
CLAIM_REPORT_FILE = "claims_metrics.json"


def _prf(truth: np.ndarray, predicted: np.ndarray) -> dict:
    tp = int((truth & predicted).sum())
    n_pred, n_true = int(predicted.sum()), int(truth.sum())
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * tp / (n_pred + n_true) if n_pred + n_true else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": n_true, "predicted": n_pred}


def _summary(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray, themes: list[str]) -> dict:
    per_theme = {theme: _prf(truth[:, j], predicted[:, j]) for j, theme in enumerate(themes)}
    present = [theme for theme in themes if per_theme[theme]["support"] > 0]
    macro = {key: round(float(np.mean([per_theme[t][key] for t in present])), 4) if present else 0.0
             for key in ("precision", "recall", "f1")}
    labeled = truth.any(axis=1)
    top = scores.argmax(axis=1)
    top1 = float(truth[np.arange(len(truth)), top][labeled].mean()) if labeled.any() else None
    exact = float((truth == predicted).all(axis=1).mean()) if len(truth) else None
    return {
        "records": int(len(truth)),
        "micro": {k: v for k, v in _prf(truth.ravel(), predicted.ravel()).items()},
        "macro": {**macro, "themes": len(present)},
        "top1_in_gold": None if top1 is None else round(top1, 4),
        "exact_match": None if exact is None else round(exact, 4),
        "per_theme": per_theme,
    }


def calibration_table(truth: np.ndarray, scores: np.ndarray, bins: int = CALIBRATION_BINS) -> dict:
    """Reliability over every (post, theme) pair: mean score vs observed share per score bin, and the ECE."""
    flat_scores, flat_truth = scores.ravel(), truth.ravel().astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(flat_scores, edges[1:-1]), 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        if count:
            mean_score, observed = float(flat_scores[members].mean()), float(flat_truth[members].mean())
            ece += count / len(flat_scores) * abs(mean_score - observed)
            rows.append({"bin": [round(edges[b], 2), round(edges[b + 1], 2)], "count": count,
                         "mean_score": round(mean_score, 4), "observed": round(observed, 4)})
    return {"bins": rows, "ece": round(ece, 4)}


def cooccurrence_table(truth: np.ndarray, predicted: np.ndarray, themes: list[str]) -> dict:
    """``{gold theme: {predicted theme: posts}}``: which themes the model gives to posts of each gold theme."""
    counts = truth.T.astype(np.int64) @ predicted.astype(np.int64)
    return {gold: {pred: int(counts[i, j]) for j, pred in enumerate(themes) if counts[i, j]}
            for i, gold in enumerate(themes)}


def worst_errors(truth, predicted, scores, themes, ids, texts=None, limit: int = 20) -> list[dict]:
    """Posts with the largest total score error on wrongly predicted themes."""
    wrong = truth != predicted
    loss = (np.abs(scores - truth) * wrong).sum(axis=1)
    order = np.argsort(-loss, kind="stable")[:limit]
    errors = []
    for i in order:
        if loss[i] <= 0:
            break
        record = {"id": ids[i], "loss": round(float(loss[i]), 4),
                  "gold": [t for j, t in enumerate(themes) if truth[i, j]],
                  "predicted": [t for j, t in enumerate(themes) if predicted[i, j]],
                  "missed": {t: round(float(scores[i, j]), 3) for j, t in enumerate(themes)
                             if truth[i, j] and not predicted[i, j]},
                  "extra": {t: round(float(scores[i, j]), 3) for j, t in enumerate(themes)
                            if predicted[i, j] and not truth[i, j]}}
        if texts is not None:
            record["text"] = " ".join(str(texts[i]).split())[:300]
        errors.append(record)
    return errors


def theme_metrics(truth, predicted, scores, themes: list[str], *, langs=None, groups=None, ids=None,
                  texts=None, worst: int = 20) -> dict:
    """All theme metrics of one evaluation (see the module docstring)."""
    truth, predicted = np.asarray(truth, dtype=bool), np.asarray(predicted, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    if not (truth.shape == predicted.shape == scores.shape) or truth.shape[1] != len(themes):
        raise ValueError("truth, predicted and scores must be (posts x themes) arrays of the same shape")
    metrics = {"themes": list(themes), "overall": _summary(truth, predicted, scores, themes)}
    for key, values in (("per_language", langs), ("per_group", groups)):
        if values is not None:
            values = np.asarray([str(v) for v in values])
            metrics[key] = {value: _summary(truth[values == value], predicted[values == value],
                                            scores[values == value], themes)
                            for value in sorted(set(values))}
    metrics["calibration"] = calibration_table(truth, scores)
    metrics["cooccurrence"] = cooccurrence_table(truth, predicted, themes)
    ids = list(ids) if ids is not None else [str(i) for i in range(len(truth))]
    metrics["worst_errors"] = worst_errors(truth, predicted, scores, themes, ids, texts, worst) if worst else []
    return metrics


def _summary_row(name: str, summary: dict) -> str:
    top1 = summary["top1_in_gold"]
    return (f"| {name} | {summary['records']} | {summary['micro']['f1']:.3f} | {summary['macro']['f1']:.3f} "
            f"({summary['macro']['themes']}) | {'' if top1 is None else f'{top1:.1%}'} |")


def summary_table(metrics: dict) -> list[str]:
    """Markdown rows: overall, per language and per group, micro/macro F1 and top-1 hit rate."""
    lines = ["| subset | posts | micro-F1 | macro-F1 (themes) | top theme is gold |", "|---|---|---|---|---|",
             _summary_row("all", metrics["overall"])]
    for key, label in (("per_language", "lang"), ("per_group", "")):
        for name, summary in metrics.get(key, {}).items():
            lines.append(_summary_row(f"{label} {name}".strip(), summary))
    return lines


def per_theme_table(metrics: dict, subsets: tuple[str, ...] = ("per_language",)) -> list[str]:
    """Markdown rows: per theme precision/recall/F1/support overall and F1 per language."""
    columns = [(key, name) for key in subsets for name in metrics.get(key, {})]
    header = "| theme | precision | recall | F1 | support | " + " | ".join(f"F1 {n}" for _, n in columns) + " |"
    lines = [header, "|" + "---|" * (5 + len(columns))]
    for theme in metrics["themes"]:
        m = metrics["overall"]["per_theme"][theme]
        extra = []
        for key, name in columns:
            sub = metrics[key][name]["per_theme"][theme]
            extra.append(f"{sub['f1']:.3f} ({sub['support']})" if sub["support"] else "-")
        lines.append(f"| {theme} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} | "
                     + " | ".join(extra) + " |")
    return lines


def markdown_report(metrics: dict, *, title: str = "Theme evaluation", notes: str = "") -> str:
    lines = [f"# {title}", ""]
    if notes:
        lines += [notes, ""]
    lines += ["## Summary", "", *summary_table(metrics), "",
              "Macro-F1 averages the themes present in the subset's gold labels (their number in brackets).", "",
              "## Per theme", "", *per_theme_table(metrics), "", "![F1 per theme](f1_by_theme.png)", "",
              "## Calibration", "",
              f"Expected calibration error over every (post, theme) score: {metrics['calibration']['ece']:.3f}.", "",
              "| score bin | pairs | mean score | observed share |", "|---|---|---|---|"]
    for row in metrics["calibration"]["bins"]:
        lines.append(f"| {row['bin'][0]:.1f}-{row['bin'][1]:.1f} | {row['count']} | {row['mean_score']:.3f} | "
                     f"{row['observed']:.3f} |")
    lines += ["", "![Calibration](calibration.png)", "", "## Theme co-occurrence confusion", "",
              "Rows: gold theme; columns: how many of its posts got each predicted theme.", ""]
    themes = metrics["themes"]
    lines += ["| gold \\ predicted | " + " | ".join(themes) + " |", "|---|" + "---|" * len(themes)]
    for gold in themes:
        row = metrics["cooccurrence"].get(gold, {})
        lines.append(f"| {gold} | " + " | ".join(str(row.get(t, 0)) for t in themes) + " |")
    if metrics.get("worst_errors"):
        lines += ["", "## Worst errors", "", "| id | gold | predicted | missed (score) | extra (score) | text |",
                  "|---|---|---|---|---|---|"]
        for error in metrics["worst_errors"]:
            text = error.get("text", "").replace("|", "\\|")[:160]
            lines.append(f"| {error['id']} | {', '.join(error['gold'])} | {', '.join(error['predicted'])} | "
                         + ", ".join(f"{t} {s:.2f}" for t, s in error["missed"].items()) + " | "
                         + ", ".join(f"{t} {s:.2f}" for t, s in error["extra"].items()) + f" | {text} |")
    return "\n".join(lines) + "\n"


def plot_f1_by_theme(metrics: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    themes = metrics["themes"]
    subsets = [("all", metrics["overall"])] + list(metrics.get("per_language", {}).items())
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=100)
    width = 0.8 / len(subsets)
    for k, (name, summary) in enumerate(subsets):
        values = [summary["per_theme"][t]["f1"] if summary["per_theme"][t]["support"] else np.nan for t in themes]
        ax.bar(np.arange(len(themes)) + k * width, values, width, label=name)
    ax.set_xticks(np.arange(len(themes)) + 0.4 - width / 2, themes, rotation=30, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel("F1")
    ax.set_title("F1 per theme")
    ax.legend()
    fig.tight_layout()
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", metadata={"Software": None})
    plt.close(fig)


def plot_calibration(metrics: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bins = metrics["calibration"]["bins"]
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    ax.plot([b["mean_score"] for b in bins], [b["observed"] for b in bins], marker="o", label="model")
    ax.set_xlabel("mean score")
    ax.set_ylabel("observed share with the theme")
    ax.set_title(f"Calibration (ECE {metrics['calibration']['ece']:.3f})")
    ax.legend()
    fig.tight_layout()
    with atomic_output(path, "wb") as handle:
        fig.savefig(handle, format="png", metadata={"Software": None})
    plt.close(fig)


def write_theme_report(metrics: dict, directory, *, title: str = "Theme evaluation", notes: str = "") -> Path:
    """Write ``metrics.json``, ``report.md``, ``f1_by_theme.png`` and ``calibration.png`` into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_output(directory / "metrics.json", "w", encoding="utf-8") as handle:
        json.dump(metrics, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    with atomic_output(directory / "report.md", "w", encoding="utf-8") as handle:
        handle.write(markdown_report(metrics, title=title, notes=notes))
    plot_f1_by_theme(metrics, directory / "f1_by_theme.png")
    plot_calibration(metrics, directory / "calibration.png")
    return directory / "report.md"


def remove_stale_reports(directory, *, themes: bool, claims: bool) -> None:
    """Delete the report files of the kind this evaluation did not write (theme report or claim metrics),
    so a folder reused for another gold file never shows an earlier run's figures beside the new ones."""
    stale = ([] if themes else list(THEME_REPORT_FILES)) + ([] if claims else [CLAIM_REPORT_FILE])
    for name in stale:
        (Path(directory) / name).unlink(missing_ok=True)


def evaluate_model_files(model_path, gold_paths: list, output, *, splits: list[str] | None = None):
    """Predict the themes of every labeled row of ``gold_paths`` with a bundle; write the report.

    Returns ``(metrics, report_path)``. Rows without ``themes`` are skipped (they
    carry no labels); rows with themes unknown to the model, a post labeled on two lines
    of one file and a file given twice are errors (each would count a post twice).
    """
    from classify.errors import InputError
    from classify.model import load_model
    from labels.records import read_labeled
    from training.data_files import require_distinct_files, require_one_labeling_per_post, source_names

    require_distinct_files(gold_paths)
    model = load_model(model_path)
    themes = model.themes_
    ids, texts, langs, groups, gold = [], [], [], [], []
    for path, group in zip(gold_paths, source_names(gold_paths)):
        records = [record for record in read_labeled(path) if record.themes is not None
                   and not (splits and record.split is not None and record.split not in splits)]
        require_one_labeling_per_post(records, path)
        for record in records:
            unknown = sorted(set(record.themes) - set(themes))
            if unknown:
                raise InputError(path, f"theme(s) {', '.join(unknown)} unknown to the model",
                                 location=f"line {record.source.rsplit(':', 1)[-1]}")
            ids.append(record.id)
            texts.append(record.text)
            langs.append(record.lang)
            groups.append(group)
            gold.append(record.themes)
    if not ids:
        raise InputError(", ".join(map(str, gold_paths)), "no rows with theme labels to evaluate")
    if any(lang is None for lang in langs):
        from classify.text.lang import detect_languages

        detected = detect_languages(texts)
        langs = [lang or guess for lang, guess in zip(langs, detected)]
    scores = model.predict_proba(texts, langs)
    predicted = model.predict_indicator(texts, langs, scores)
    truth = np.array([[theme in labels for theme in themes] for labels in gold])
    metrics = theme_metrics(truth, predicted, scores, themes, langs=langs,
                            groups=groups if len(set(groups)) > 1 else None, ids=ids, texts=texts)
    notes = (f"Model `{model_path}` on {', '.join(Path(p).name for p in gold_paths)}"
             + (f" (splits: {', '.join(splits)})" if splits else "") + ".")
    report = write_theme_report(metrics, output, title="Theme evaluation", notes=notes)
    return metrics, report
