import json

import numpy as np
import pytest

from training.evaluate import calibration_table, theme_metrics, write_theme_report

THEMES = ["a", "b", "c"]
TRUTH = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]], dtype=bool)
PREDICTED = np.array([[1, 0, 0], [1, 0, 1], [0, 1, 0], [0, 0, 0]], dtype=bool)
SCORES = np.array([[0.9, 0.1, 0.1], [0.8, 0.4, 0.6], [0.2, 0.7, 0.1], [0.1, 0.2, 0.3]])


def test_metrics_by_hand():
    metrics = theme_metrics(TRUTH, PREDICTED, SCORES, THEMES, langs=["ru", "ru", "en", "en"], ids=list("wxyz"))
    overall = metrics["overall"]
    # a: tp 2 fp 0 fn 0; b: tp 1 fn 1; c: fp 1 -> micro P 3/4, R 3/4.
    assert overall["micro"]["f1"] == pytest.approx(0.75)
    assert overall["per_theme"]["b"] == {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(0.6667, abs=1e-4),
                                         "support": 2, "predicted": 1}
    # Macro over the themes present in the gold set (a, b), not c.
    assert overall["macro"]["themes"] == 2
    assert overall["macro"]["f1"] == pytest.approx((1.0 + 2 / 3) / 2, abs=1e-4)
    # Top-scoring theme is gold for the three labeled posts.
    assert overall["top1_in_gold"] == 1.0
    assert metrics["per_language"]["en"]["records"] == 2
    assert metrics["cooccurrence"]["b"] == {"a": 1, "b": 1, "c": 1}
    assert metrics["worst_errors"][0]["id"] == "x"
    assert metrics["worst_errors"][0]["missed"] == {"b": 0.4} and metrics["worst_errors"][0]["extra"] == {"c": 0.6}


def test_calibration_table():
    table = calibration_table(np.array([[1], [0], [1], [1]]), np.array([[0.95], [0.05], [0.9], [0.85]]))
    assert sum(row["count"] for row in table["bins"]) == 4
    assert table["ece"] == pytest.approx((0.05 + 0.1 + 0.15 + 0.05) / 4, abs=1e-4)


def test_report_files(tmp_path):
    metrics = theme_metrics(TRUTH, PREDICTED, SCORES, THEMES, langs=["ru", "ru", "en", "en"],
                            texts=["один", "два", "three", "four"])
    report = write_theme_report(metrics, tmp_path / "report")
    assert json.loads((tmp_path / "report" / "metrics.json").read_text())["overall"]["records"] == 4
    text = report.read_text()
    assert "| all | 4 | 0.750 |" in text and "Worst errors" in text
    for name in ("f1_by_theme.png", "calibration.png"):
        assert (tmp_path / "report" / name).read_bytes()[:4] == b"\x89PNG"


def test_shape_mismatch():
    with pytest.raises(ValueError):
        theme_metrics(TRUTH, PREDICTED[:2], SCORES, THEMES)
