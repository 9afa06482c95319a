"""Pretrained Russian word vectors as a dense feature block of the theme classifier.

The vectors are navec's news model (``navec_news_v1_1B_250K_300d_100q``: 250,000
words, 300 dimensions, trained on a billion tokens of Russian news; MIT licence),
which ships inside the ``natasha`` package, so it loads offline. A text's block is
the mean vector of its known words. They carry what 2,000 labeled posts cannot:
words never seen in training that are near the words that were (rare themes gain
most). Words are those of :class:`training.features.HashedTextFeatures` (links removed,
lower case, ``ё`` read as ``е``), looked up by the same hash. Only training needs the package (``pip install telegram-classify[wordvectors]``):
a fitted model keeps, per vocabulary word, the theme scores its vector contributes
(the mean is linear, so a text's scores are the mean of its words' scores).
"""
from __future__ import annotations

import hashlib
import importlib.util
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from classify.errors import ModelError
from training.features import WordOccurrences, word_hashes

NAVEC_NEWS = "navec_news_v1_1B_250K_300d_100q"
SOURCES = {NAVEC_NEWS: ("natasha", "data/emb/navec_news_v1_1B_250K_300d_100q.tar")}
"""name -> (package that ships the file, its path inside the package)"""

# Russian words only: the few Latin words among the vectors would add noise to English texts.
_RUSSIAN_WORD = re.compile(r"[а-яё]+")


def _source_path(name: str) -> Path:
    if name not in SOURCES:
        raise ModelError(f"unknown word vectors {name!r}; known: {', '.join(SOURCES)}")
    package, inside = SOURCES[name]
    spec = importlib.util.find_spec(package)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"word vectors {name!r} come with the '{package}' package: "
                         "pip install 'telegram-classify[wordvectors]'")
    path = Path(next(iter(spec.submodule_search_locations))) / inside
    if not path.is_file():
        raise FileNotFoundError(f"{path}: word vectors missing from the '{package}' package")
    return path


@lru_cache(maxsize=1)
def load_word_vectors(name: str) -> tuple[list[str], np.ndarray, str]:
    """(words, vectors as float32 words x dimensions, sha256 of the file) of a known source."""
    try:
        from navec import Navec
    except ImportError as error:
        raise ModelError("word vectors need the 'navec' package: pip install 'telegram-classify[wordvectors]'") \
            from error
    path = _source_path(name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    navec = Navec.load(str(path))
    words = list(navec.vocab.words)
    vectors = navec.pq.unpack().astype(np.float32)  # quantised codes -> dense vectors, vocabulary order
    return words, vectors, digest


def word_table(words: list[str], vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Russian words of a vector source keyed for lookups: their hashes as
    :class:`training.features.HashedTextFeatures` gives them (ascending; ``ё`` is read as
    ``е``, so of two such spellings the first in ``words`` is kept) and their vectors, in that order."""
    russian = [row for row, word in enumerate(words) if _RUSSIAN_WORD.fullmatch(word)]
    hashes, first = np.unique(word_hashes([words[row] for row in russian]), return_index=True)
    return hashes, vectors[np.asarray(russian)[first]]


def mean_of(words: WordOccurrences, table_hashes: np.ndarray, table: np.ndarray) -> np.ndarray:
    """(texts x table columns) float32: per text, the mean of the ``table`` rows of its words found in
    ``table_hashes`` (zeros for a text with none)."""
    if not len(table_hashes):
        return np.zeros((words.counts.shape[0], table.shape[1]), dtype=np.float32)
    at = np.minimum(np.searchsorted(table_hashes, words.hashes), len(table_hashes) - 1)
    known = np.flatnonzero(table_hashes[at] == words.hashes)
    counts = words.counts[:, known].astype(np.float32)
    totals = np.asarray(counts.sum(axis=1)).ravel()
    return np.asarray(sp.diags(1.0 / np.maximum(totals, 1.0)) @ (counts @ table[at[known]].astype(np.float32)),
                      dtype=np.float32)
