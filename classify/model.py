"""The tagging model: a loaded bundle with a ``themes`` component (and optionally ``claims``).

>>> from classify import load_model
>>> model = load_model()                                    # models/default   # doctest: +SKIP
>>> model.predict(["Ледокол «Арктика» вышел в рейс по Севморпути"])       # doctest: +SKIP
[['arctic', 'economy']]
>>> model.predict_scores(["NATO drills in the Baltic"])[0]["security"]    # doctest: +SKIP
0.97
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from classify.bundle import Bundle, load_bundle
from classify.errors import ModelError


class TaggingModel:
    """Theme (and claim) predictions of one bundle.

    ``predict`` returns, per text, the theme ids whose calibrated score reaches the
    theme's threshold; ``predict_scores`` returns every theme's score (0-1, calibrated:
    0.8 means that about 80% of such texts carry the theme). ``langs`` ('ru', 'en',
    ...) selects language-specific calibration; when omitted it is detected.
    """

    def __init__(self, bundle: Bundle):
        if "themes" not in bundle.components:
            raise ModelError(f"{bundle.path}: the bundle has no 'themes' component")
        self.bundle = bundle
        self.path = bundle.path
        self.components = bundle.components
        self.themes = bundle.components["themes"]
        self.themes_ = list(self.themes.classes_)
        meta = bundle.component_metadata("themes")
        self.taxonomy = meta.get("taxonomy", {})
        self.name = bundle.metadata.get("name") or Path(bundle.path).name

    @property
    def has_claims(self) -> bool:
        return "claims" in self.components

    @property
    def metadata(self) -> dict:
        return self.bundle.metadata

    @property
    def thresholds_(self) -> dict[str, float]:
        """Per-theme thresholds used when the language is unknown."""
        return self.themes.thresholds_for()

    @staticmethod
    def _texts(texts) -> list[str]:
        if isinstance(texts, str):
            return [texts]
        return ["" if text is None or text != text else str(text) for text in texts]

    def _langs(self, texts: list[str], langs) -> list[str]:
        if langs is None:
            from classify.text.lang import detect_languages

            return detect_languages(texts)
        langs = [langs] * len(texts) if isinstance(langs, str) else [str(lang) for lang in langs]
        if len(langs) != len(texts):
            raise ValueError(f"{len(langs)} languages given for {len(texts)} texts")
        return langs

    def predict_proba(self, texts: Sequence[str] | str, langs=None) -> np.ndarray:
        """Calibrated scores, one row per text, columns in ``themes_`` order (0 for a text without words)."""
        texts = self._texts(texts)
        if not texts:
            return np.zeros((0, len(self.themes_)))
        scores = self.themes.predict_proba(texts, self._langs(texts, langs))
        # a blank text scores its intercepts alone, which can pass a threshold; classify tag gives it no themes
        scores[_blank(texts)] = 0.0
        return scores

    def predict_indicator(self, texts: Sequence[str] | str, langs=None, probabilities=None) -> np.ndarray:
        """Boolean (texts x themes) matrix of themes over their thresholds; reuses ``probabilities`` when given."""
        texts = self._texts(texts)
        if not texts:
            return np.zeros((0, len(self.themes_)), dtype=bool)
        indicator = self.themes.predict_indicator(texts, self._langs(texts, langs), probabilities)
        indicator[_blank(texts)] = False
        return indicator

    def predict(self, texts: Sequence[str] | str, langs=None) -> list[list[str]]:
        """Theme ids over their thresholds, one list per text (a single string gives a list with one list);
        none for a text without words."""
        indicator = self.predict_indicator(texts, langs)
        themes = [[] for _ in range(len(indicator))]
        for row, column in zip(*(index.tolist() for index in np.nonzero(indicator))):  # one pass, not one per row
            themes[row].append(self.themes_[column])
        return themes

    def predict_scores(self, texts: Sequence[str] | str, langs=None) -> list[dict[str, float]]:
        """``{theme: score}`` per text, scores rounded to 4 decimals."""
        scores = np.round(self.predict_proba(texts, langs), 4)
        return [dict(zip(self.themes_, row.tolist())) for row in scores]


def _blank(texts: list[str]) -> np.ndarray:
    return np.array([not text.strip() for text in texts], dtype=bool)


def load_model(path=None) -> TaggingModel:
    """Load a model bundle folder (``models/default`` when ``path`` is None)."""
    if path is None:
        from models import DEFAULT_MODEL_DIR

        path = DEFAULT_MODEL_DIR
    return TaggingModel(load_bundle(path))
