"""Fast hashed text features: word 1-2 grams, character n-grams inside words, taxonomy seed terms.

:class:`HashedTextFeatures` is a scikit-learn transformer. It produces the same
kind of features as ``HashingVectorizer(analyzer="word")`` plus
``HashingVectorizer(analyzer="char_wb")`` with sublinear TF-IDF, but works on
whole chunks with NumPy: each distinct word's hashes (the word and its character
n-grams) are computed once and cached, so a chunk costs a regex split, dictionary
look-ups and a few array operations. Hashes are CRC-32 (stable across runs and
processes, unlike Python's ``hash``).

Columns: ``[0, n_features)`` words and word bigrams, ``[n_features, 2 n_features)``
character n-grams, then one column per seed-term group (e.g. per theme) counting
the group's seed terms in the text, language independent, so a Russian and an
English post about the Arctic share a feature. Each block is L2-normalised on its
own and scaled by its weight.

>>> features = HashedTextFeatures(n_features=2 ** 10, seed_terms=[["арктик", "arctic"]]).fit(
...     ["Ледокол вышел в Арктику", "Курс рубля вырос"])
>>> matrix = features.transform(["Arctic shipping grows"])
>>> matrix.shape, bool(matrix[0, -1] > 0)
((1, 2049), True)
"""
from __future__ import annotations

import functools
import itertools
import re
import zlib

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from classify.text.normalize import remove_links

# Words: letters and digits; "_" separates (Telegram's __italic__ markers).
_TOKEN = re.compile(r"[^\W_]+")
_BIGRAM_MULTIPLIER = np.uint64(0x9E3779B1)
# Distinct words whose hashes are kept between chunks; cleared when full so memory stays bounded.
_CACHE_LIMIT = 500_000
_caches: dict[tuple, dict[str, tuple[int, tuple[int, ...]]]] = {}


def clean_text(text) -> str:
    """Lower-cased text without links, ``ё`` read as ``е``."""
    if not isinstance(text, str) or not text:
        return ""
    return remove_links(text).lower().replace("ё", "е")


def _word_hashes(word: str, n_features: int, char_min: int, char_max: int) -> tuple[int, tuple[int, ...]]:
    padded = f" {word} "
    grams = []
    for size in range(char_min, char_max + 1):
        grams.extend(zlib.crc32(padded[i:i + size].encode("utf-8")) % n_features
                     for i in range(len(padded) - size + 1))
    return zlib.crc32(word.encode("utf-8")), tuple(grams)


@functools.lru_cache(maxsize=8)
def _seed_pattern(groups: tuple[tuple[str, ...], ...]) -> tuple[re.Pattern | None, dict[str, list[int]]]:
    """One regex over every seed term; a term matches words that start with it (Russian endings vary)."""
    owners: dict[str, list[int]] = {}
    for index, terms in enumerate(groups):
        for term in terms:
            key = clean_text(term).strip()
            if key:
                owners.setdefault(key, [])
                if index not in owners[key]:
                    owners[key].append(index)
    if not owners:
        return None, owners
    alternatives = sorted(owners, key=len, reverse=True)
    pattern = re.compile(r"\b(" + "|".join(r"\s+".join(map(re.escape, a.split())) for a in alternatives) + r")\w*")
    return pattern, owners


def seed_stem(term: str) -> str:
    """The prefix of a seed term that matches its inflected forms: long words lose their last two letters."""
    return " ".join(word[:-2] if len(word) > 5 else word for word in clean_text(term).split())


class HashedTextFeatures(TransformerMixin, BaseEstimator):
    """Word, character and seed-term features of texts, TF-IDF weighted and L2-normalised per block.

    Parameters
    ----------
    n_features : int
        Hash buckets per block (words, characters).
    word_ngrams : (int, int)
        Word n-gram range; 1 and 2 are supported.
    char_ngrams : (int, int) or None
        Character n-gram range inside space-padded words (like ``char_wb``); None disables.
    seed_terms : list of list of str or None
        Groups of seed terms (one group per theme); each group becomes one column.
    block_weights : (float, float, float)
        Weights of the word, character and seed-term blocks.
    """

    def __init__(self, *, n_features: int = 2 ** 18, word_ngrams=(1, 2), char_ngrams=(3, 5),
                 seed_terms=None, block_weights=(1.0, 1.0, 1.0)):
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.seed_terms = seed_terms
        self.block_weights = block_weights

    # ------------------------------------------------------------------ counting
    def _counts(self, texts) -> sp.csr_matrix:
        n = int(self.n_features)
        low, high = (int(v) for v in self.word_ngrams)
        if not 1 <= low <= high <= 2:
            raise ValueError(f"word_ngrams must lie within (1, 2), got {self.word_ngrams}")
        char_min, char_max = (int(v) for v in self.char_ngrams) if self.char_ngrams else (0, -1)
        cache = _caches.setdefault((n, char_min, char_max), {})
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        pattern, owners = _seed_pattern(tuple(tuple(group) for group in self.seed_terms or ()))
        n_seed = len(self.seed_terms or [])
        rows, cols = [], []
        tokens, word_docs = [], []
        for row, text in enumerate(texts):
            cleaned = clean_text(text)
            found = _TOKEN.findall(cleaned)
            tokens.extend(found)
            word_docs.append(len(found))
            if pattern is not None and found:
                seeds = [index for match in pattern.finditer(cleaned) for index in owners[match.group(1)]]
                if seeds:
                    cols.append(np.asarray(seeds, dtype=np.int64) + 2 * n)
                    rows.append(np.full(len(seeds), row, dtype=np.int64))
        entries = list(map(cache.get, tokens))
        if None in entries:
            for position, entry in enumerate(entries):
                if entry is None:
                    token = tokens[position]
                    entry = entries[position] = cache.get(token)
                    if entry is None:
                        entry = entries[position] = cache[token] = _word_hashes(token, n, char_min, char_max)
        doc_of_word = np.repeat(np.arange(len(word_docs), dtype=np.int64), word_docs)
        word_hashes = [entry[0] for entry in entries]
        if char_max >= char_min:
            grams = [entry[1] for entry in entries]
            lengths = np.fromiter(map(len, grams), dtype=np.int64, count=len(grams))
            cols.append(np.fromiter(itertools.chain.from_iterable(grams), dtype=np.int64,
                                    count=int(lengths.sum())) + n)
            rows.append(np.repeat(doc_of_word, lengths))
        hashes = np.asarray(word_hashes, dtype=np.uint64)
        if low == 1:
            cols.append((hashes % np.uint64(n)).astype(np.int64))
            rows.append(doc_of_word)
        if high == 2 and len(hashes) > 1:
            same_doc = doc_of_word[1:] == doc_of_word[:-1]
            pairs = (hashes[:-1] * _BIGRAM_MULTIPLIER) ^ (hashes[1:] + np.uint64(0x5BD1E995))
            cols.append((pairs[same_doc] % np.uint64(n)).astype(np.int64))
            rows.append(doc_of_word[1:][same_doc])
        n_rows = len(word_docs)
        shape = (n_rows, 2 * n + n_seed)
        if not cols:
            return sp.csr_matrix(shape, dtype=np.float64)
        row_ids = np.concatenate(rows)
        col_ids = np.concatenate(cols)
        counts = sp.csr_matrix((np.ones(len(col_ids), dtype=np.float64), (row_ids, col_ids)), shape=shape)
        counts.sum_duplicates()
        return counts

    def _blocks(self, matrix: sp.csr_matrix) -> np.ndarray:
        n = int(self.n_features)
        return np.searchsorted(np.array([n, 2 * n]), matrix.indices, side="right")

    # ------------------------------------------------------------------ estimator API
    def fit(self, X, y=None):
        """Learn inverse document frequencies from the texts ``X``."""
        texts = _texts(X)
        counts = self._counts(texts)
        document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
        self.idf_ = (np.log((1 + len(texts)) / (1 + document_frequency)) + 1.0).astype(np.float32)
        self.n_features_out_ = counts.shape[1]
        return self

    def transform(self, X) -> sp.csr_matrix:
        """Sublinear TF-IDF, each block L2-normalised and weighted; float32 CSR."""
        check_is_fitted(self, "idf_")
        matrix = self._counts(_texts(X))
        if matrix.shape[1] != self.n_features_out_:
            raise ValueError("seed_terms or n_features changed since fit")
        matrix.data = (1.0 + np.log(matrix.data)) * self.idf_[matrix.indices]
        blocks = self._blocks(matrix)
        row_ids = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
        norms = np.sqrt(np.bincount(row_ids * 3 + blocks, weights=matrix.data ** 2,
                                    minlength=3 * matrix.shape[0])).reshape(-1, 3)
        norms[norms == 0] = 1.0
        weights = np.asarray(self.block_weights, dtype=np.float64)
        matrix.data = matrix.data * weights[blocks] / norms[row_ids, blocks]
        return matrix.astype(np.float32)


def _texts(X) -> list[str]:
    if isinstance(X, str):
        raise ValueError("expected a list of texts, got a single string")
    return ["" if text is None else str(text) for text in X]
