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
# (n_features, char range, seed terms) -> the distinct words seen so far and their hashes
_caches: dict[tuple, "_WordCache"] = {}


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


_NO_SEEDS = ((), ())


class _WordCache:
    """Per distinct word: (hash, character n-gram buckets, seed matches, id); ids index ``grams``."""

    def __init__(self):
        self.words: dict[str, tuple] = {}
        self.grams: list[np.ndarray] = []

    def entries(self, tokens: list[str], describe) -> list[tuple]:
        entries = list(map(self.words.get, tokens))
        if None in entries:
            for position, entry in enumerate(entries):
                if entry is None:
                    token = tokens[position]
                    entry = self.words.get(token)
                    if entry is None:
                        word_hash, grams, seed_matches = describe(token)
                        entry = self.words[token] = (word_hash, None, seed_matches, len(self.grams))
                        self.grams.append(np.asarray(grams, dtype=np.int32))
                    entries[position] = entry
        return entries

    def gram_matrix(self, ids: np.ndarray, n_features: int) -> sp.csr_matrix:
        """Distinct words (``ids``) x character n-gram buckets, counts."""
        arrays = [self.grams[i] for i in ids.tolist()]
        indptr = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in arrays], out=indptr[1:])
        indices = np.concatenate(arrays) if arrays else np.zeros(0, np.int32)
        return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(arrays), n_features))


class _SeedIndex:
    """Seed terms as word prefixes: each distinct word is looked up once (cached), phrases word by word."""

    def __init__(self, groups: tuple[tuple[str, ...], ...]):
        self.single: dict[str, list[int]] = {}
        self.phrases: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
        phrase_groups: dict[tuple[str, ...], list[int]] = {}
        for index, terms in enumerate(groups):
            for term in terms:
                words = tuple(_TOKEN.findall(clean_text(term)))
                if len(words) == 1:
                    owners = self.single.setdefault(words[0], [])
                elif len(words) > 1:
                    owners = phrase_groups.setdefault(words, [])
                else:
                    continue
                if index not in owners:
                    owners.append(index)
        self.phrases = [(words, tuple(owners)) for words, owners in phrase_groups.items()]
        self.phrase_starts: dict[str, list[int]] = {}
        for index, (words, _) in enumerate(self.phrases):
            self.phrase_starts.setdefault(words[0], []).append(index)
        self.lengths = sorted({len(stem) for stem in self.single} | {len(stem) for stem in self.phrase_starts})

    def lookup(self, word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(groups of single-word stems that start ``word``, phrases whose first stem starts it)."""
        prefixes = {word[:size] for size in self.lengths if size <= len(word)}
        groups = tuple(sorted({g for prefix in prefixes for g in self.single.get(prefix, ())}))
        phrases = tuple(sorted(i for prefix in prefixes for i in self.phrase_starts.get(prefix, ())))
        return (groups, phrases) if groups or phrases else _NO_SEEDS

    def matches(self, tokens: list[str], entries: list, doc_of_word: np.ndarray) -> tuple[list[int], list[int]]:
        """(row, group) of every seed-term occurrence; ``entries[i][2]`` is ``lookup(tokens[i])``."""
        rows, groups = [], []
        flags = np.fromiter([entry[2] is not _NO_SEEDS for entry in entries], dtype=bool, count=len(entries))
        for position in np.flatnonzero(flags).tolist():
            single, phrases = entries[position][2]
            row = int(doc_of_word[position])
            for group in single:
                rows.append(row)
                groups.append(group)
            for phrase in phrases:
                words, owners = self.phrases[phrase]
                end = position + len(words)
                if end <= len(tokens) and doc_of_word[end - 1] == row and all(
                        tokens[position + k].startswith(words[k]) for k in range(1, len(words))):
                    rows.extend([row] * len(owners))
                    groups.extend(owners)
        return rows, groups


@functools.lru_cache(maxsize=8)
def _seed_index(groups: tuple[tuple[str, ...], ...]) -> _SeedIndex | None:
    return _SeedIndex(groups) if any(groups) else None


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
    def _counts(self, texts) -> list[sp.csr_matrix]:
        """Raw counts as three blocks: words and word bigrams, character n-grams, seed terms."""
        n = int(self.n_features)
        low, high = (int(v) for v in self.word_ngrams)
        if not 1 <= low <= high <= 2:
            raise ValueError(f"word_ngrams must lie within (1, 2), got {self.word_ngrams}")
        char_min, char_max = (int(v) for v in self.char_ngrams) if self.char_ngrams else (0, -1)
        seed_groups = tuple(tuple(group) for group in self.seed_terms or ())
        seeds = _seed_index(seed_groups)
        cache = _caches.get((n, char_min, char_max, seed_groups))
        if cache is None or len(cache.words) > _CACHE_LIMIT:
            cache = _caches[(n, char_min, char_max, seed_groups)] = _WordCache()
        n_seed = len(seed_groups)
        tokens, word_docs = [], []
        for text in texts:
            found = _TOKEN.findall(clean_text(text))
            tokens.extend(found)
            word_docs.append(len(found))
        n_rows = len(word_docs)
        entries = cache.entries(tokens, lambda token: (*_word_hashes(token, n, char_min, char_max),
                                                       seeds.lookup(token) if seeds is not None else _NO_SEEDS))
        doc_of_word = np.repeat(np.arange(n_rows, dtype=np.int64), word_docs)
        rows, cols = [], []
        hashes = np.array([entry[0] for entry in entries], dtype=np.uint64)
        if low == 1:
            cols.append((hashes % np.uint64(n)).astype(np.int64))
            rows.append(doc_of_word)
        if high == 2 and len(hashes) > 1:
            same_doc = doc_of_word[1:] == doc_of_word[:-1]
            pairs = (hashes[:-1] * _BIGRAM_MULTIPLIER) ^ (hashes[1:] + np.uint64(0x5BD1E995))
            cols.append((pairs[same_doc] % np.uint64(n)).astype(np.int64))
            rows.append(doc_of_word[1:][same_doc])
        if seeds is not None:
            seed_rows, seed_columns = seeds.matches(tokens, entries, doc_of_word)
            if seed_rows:
                rows.append(np.asarray(seed_rows, dtype=np.int64))
                cols.append(np.asarray(seed_columns, dtype=np.int64) + n)
        row_ids = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        col_ids = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        words = sp.csr_matrix((np.ones(len(col_ids)), (row_ids, col_ids)), shape=(n_rows, n + n_seed))
        words.sum_duplicates()
        chars = sp.csr_matrix((n_rows, n), dtype=np.float64)
        if char_max >= char_min and entries:
            # documents x distinct words of the chunk, times distinct words x character n-grams
            ids = np.array([entry[3] for entry in entries], dtype=np.int64)
            distinct, inverse = np.unique(ids, return_inverse=True)
            occurrences = sp.csr_matrix((np.ones(len(ids)), (doc_of_word, inverse.ravel())),
                                        shape=(n_rows, len(distinct)))
            # Sorted columns: the product's order follows the cache's word ids, which depend on what this
            # process tagged before; float sums downstream must not (same scores in every worker).
            chars = occurrences @ cache.gram_matrix(distinct, n)
            chars.sort_indices()
        return [words[:, :n], chars, words[:, n:]]

    # ------------------------------------------------------------------ estimator API
    def fit(self, X, y=None):
        """Learn inverse document frequencies from the texts ``X``."""
        texts = _texts(X)
        blocks = self._counts(texts)
        document_frequency = np.concatenate([np.bincount(block.indices, minlength=block.shape[1])
                                             for block in blocks])
        self.idf_ = (np.log((1 + len(texts)) / (1 + document_frequency)) + 1.0).astype(np.float32)
        self.n_features_out_ = sum(block.shape[1] for block in blocks)
        return self

    def transform_blocks(self, X) -> list[sp.csr_matrix]:
        """The three weighted blocks (words, characters, seed terms) of :meth:`transform`, float32 CSR each."""
        check_is_fitted(self, "idf_")
        blocks = self._counts(_texts(X))
        if sum(block.shape[1] for block in blocks) != self.n_features_out_:
            raise ValueError("seed_terms or n_features changed since fit")
        result, offset = [], 0
        for block, weight in zip(blocks, self.block_weights):
            idf = self.idf_[offset:offset + block.shape[1]]
            offset += block.shape[1]
            data = (1.0 + np.log(block.data)) * idf[block.indices]
            lengths = np.diff(block.indptr)
            rows = np.repeat(np.arange(block.shape[0]), lengths)
            norms = np.sqrt(np.bincount(rows, weights=data ** 2, minlength=block.shape[0]))
            norms[norms == 0] = 1.0
            data = data * (float(weight) / norms[rows])
            result.append(sp.csr_matrix((data.astype(np.float32), block.indices, block.indptr), shape=block.shape))
        return result

    def transform(self, X) -> sp.csr_matrix:
        """Sublinear TF-IDF, each block L2-normalised and weighted; float32 CSR."""
        return sp.hstack(self.transform_blocks(X), format="csr")


def _texts(X) -> list[str]:
    if isinstance(X, str):
        raise ValueError("expected a list of texts, got a single string")
    return ["" if text is None else str(text) for text in X]
