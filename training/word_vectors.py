"""Pretrained Russian word vectors as a dense feature block of the theme classifier.

The vectors are navec's news model (``navec_news_v1_1B_250K_300d_100q``: 250,000
words, 300 dimensions, trained on a billion tokens of Russian news; MIT licence),
which ships inside the ``natasha`` package, so it loads offline. A text's block is
the mean vector of its known words. They carry what 2,000 labeled posts cannot:
words never seen in training that are near the words that were (rare themes gain
most). Only training needs the package (``pip install telegram-classify[wordvectors]``):
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

NAVEC_NEWS = "navec_news_v1_1B_250K_300d_100q"
SOURCES = {NAVEC_NEWS: ("natasha", "data/emb/navec_news_v1_1B_250K_300d_100q.tar")}
"""name -> (package that ships the file, its path inside the package)"""

# Cyrillic words only: the vectors are Russian, and the few Latin words among them only add noise to English texts.
_WORD = re.compile(r"[а-яё]+")


def _source_path(name: str) -> Path:
    if name not in SOURCES:
        raise ValueError(f"unknown word vectors {name!r}; known: {', '.join(SOURCES)}")
    package, inside = SOURCES[name]
    spec = importlib.util.find_spec(package)  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"word vectors {name!r} come with the '{package}' package: "
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
        raise ImportError("word vectors need the 'navec' package: pip install 'telegram-classify[wordvectors]'") \
            from error
    path = _source_path(name)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    navec = Navec.load(str(path))
    words = list(navec.vocab.words)
    vectors = navec.pq.unpack().astype(np.float32)  # quantised codes -> dense vectors, vocabulary order
    return words, vectors, digest


def mean_weights(texts: list[str], index: dict[str, int]) -> sp.csr_matrix:
    """(texts x vocabulary) matrix whose product with word vectors gives each text's mean known-word vector."""
    rows, columns = [], []
    get = index.get
    for row, text in enumerate(texts):
        known = [column for column in map(get, _WORD.findall(text.lower())) if column is not None]
        rows.extend([row] * len(known))
        columns.extend(known)
    counts = sp.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)),
                           shape=(len(texts), len(index)), dtype=np.float32)
    totals = np.asarray(counts.sum(axis=1)).ravel()
    return sp.diags(1.0 / np.maximum(totals, 1.0)).astype(np.float32) @ counts


def vocabulary_bytes(words: list[str]) -> np.ndarray:
    """The vocabulary as one array a bundle stores safely: UTF-8 words joined by newlines."""
    return np.frombuffer("\n".join(words).encode("utf-8"), dtype=np.uint8).copy()


def word_index(vocabulary: np.ndarray) -> dict[str, int]:
    """Word -> row of a :func:`vocabulary_bytes` array."""
    words = vocabulary.tobytes().decode("utf-8").split("\n")
    return dict(zip(words, range(len(words))))
