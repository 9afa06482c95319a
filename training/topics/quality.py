"""Topic quality: NPMI coherence and topic diversity, measured on the corpus itself.

Both models being compared are scored against one reference: every post as the
set of Snowball stems of its words (stop words kept, so a topic made of stop
words scores as poorly as it reads). A topic word counts in a post when all the
stems of the word (or n-gram) are in it.
"""
from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

import numpy as np
from scipy import sparse

_WORD = re.compile(r"[^\W_]{2,}")


class ReferenceCorpus:
    """Document-level occurrence of stems, for coherence scores."""

    def __init__(self, texts: Iterable[str]):
        from training.topics.preprocess import _stemmers

        self._russian, self._english = _stemmers()
        self._cache: dict[str, str] = {}
        vocabulary: dict[str, int] = {}
        rows, cols = [], []
        n_docs = 0
        for row, text in enumerate(texts):
            ids = {vocabulary.setdefault(self.stem(w), len(vocabulary)) for w in _WORD.findall(str(text).lower())}
            rows.extend([row] * len(ids))
            cols.extend(ids)
            n_docs = row + 1
        self.vocabulary = vocabulary
        self.n_docs = n_docs
        data = np.ones(len(rows), dtype=np.float32)
        self.matrix = sparse.csc_matrix((data, (rows, cols)), shape=(n_docs, len(vocabulary)))

    def stem(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            word = word.replace("ё", "е")
            stemmer = self._english if word[0] <= "z" else self._russian
            stem = self._cache[word] = stemmer.stemWord(word)
        return stem

    def occurrence(self, term: str) -> np.ndarray | None:
        """Boolean vector of the posts containing every word of ``term``; None when a word never occurs."""
        column = None
        for word in _WORD.findall(term.lower()):
            index = self.vocabulary.get(self.stem(word))
            if index is None:
                return None
            present = self.matrix[:, index].toarray().ravel() > 0
            column = present if column is None else column & present
        return column


def npmi_coherence(topics: Sequence[Sequence[str]], reference: ReferenceCorpus, top_n: int = 10) -> float:
    """Mean NPMI over word pairs of the top ``top_n`` words of each topic, averaged over topics.

    A pair that never co-occurs scores -1; a word absent from the corpus makes all its pairs -1.
    """
    scores = []
    for words in topics:
        columns = [reference.occurrence(word) for word in list(words)[:top_n]]
        pair_scores = []
        for i in range(len(columns)):
            for j in range(i + 1, len(columns)):
                pair_scores.append(_npmi(columns[i], columns[j], reference.n_docs))
        if pair_scores:
            scores.append(float(np.mean(pair_scores)))
    return float(np.mean(scores)) if scores else float("nan")


def _npmi(a: np.ndarray | None, b: np.ndarray | None, n_docs: int) -> float:
    if a is None or b is None:
        return -1.0
    joint = int(np.count_nonzero(a & b))
    if joint == 0:
        return -1.0
    p_a, p_b, p_ab = a.sum() / n_docs, b.sum() / n_docs, joint / n_docs
    if p_ab >= 1.0:
        return 1.0
    return float(math.log(p_ab / (p_a * p_b)) / -math.log(p_ab))


def topic_diversity(topics: Sequence[Sequence[str]], top_n: int = 10) -> float:
    """Share of unique words among the top ``top_n`` words of all topics (1.0 = no word repeated)."""
    words = [word for topic in topics for word in list(topic)[:top_n]]
    return len(set(words)) / len(words) if words else float("nan")
