"""Fast hashed text features: word 1-2 grams, character n-grams inside words, taxonomy seed terms.

:class:`HashedTextFeatures` is a scikit-learn transformer. It produces the same
kind of features as ``HashingVectorizer(analyzer="word")`` plus
``HashingVectorizer(analyzer="char_wb")`` with sublinear TF-IDF, but works on
whole chunks with NumPy and no per-word Python: a chunk's cleaned text becomes
one array of code points; words are the runs of letters and digits; every word,
every character n-gram of the space-padded words and every seed-term prefix gets
the same polynomial hash (sum of code point i times base**i, uint64 arithmetic,
from prefix sums or rolling sums, so a string's hash does not depend on where it
sits in the chunk), mixed and reduced to a bucket. Character n-grams and seed
terms are worked out once per distinct word of the chunk, then summed per text
with a sparse product. Hashes are stable across runs, processes and chunkings
(unlike Python's ``hash``).

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
import re
from typing import NamedTuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from classify.text.normalize import remove_links

# Words: letters and digits (``str.isalnum``); "_" separates (Telegram's __italic__ markers).
_TOKEN = re.compile(r"[^\W_]+")
_BASE = 0x100000001B3  # odd, so invertible modulo 2**64
_BASE_INVERSE = pow(_BASE, -1, 2 ** 64)
_BIGRAM_MULTIPLIER = np.uint64(0x9E3779B1)
_BIGRAM_OFFSET = np.uint64(0x5BD1E995)
_WORD_SALT = np.uint64(0x2545F4914F6CDD1D)
_SPACE = 32
# Between texts of a chunk: no word character, so no word spans two texts; NUL marks the bound.
_SEPARATOR = "\n\x00"
_DOTTED_CAPITAL_I = "\u0130"
_SEEN_BITS = 16


def clean_text(text) -> str:
    """Lower-cased text without links, ``ё`` read as ``е``."""
    if not isinstance(text, str) or not text:
        return ""
    return remove_links(text).lower().replace("ё", "е")


@functools.cache
def _character_tables() -> tuple[np.ndarray, np.ndarray]:
    """For every code point of the Basic Multilingual Plane: its lower case as :func:`clean_text` makes it
    (``ё`` -> ``е``; "İ" is left to the slow path), and whether it is a word character (``isalnum``)."""
    chars = [chr(c) for c in range(0x10000)]
    lower = np.array([ord(c.lower()) if c != _DOTTED_CAPITAL_I else ord(c) for c in chars], dtype=np.uint32)
    lower[[ord("ё"), ord("Ё")]] = ord("е")
    return lower, np.array([c.isalnum() for c in chars], dtype=bool)


class _Powers:
    """``base ** i`` and ``base ** -i`` modulo 2**64 for i < length, grown on demand (same values every time)."""

    def __init__(self):
        self.forward = np.ones(1, dtype=np.uint64)
        self.inverse = np.ones(1, dtype=np.uint64)

    def upto(self, length: int) -> tuple[np.ndarray, np.ndarray]:
        if length > len(self.forward):
            size = max(length, 2 * len(self.forward))
            for name, base in (("forward", _BASE), ("inverse", _BASE_INVERSE)):
                values = np.full(size, base, dtype=np.uint64)
                values[0] = 1
                setattr(self, name, np.cumprod(values))  # wraps modulo 2**64, as intended
        return self.forward[:length], self.inverse[:length]


_powers = _Powers()


def _mix(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser: every input bit reaches the low bits that pick the bucket."""
    values = values ^ (values >> np.uint64(33))
    values *= np.uint64(0xFF51AFD7ED558CCD)
    values ^= values >> np.uint64(33)
    values *= np.uint64(0xC4CEB9FE1A85EC53)
    values ^= values >> np.uint64(33)
    return values


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def polynomial_hash(text: str) -> int:
    """The raw (unmixed) polynomial hash the chunk code gives ``text``: sum of code point i times base**i."""
    forward, _ = _powers.upto(len(text))
    return int(np.sum(_code_points(text).astype(np.uint64) * forward, dtype=np.uint64))


class _Chunk:
    """The words of a chunk of texts (cleaned as by :func:`clean_text`) and the prefix sums that hash any
    part of them."""

    def __init__(self, texts: list[str]):
        # Cleaned as one string: links text by text, lower-casing code point by code point through a table.
        joined = _SEPARATOR.join([remove_links(text) for text in texts])
        original = _code_points(joined)
        lower, is_word = _character_tables()
        high = np.flatnonzero(original > 0xFFFF)
        clipped = np.minimum(original, 0xFFFF)
        points, is_word = lower[clipped], is_word[clipped]
        if len(high):  # outside the BMP (emoji, rare scripts): per distinct code point
            distinct, inverse = np.unique(original[high], return_inverse=True)
            chars = [chr(c) for c in distinct.tolist()]
            points[high] = np.array([ord(c.lower()) for c in chars], dtype=np.uint32)[inverse]
            is_word[high] = np.array([c.isalnum() for c in chars], dtype=bool)[inverse]
        separators = np.flatnonzero(points == 0)
        if len(separators) != max(len(texts) - 1, 0) or _DOTTED_CAPITAL_I in joined:
            # A text contains NUL, or "İ" (whose lower case is two code points): the slow way.
            cleaned = _SEPARATOR.join([clean_text(text).replace("\x00", " ") for text in texts])
            points = _code_points(cleaned)
            is_word = np.array([c.isalnum() for c in cleaned], dtype=bool)
            separators = np.flatnonzero(points == 0)
        self.points = points
        edges = np.diff(is_word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
        self.starts = np.flatnonzero(edges == 1)
        self.lengths = np.flatnonzero(edges == -1) - self.starts
        self.doc = np.searchsorted(separators, self.starts)
        forward, self.inverse = _powers.upto(len(points) + 1)
        self.prefix = np.zeros(len(points) + 1, dtype=np.uint64)
        np.multiply(points, forward[:len(points)], out=self.prefix[1:])
        np.cumsum(self.prefix[1:], out=self.prefix[1:])

    def hashes(self, starts: np.ndarray, lengths) -> np.ndarray:
        """Raw polynomial hashes of the substrings ``[start, start + length)`` of the chunk's text."""
        return (self.prefix[starts + lengths] - self.prefix[starts]) * self.inverse[starts]

    def padded_grams(self, words: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw hashes of the character n-grams of ``" word "`` for each of ``words`` and each of the
        consecutive n-gram ``sizes``, as a (positions x sizes) array in word order, and the mask of
        the n-grams that fit in their word."""
        lengths = self.lengths[words]
        padded = lengths + 2
        ends = np.cumsum(padded)
        total, largest = (int(ends[-1]) if len(ends) else 0), int(sizes[-1])
        # " word " after " word ", with room after the last for the longest n-gram
        stream = np.full(total + largest, _SPACE, dtype=np.uint64)
        letter = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        stream[letter + np.repeat(ends - padded + 1, lengths)] = self.points[letter + np.repeat(self.starts[words],
                                                                                                lengths)]
        grams = np.empty((total, len(sizes)), dtype=np.uint64)
        rolling, power = np.zeros(total, dtype=np.uint64), 1
        for size in range(1, largest + 1):
            rolling += stream[size - 1:size - 1 + total] * np.uint64(power)
            power = power * _BASE % 2 ** 64
            if size >= sizes[0]:
                grams[:, size - sizes[0]] = rolling
        room = np.repeat(ends, padded) - np.arange(total)
        return grams, room[:, None] >= sizes[None, :]


class _SeedIndex:
    """Seed terms as word prefixes (single words), or phrases of word prefixes in order."""

    def __init__(self, groups: tuple[tuple[str, ...], ...]):
        self.n_groups = len(groups)
        single: dict[str, set[int]] = {}
        phrase_groups: dict[tuple[str, ...], set[int]] = {}
        for index, terms in enumerate(groups):
            for term in terms:
                words = tuple(_TOKEN.findall(clean_text(term)))
                if len(words) == 1:
                    single.setdefault(words[0], set()).add(index)
                elif len(words) > 1:
                    phrase_groups.setdefault(words, set()).add(index)
        self.phrases = [(words, tuple(sorted(owners))) for words, owners in sorted(phrase_groups.items())]
        if len(self.phrases) > 63:
            raise ValueError(f"at most 63 seed phrases are supported, got {len(self.phrases)}")
        self.longest = max((len(words) for words, _ in self.phrases), default=1)
        stems = sorted(set(single) | {word for words, _ in self.phrases for word in words})
        self.stems = stems
        # stems x groups (single-word seed terms), and per phrase position the phrases' bits of each stem
        pairs = [(i, g) for i, stem in enumerate(stems) for g in sorted(single.get(stem, ()))]
        self.stem_groups = sp.csr_matrix((np.ones(len(pairs), dtype=np.float32),
                                          ([i for i, _ in pairs], [g for _, g in pairs])),
                                         shape=(len(stems), self.n_groups))
        self.phrase_bits = np.zeros((self.longest, len(stems)), dtype=np.uint64)
        for p, (words, _) in enumerate(self.phrases):
            for k, word in enumerate(words):
                self.phrase_bits[k, stems.index(word)] |= np.uint64(1 << p)
        # phrases that still need a word at position k
        self.needs = [np.uint64(sum(1 << p for p, (words, _) in enumerate(self.phrases) if len(words) > k))
                      for k in range(self.longest)]
        self.stem_letters = np.zeros((len(stems), max(map(len, stems), default=0)), dtype=np.uint32)
        for i, stem in enumerate(stems):
            self.stem_letters[i, :len(stem)] = _code_points(stem)
        self.by_length: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for length in sorted({len(stem) for stem in stems}):
            found = sorted((polynomial_hash(stem), i) for i, stem in enumerate(stems) if len(stem) == length)
            hashes = np.array([h for h, _ in found], dtype=np.uint64)
            seen = np.zeros(2 ** _SEEN_BITS, dtype=bool)
            seen[hashes >> np.uint64(64 - _SEEN_BITS)] = True
            self.by_length[length] = (hashes, np.array([i for _, i in found], dtype=np.int64), seen)

    def _stem_matches(self, chunk: _Chunk, distinct: np.ndarray) -> sp.csr_matrix:
        """Distinct words x stems: 1 where the stem starts the word."""
        words, stems = [], []
        lengths, starts = chunk.lengths[distinct], chunk.starts[distinct]
        longest = max(self.by_length, default=0)
        # the words' first letters, one row per letter position (rows past a word's end are never used)
        letters = chunk.points[np.minimum(starts[None, :] + np.arange(longest)[:, None], len(chunk.points) - 1)]
        prefixes, power = np.zeros(len(distinct), dtype=np.uint64), 1
        for length in range(1, longest + 1):
            prefixes += letters[length - 1] * np.uint64(power)
            power = power * _BASE % 2 ** 64
            if length not in self.by_length:
                continue
            stem_hashes, stem_ids, seen = self.by_length[length]
            candidates = np.flatnonzero(lengths >= length)
            candidates = candidates[seen[prefixes[candidates] >> np.uint64(64 - _SEEN_BITS)]]
            places = np.minimum(np.searchsorted(stem_hashes, prefixes[candidates]), len(stem_hashes) - 1)
            found = stem_hashes[places] == prefixes[candidates]
            matched, matched_stems = candidates[found], stem_ids[places[found]]
            # equal hashes of unequal strings are all but impossible, but cheap to rule out
            same = (letters[:length, matched] == self.stem_letters[matched_stems, :length].T).all(axis=0)
            words.append(matched[same])
            stems.append(matched_stems[same])
        words = np.concatenate(words) if words else np.zeros(0, np.int64)
        stems = np.concatenate(stems) if stems else np.zeros(0, np.int64)
        return sp.csr_matrix((np.ones(len(words), dtype=np.float32), (words, stems)),
                             shape=(len(distinct), len(self.stems)))

    def matches(self, chunk: _Chunk, distinct: np.ndarray, word_ids: np.ndarray,
                occurrences: sp.csr_matrix) -> sp.csr_matrix:
        """Texts x groups: seed-term occurrences; a word counts once per group it starts a stem of.

        ``distinct`` holds one occurrence (word index) of every distinct word, ``word_ids``
        the distinct-word id of every word, ``occurrences`` the texts x distinct-words counts.
        """
        word_stems = self._stem_matches(chunk, distinct)
        word_groups = (word_stems @ self.stem_groups).sign()
        counts = (occurrences @ word_groups).tocsr()
        if not self.phrases:
            return counts
        # Phrases: a bit per phrase, kept while the words that follow match the phrase's next stems.
        bits_of_stems = [np.zeros(len(distinct), dtype=np.uint64) for _ in range(self.longest)]
        rows, stems = word_stems.nonzero()
        for k in range(self.longest):
            np.bitwise_or.at(bits_of_stems[k], rows, self.phrase_bits[k, stems])
        candidates = np.flatnonzero(bits_of_stems[0][word_ids])
        bits = bits_of_stems[0][word_ids[candidates]]
        for k in range(1, self.longest):
            following = np.minimum(candidates + k, len(word_ids) - 1)
            present = (candidates + k < len(word_ids)) & (chunk.doc[following] == chunk.doc[candidates])
            matched = np.where(present, bits_of_stems[k][word_ids[following]], np.uint64(0))
            bits &= matched | ~self.needs[k]
        rows, groups = [], []
        for word, phrase_bits in zip(candidates[bits != 0].tolist(), bits[bits != 0].tolist()):
            for p in range(len(self.phrases)):
                if phrase_bits >> p & 1:
                    rows.extend([int(chunk.doc[word])] * len(self.phrases[p][1]))
                    groups.extend(self.phrases[p][1])
        if rows:
            counts = counts + _count_matrix(np.asarray(rows), np.asarray(groups), counts.shape)
        return counts


@functools.lru_cache(maxsize=8)
def _seed_index(groups: tuple[tuple[str, ...], ...]) -> _SeedIndex | None:
    return _SeedIndex(groups) if any(groups) else None


def seed_stem(term: str) -> str:
    """The prefix of a seed term that matches its inflected forms: long words lose their last two letters."""
    return " ".join(word[:-2] if len(word) > 5 else word for word in clean_text(term).split())


def _count_matrix(rows: np.ndarray, columns: np.ndarray, shape) -> sp.csr_matrix:
    matrix = sp.csr_matrix((np.ones(len(columns), dtype=np.float32), (rows, columns)), shape=shape)
    matrix.sum_duplicates()
    return matrix


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
    min_df : int
        Word and character buckets found in fewer fitting texts get weight 0, like a vocabulary's
        ``min_df``: n-grams never or once seen in fitting (mostly names and typos) then neither
        count for a text nor dilute its norm. 1 keeps every bucket.
    """

    def __init__(self, *, n_features: int = 2 ** 18, word_ngrams=(1, 2), char_ngrams=(3, 5),
                 seed_terms=None, block_weights=(1.0, 1.0, 1.0), min_df: int = 1):
        self.n_features = n_features
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.seed_terms = seed_terms
        self.block_weights = block_weights
        self.min_df = min_df

    # ------------------------------------------------------------------ counting
    def _counts(self, texts) -> tuple[list[sp.csr_matrix], WordOccurrences]:
        """Raw counts as three blocks (words and word bigrams, character n-grams, seed terms), and the
        texts' words."""
        n = int(self.n_features)
        low, high = (int(v) for v in self.word_ngrams)
        if not 1 <= low <= high <= 2:
            raise ValueError(f"word_ngrams must lie within (1, 2), got {self.word_ngrams}")
        char_min, char_max = (int(v) for v in self.char_ngrams) if self.char_ngrams else (0, -1)
        if char_max >= char_min and char_min < 1:
            raise ValueError(f"char_ngrams must be positive, got {self.char_ngrams}")
        seed_groups = tuple(tuple(group) for group in self.seed_terms or ())
        n_rows, buckets = len(texts), np.uint64(n)
        chunk = _Chunk(texts)

        word_hashes = _mix(chunk.hashes(chunk.starts, chunk.lengths) ^ _WORD_SALT)
        # Each distinct word of the chunk is described once (character n-grams, seed terms); texts x
        # distinct words (columns in hash order, so a text's entries keep one order in any chunk) then
        # sums the descriptions per text.
        codes, uniques = pd.factorize(word_hashes)  # a hash table: faster than sorting every word
        order = np.argsort(uniques)
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[order] = np.arange(len(uniques))
        word_ids = rank[codes]
        distinct = np.empty(len(uniques), dtype=np.int64)
        distinct[word_ids] = np.arange(len(word_ids))  # one occurrence (the last) of each distinct word
        occurrences = _count_matrix(chunk.doc, word_ids, (n_rows, len(distinct)))
        rows, columns = [], []
        if low == 1:
            rows.append(chunk.doc)
            columns.append(word_hashes % buckets)
        if high == 2 and len(word_hashes) > 1:
            same_doc = chunk.doc[1:] == chunk.doc[:-1]
            pairs = _mix((word_hashes[:-1] * _BIGRAM_MULTIPLIER) ^ (word_hashes[1:] + _BIGRAM_OFFSET))
            rows.append(chunk.doc[1:][same_doc])
            columns.append(pairs[same_doc] % buckets)
        words = _count_matrix(np.concatenate(rows) if rows else np.zeros(0, np.int64),
                              np.concatenate(columns).astype(np.int64) if columns else np.zeros(0, np.int64),
                              (n_rows, n))
        if char_max >= char_min:
            chars = occurrences @ self._gram_matrix(chunk, distinct, char_min, char_max, n)
        else:
            chars = sp.csr_matrix((n_rows, n), dtype=np.float64)
        seeds = _seed_index(seed_groups)
        if seeds is not None and len(distinct):
            seed_block = seeds.matches(chunk, distinct, word_ids, occurrences)
        else:
            seed_block = sp.csr_matrix((n_rows, len(seed_groups)), dtype=np.float64)
        return [words, chars, seed_block], WordOccurrences(occurrences, uniques[order])

    @staticmethod
    def _gram_matrix(chunk: _Chunk, distinct: np.ndarray, char_min: int, char_max: int, n: int) -> sp.csr_matrix:
        """Distinct words x character n-gram buckets (counts) of the space-padded words."""
        sizes = np.arange(char_min, char_max + 1)
        grams, fits = chunk.padded_grams(distinct, sizes)
        indices = (_mix(grams[fits] ^ np.broadcast_to(sizes.astype(np.uint64), fits.shape)[fits])
                   % np.uint64(n)).astype(np.int32)
        padded_lengths = chunk.lengths[distinct] + 2
        per_word = np.maximum(padded_lengths[:, None] - sizes[None, :] + 1, 0).sum(axis=1)
        indptr = np.zeros(len(distinct) + 1, dtype=np.int64)
        np.cumsum(per_word, out=indptr[1:])
        return sp.csr_matrix((np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(distinct), n))

    # ------------------------------------------------------------------ estimator API
    def fit(self, X, y=None):
        """Learn inverse document frequencies from the texts ``X``."""
        texts = _texts(X)
        blocks, _ = self._counts(texts)
        document_frequency = np.concatenate([np.bincount(block.indices, minlength=block.shape[1])
                                             for block in blocks])
        self.idf_ = (np.log((1 + len(texts)) / (1 + document_frequency)) + 1.0).astype(np.float32)
        hashed = 2 * int(self.n_features)  # the seed-term columns are kept whatever their frequency
        self.idf_[:hashed][document_frequency[:hashed] < int(self.min_df)] = 0.0
        self.n_features_out_ = sum(block.shape[1] for block in blocks)
        return self

    def scaled_blocks(self, X) -> list[tuple[sp.csr_matrix, np.ndarray]]:
        """Per block (words, characters, seed terms): the sublinear TF-IDF matrix (float32 CSR, not yet
        normalised) and each row's factor (block weight / L2 norm). A linear model can apply the factor
        to its per-row scores instead of to every entry."""
        return self.scaled_blocks_and_words(X)[0]

    def scaled_blocks_and_words(self, X) -> tuple[list[tuple[sp.csr_matrix, np.ndarray]], WordOccurrences]:
        """:meth:`scaled_blocks` and the texts' words, from one pass over the texts."""
        check_is_fitted(self, "idf_")
        blocks, words = self._counts(_texts(X))
        if sum(block.shape[1] for block in blocks) != self.n_features_out_:
            raise ValueError("seed_terms or n_features changed since fit")
        result, offset = [], 0
        for block, weight in zip(blocks, self.block_weights):
            idf = self.idf_[offset:offset + block.shape[1]]
            offset += block.shape[1]
            data = np.log(block.data.astype(np.float32))
            data += 1.0
            data *= idf[block.indices]
            norms = np.zeros(block.shape[0])
            filled = np.flatnonzero(block.indptr[1:] > block.indptr[:-1])
            if len(filled):  # (reduceat gives an empty row the next row's first entry)
                norms[filled] = np.sqrt(np.add.reduceat(np.square(data), block.indptr[filled], dtype=np.float64))
            norms[norms == 0] = 1.0
            result.append((sp.csr_matrix((data, block.indices, block.indptr), shape=block.shape),
                           float(weight) / norms))
        return result, words

    def block_widths(self) -> list[int]:
        """Columns of the word, character and seed-term blocks."""
        check_is_fitted(self, "idf_")
        words = chars = int(self.n_features)
        return [words, chars, self.n_features_out_ - words - chars]

    def transform_blocks(self, X) -> list[sp.csr_matrix]:
        """The three weighted blocks (words, characters, seed terms) of :meth:`transform`, float32 CSR each."""
        return _weighted(self.scaled_blocks(X))

    def transform(self, X) -> sp.csr_matrix:
        """Sublinear TF-IDF, each block L2-normalised and weighted; float32 CSR."""
        return self.transform_and_words(X)[0]

    def transform_and_words(self, X) -> tuple[sp.csr_matrix, WordOccurrences]:
        """:meth:`transform` and the texts' words, from one pass over the texts."""
        blocks, words = self.scaled_blocks_and_words(X)
        return sp.hstack(_weighted(blocks), format="csr"), words


def _weighted(scaled_blocks: list[tuple[sp.csr_matrix, np.ndarray]]) -> list[sp.csr_matrix]:
    """Each block of :meth:`HashedTextFeatures.scaled_blocks` with its row factors applied."""
    result = []
    for block, factors in scaled_blocks:
        block.data *= np.repeat(factors, np.diff(block.indptr)).astype(np.float32)
        result.append(block)
    return result


class WordOccurrences(NamedTuple):
    """The words of a chunk of texts: (texts x distinct words) counts, and each distinct word's hash
    (:func:`word_hashes`), ascending."""
    counts: sp.csr_matrix
    hashes: np.ndarray


def word_hashes(words: list[str]) -> np.ndarray:
    """The hash :class:`HashedTextFeatures` gives each of ``words`` (each one run of letters and digits
    once cleaned, as :func:`clean_text` does), for looking words up in :class:`WordOccurrences`."""
    chunk = _Chunk(words)
    if len(chunk.starts) != len(words):
        raise ValueError("every entry must be exactly one word")
    return _mix(chunk.hashes(chunk.starts, chunk.lengths) ^ _WORD_SALT)


def _texts(X) -> list[str]:
    if isinstance(X, str):
        raise ValueError("expected a list of texts, got a single string")
    return ["" if text is None else str(text) for text in X]
