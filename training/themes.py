"""The multi-label theme classifier: hashed word/character/seed-term features, one logistic regression per theme.

Scores are calibrated per theme (and per language where it has enough examples)
with Platt scaling fitted on out-of-fold decision values, so a score of 0.8 means
that about 80% of such posts carry the theme. Each theme's decision threshold is
the one that maximises F1 on the same out-of-fold scores: the training data alone
decides it, never the evaluation data.

>>> texts = ["Учения флота в Арктике", "Arctic shipping on the Northern Sea Route", "Курс рубля упал",
...          "Oil prices rise", "Ледокол прошёл Севморпуть", "Инфляция ускорилась"] * 3
>>> labels = [["arctic"], ["arctic"], ["economy"], ["economy"], ["arctic"], ["economy"]] * 3
>>> model = ThemeClassifier(themes=["arctic", "economy"], n_features=2 ** 12, cv_folds=3).fit(texts, labels)
>>> model.predict(["Новый ледокол для Арктики"])
[['arctic']]
"""
from __future__ import annotations

import weakref

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from training.features import HashedTextFeatures
from training.word_vectors import load_word_vectors, mean_of, word_table

POOLED = "*"
# Per fitted model, its coefficients as float32 blocks (kept out of the estimator so bundles do not store them).
_block_weights_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# Default of ``min_language_positives`` (the value before it was a parameter).
MIN_LANGUAGE_POSITIVES = 8


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -35.0, 35.0)))


def best_f1_threshold(scores: np.ndarray, truth: np.ndarray) -> float:
    """The score cut (midpoint between neighbouring scores) with the highest F1 on these examples."""
    truth = truth.astype(bool)
    if not truth.any():
        return 1.0
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], truth[order]
    true_positives = np.cumsum(hits)
    predicted = np.arange(1, len(ranked) + 1)
    f1 = 2 * true_positives / (predicted + truth.sum())
    # Only cut between distinct scores.
    last_of_run = np.append(ranked[1:] != ranked[:-1], True)
    f1 = np.where(last_of_run, f1, -1.0)
    best = int(np.argmax(f1))
    below = ranked[best + 1] if best + 1 < len(ranked) else ranked[best] - 1e-3
    return float((ranked[best] + below) / 2)


class ThemeClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label theme classifier with calibrated scores and per-theme thresholds.

    Parameters
    ----------
    themes : list of str or None
        Theme ids, in output order; None uses the sorted themes seen in ``y``.
    seed_terms : list of list of str or None
        Seed-term stems per theme (same order as ``themes``), as extra features.
    C : float
        Inverse regularisation of each theme's logistic regression.
    n_features, word_ngrams, char_ngrams, block_weights
        Passed to :class:`training.features.HashedTextFeatures`.
    min_df : int
        Word and character buckets seen in fewer training texts are ignored (see
        :class:`training.features.HashedTextFeatures`).
    class_weight : "balanced" or None
        Class weights of each theme's logistic regression.
    min_language_positives : int
        A language (or language:length group) gets its own calibration and threshold for a
        theme only with this many positive training texts; otherwise it uses its parent's
        (pooled over all languages at the top). Large values pool more: thresholds from more
        texts are steadier.
    length_split : int
        When > 0, texts shorter than this many characters are calibrated apart from longer
        ones of the same language (one-line claims and long articles score differently).
    cv_folds : int
        Folds of the cross-validation that yields out-of-fold scores for calibration and thresholds.
    random_state : int
        Seed of the fold split.
    word_vectors : str or None
        Pretrained word vectors whose mean over a text's known words is an extra dense block
        (:data:`training.word_vectors.NAVEC_NEWS`); None: no such block. Fitting needs them
        installed; a fitted model keeps each vocabulary word's theme scores instead
        (``word_hashes_``, ``word_scores_``), so predicting does not.
    word_vector_weight : float
        Scale of that block against the hashed features.
    """

    def __init__(self, *, themes=None, seed_terms=None, C: float = 4.0, n_features: int = 2 ** 18,
                 word_ngrams=(1, 2), char_ngrams=(3, 5), block_weights=(1.0, 1.0, 1.0),
                 class_weight="balanced", length_split: int = 0, cv_folds: int = 3, random_state: int = 0,
                 min_df: int = 1, min_language_positives: int = MIN_LANGUAGE_POSITIVES,
                 word_vectors: str | None = None, word_vector_weight: float = 1.0):
        self.themes = themes
        self.seed_terms = seed_terms
        self.C = C
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.block_weights = block_weights
        self.class_weight = class_weight
        self.length_split = length_split
        self.cv_folds = cv_folds
        self.random_state = random_state
        self.min_df = min_df
        self.min_language_positives = min_language_positives
        self.word_vectors = word_vectors
        self.word_vector_weight = word_vector_weight

    # ------------------------------------------------------------------ fitting
    def _indicator(self, y) -> np.ndarray:
        if isinstance(y, np.ndarray) and y.ndim == 2:
            if y.shape[1] != len(self.classes_):
                raise ValueError(f"y has {y.shape[1]} columns for {len(self.classes_)} themes")
            return (y > 0).astype(np.int8)
        index = {theme: j for j, theme in enumerate(self.classes_)}
        matrix = np.zeros((len(y), len(self.classes_)), dtype=np.int8)
        for i, labels in enumerate(y):
            if isinstance(labels, str):
                raise ValueError(f"y[{i}] must be a list of theme ids, not the string {labels!r}")
            for theme in labels:
                if theme not in index:
                    raise ValueError(f"y[{i}]: unknown theme {theme!r} (themes: {', '.join(self.classes_)})")
                matrix[i, index[theme]] = 1
        return matrix

    def _fit_linear(self, Z, Y, weights) -> tuple[np.ndarray, np.ndarray]:
        coef = np.zeros((Y.shape[1], Z.shape[1]), dtype=np.float64)
        intercept = np.full(Y.shape[1], -10.0)
        for j in range(Y.shape[1]):
            if 0 < Y[:, j].sum() < len(Y):
                model = LogisticRegression(C=self.C, class_weight=self.class_weight, solver="liblinear", dual=True,
                                           max_iter=2000, random_state=self.random_state)
                model.fit(Z, Y[:, j], sample_weight=weights)
                coef[j], intercept[j] = model.coef_[0], model.intercept_[0]
        return coef, intercept

    def fit(self, X, y, *, sample_weight=None, langs=None, idf_texts=None):
        """Fit on texts ``X`` and theme lists (or an indicator matrix) ``y``.

        ``langs`` (one code per text) lets calibration and thresholds differ by
        language; ``idf_texts`` are extra unlabeled texts for the IDF weights.
        """
        if isinstance(X, str):
            raise ValueError("X must be a list of texts, not a single string")
        X = ["" if text is None else str(text) for text in X]
        if len(X) != len(y):
            raise ValueError(f"X has {len(X)} texts but y has {len(y)} label lists")
        if len(X) < self.cv_folds:
            raise ValueError(f"need at least cv_folds={self.cv_folds} texts")
        if self.themes is not None:
            self.classes_ = list(self.themes)
        else:
            self.classes_ = sorted({t for labels in y for t in labels}) if not isinstance(y, np.ndarray) else None
            if self.classes_ is None:
                raise ValueError("pass themes=... when y is an indicator matrix")
        Y = self._indicator(y)
        weights = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        keys = self._group_keys(X, langs)
        seeds = None if self.seed_terms is None else [list(group) for group in self.seed_terms]
        self.features_ = HashedTextFeatures(n_features=self.n_features, word_ngrams=tuple(self.word_ngrams),
                                            char_ngrams=None if self.char_ngrams is None else tuple(self.char_ngrams),
                                            seed_terms=seeds, block_weights=tuple(self.block_weights),
                                            min_df=int(self.min_df))
        self.features_.fit(X + list(idf_texts or []))
        Z, occurrences = self.features_.transform_and_words(X)
        if self.word_vectors is not None:
            words, vectors, self.word_vectors_sha256_ = load_word_vectors(self.word_vectors)
            table_hashes, vectors = word_table(words, vectors)
            mean_vectors = mean_of(occurrences, table_hashes, vectors)
            Z = sp.hstack([Z, sp.csr_matrix(mean_vectors * float(self.word_vector_weight))], format="csr")
        out_of_fold = np.zeros(Y.shape)
        folds = KFold(n_splits=self.cv_folds, shuffle=True, random_state=self.random_state)
        for train, held in folds.split(Z):
            coef, intercept = self._fit_linear(Z[train], Y[train], weights[train])
            out_of_fold[held] = Z[held] @ coef.T + intercept
        self._calibrate(out_of_fold, Y, keys)
        coef, intercept = self._fit_linear(Z, Y, weights)
        if self.word_vectors is not None:
            hashed = Z.shape[1] - vectors.shape[1]
            coef, vector_coef = coef[:, :hashed], coef[:, hashed:] * float(self.word_vector_weight)
            self.word_hashes_ = table_hashes
            self.word_scores_ = (vectors @ vector_coef.T.astype(np.float32)).astype(np.float16)
        # Half precision keeps the bundle small (10 themes x 2^19 columns: 10 MB); scores move by < 1e-3.
        self.coef_ = coef.astype(np.float16)
        self.intercept_ = intercept
        self.n_training_texts_ = len(X)
        return self

    def _group_keys(self, X, langs) -> list[str]:
        """Calibration group of each text: its language, and with ``length_split`` also short/long."""
        n = len(X)
        if langs is None:
            langs = [POOLED] * n
        elif isinstance(langs, str):
            langs = [langs] * n
        if len(langs) != n:
            raise ValueError(f"langs has {len(langs)} entries for {n} texts")
        langs = [str(lang or POOLED) for lang in langs]
        split = getattr(self, "length_split", 0)  # absent in bundles saved before the parameter existed
        if not split:
            return langs
        return [lang if lang == POOLED else f"{lang}:{'long' if len(text) >= split else 'short'}"
                for lang, text in zip(langs, X)]

    @staticmethod
    def _fallback(key: str) -> str:
        return key.split(":")[0] if ":" in key else POOLED

    def _calibrate(self, scores, Y, keys) -> None:
        """Platt scaling and F1-best threshold per theme and group; a group with too few positives of a
        theme takes its parent's (language:length -> language -> pooled)."""
        keys = np.asarray(keys)
        langs = np.array([self._fallback(k) if ":" in k else k for k in keys])
        groups = [POOLED] + sorted(set(langs) - {POOLED}) + sorted(set(keys) - set(langs) - {POOLED})
        self.languages_ = groups
        n_themes = Y.shape[1]
        self.platt_ = np.tile(np.array([1.0, 0.0]), (len(groups), n_themes, 1))
        self.thresholds_ = np.full((len(groups), n_themes), 0.5)
        for g, group in enumerate(groups):
            rows = (np.ones(len(keys), bool) if group == POOLED
                    else (keys == group) if ":" in group else (langs == group))
            parent = groups.index(self._fallback(group)) if group != POOLED else None
            for j in range(n_themes):
                positives = Y[rows, j].sum()
                if parent is not None and positives < self.min_language_positives:
                    self.platt_[g, j] = self.platt_[parent, j]
                    self.thresholds_[g, j] = self.thresholds_[parent, j]
                    continue
                if positives == 0 or positives == rows.sum():
                    self.thresholds_[g, j] = 1.0 if positives == 0 else 0.0
                    continue
                # Unweighted: calibration and thresholds describe posts as they come, whatever the
                # training weight of their source.
                platt = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
                platt.fit(scores[rows, j:j + 1], Y[rows, j])
                self.platt_[g, j] = (platt.coef_[0, 0], platt.intercept_[0])
                calibrated = _sigmoid(self.platt_[g, j, 0] * scores[rows, j] + self.platt_[g, j, 1])
                self.thresholds_[g, j] = best_f1_threshold(calibrated, Y[rows, j])

    # ------------------------------------------------------------------ prediction
    def _groups(self, X, langs) -> np.ndarray:
        index = {group: g for g, group in enumerate(self.languages_)}
        result = []
        for key in self._group_keys(X, langs):
            while key not in index:
                key = self._fallback(key)
            result.append(index[key])
        return np.array(result, dtype=np.int64)

    def decision_function(self, X) -> np.ndarray:
        check_is_fitted(self, "coef_")
        if isinstance(X, str):
            X = [X]
        scores = np.zeros((len(X), len(self.classes_)), dtype=np.float32)
        blocks, words = self.features_.scaled_blocks_and_words(X)
        # Block by block (cheaper than stacking them), each block's row normalisation applied to its scores.
        for (block, factors), weights in zip(blocks, self._block_weights()):
            scores += (block @ weights) * factors[:, None].astype(np.float32)
        if getattr(self, "word_scores_", None) is not None:  # absent in bundles saved before word vectors
            scores += mean_of(words, self.word_hashes_, self.word_scores_)
        return scores.astype(np.float64) + self.intercept_

    def _block_weights(self) -> list[np.ndarray]:
        """``coef_`` per feature block as float32 (features x themes), converted once per fitted model."""
        cached = _block_weights_cache.get(self)
        if cached is None or cached[0] is not self.coef_:
            blocks, offset = [], 0
            for width in self.features_.block_widths():
                blocks.append(np.ascontiguousarray(self.coef_[:, offset:offset + width].T, dtype=np.float32))
                offset += width
            cached = _block_weights_cache[self] = (self.coef_, blocks)
        return cached[1]

    def predict_proba(self, X, langs=None) -> np.ndarray:
        """Calibrated probability of each theme (columns in ``classes_`` order)."""
        X = [X] if isinstance(X, str) else list(X)
        scores = self.decision_function(X)
        platt = self.platt_[self._groups(X, langs)]
        return _sigmoid(platt[..., 0] * scores + platt[..., 1])

    def predict_indicator(self, X, langs=None, probabilities=None) -> np.ndarray:
        """Boolean (texts x themes) matrix of themes over their thresholds (pass ``probabilities`` to reuse them)."""
        X = [X] if isinstance(X, str) else list(X)
        probabilities = self.predict_proba(X, langs) if probabilities is None else probabilities
        return probabilities >= self.thresholds_[self._groups(X, langs)]

    def predict(self, X, langs=None) -> list[list[str]]:
        """Theme ids over their thresholds, per text (a single string gives one list in a list)."""
        indicator = self.predict_indicator(X, langs)
        themes = [[] for _ in range(len(indicator))]
        for row, column in zip(*(index.tolist() for index in np.nonzero(indicator))):  # one pass, not one per row
            themes[row].append(self.classes_[column])
        return themes

    def thresholds_for(self, group: str = POOLED) -> dict[str, float]:
        """Per-theme thresholds of a calibration group (``'ru'``, ``'en:long'``, ``'*'``)."""
        check_is_fitted(self, "thresholds_")
        while group not in self.languages_:
            group = self._fallback(group)
        g = self.languages_.index(group)
        return {theme: float(self.thresholds_[g, j]) for j, theme in enumerate(self.classes_)}
