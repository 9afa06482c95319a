"""Embedding backends for the topic model: one small interface, two implementations.

* :class:`TfidfSvdBackend` (default): TF-IDF over the normalized documents, then
  TruncatedSVD and L2 normalization, fitted on the corpus. No download, no torch;
  saved with skops and a fixed list of trusted types.
* :class:`SentenceTransformerBackend`: a sentence-transformers model from a local
  folder (never a hub name), fed the cleaned text. Saved as a pointer to that folder.

A backend has ``fit(texts)``, ``embed(texts) -> ndarray`` (rows L2-normalized),
``save(folder)`` and ``params()``; :func:`load_backend` reads it back.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from classify.errors import ModelError

SKOPS_FILE = "embedding.skops"

# Everything a fitted TF-IDF + SVD pipeline holds; skops refuses anything else.
TRUSTED_TYPES = [
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.decomposition._truncated_svd.TruncatedSVD",
    "sklearn.preprocessing._data.Normalizer",
    "builtins.str",
    "numpy.float32",
    "numpy.float64",
    "numpy.int64",
    "numpy.dtype",
]


class TfidfSvdBackend:
    """TF-IDF + TruncatedSVD document embeddings, fitted on the corpus (the default backend).

    Input is the normalized documents of :class:`~training.topics.preprocess.Preprocessor`
    (space-joined stems), so the vectorizer splits on whitespace only.
    """

    name = "tfidf-svd"
    reads_normalized_text = True

    def __init__(self, *, n_components: int = 100, min_df: int = 3, max_df: float = 0.5,
                 random_state: int = 42):
        self.n_components = n_components
        self.min_df = min_df
        self.max_df = max_df
        self.random_state = random_state

    def params(self) -> dict:
        return {"backend": self.name, "n_components": self.n_components, "min_df": self.min_df,
                "max_df": self.max_df, "random_state": self.random_state}

    def fit(self, texts: Sequence[str]) -> "TfidfSvdBackend":
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import Normalizer

        n_docs = len(texts)
        vectorizer = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True,
                                     min_df=min(self.min_df, max(1, n_docs // 10)), max_df=self.max_df,
                                     dtype=np.float32)
        features = vectorizer.fit_transform(texts)
        n_components = max(2, min(self.n_components, features.shape[1] - 1, n_docs - 1))
        # float32 and 3 power iterations halve the time of the default float64/5 at no visible cost in topics
        svd = TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=3,
                           random_state=self.random_state)
        reduced = svd.fit_transform(features)
        self.pipeline_ = make_pipeline(vectorizer, svd, Normalizer().fit(reduced))
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.pipeline_.transform(list(texts)), dtype=np.float64)

    def save(self, folder: Path) -> list[str]:
        import skops.io as sio

        sio.dump(self.pipeline_, Path(folder) / SKOPS_FILE)
        return [SKOPS_FILE]

    @classmethod
    def load(cls, folder: Path, params: dict) -> "TfidfSvdBackend":
        import skops.io as sio

        path = Path(folder) / SKOPS_FILE
        if not path.is_file():
            raise ModelError(f"{folder}: missing {SKOPS_FILE}")
        untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in TRUSTED_TYPES]
        if untrusted:
            raise ModelError(f"{path}: refuses to load untrusted types {untrusted}")
        backend = cls(**{k: v for k, v in params.items() if k != "backend"})
        backend.pipeline_ = sio.load(path, trusted=TRUSTED_TYPES)
        return backend


class SentenceTransformerBackend:
    """A sentence-transformers model read from a local folder, offline (torch needed)."""

    name = "sentence-transformers"
    reads_normalized_text = False

    def __init__(self, *, model_path: str, batch_size: int = 64):
        self.model_path = model_path
        self.batch_size = batch_size

    def params(self) -> dict:
        return {"backend": self.name, "model_path": str(self.model_path), "batch_size": self.batch_size}

    def _model(self):
        if getattr(self, "model_", None) is None:
            path = Path(self.model_path)
            if not path.is_dir():
                raise ModelError(f"{path}: sentence-transformers backend needs a local model folder")
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as error:
                raise ModelError("the sentence-transformers backend needs: "
                                 "pip install 'telegram-classify[topics]'") from error
            self.model_ = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return self.model_

    def fit(self, texts: Sequence[str]) -> "SentenceTransformerBackend":
        self._model()
        return self

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                       show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float64)

    def save(self, folder: Path) -> list[str]:
        return []

    @classmethod
    def load(cls, folder: Path, params: dict) -> "SentenceTransformerBackend":
        return cls(**{k: v for k, v in params.items() if k != "backend"})


BACKENDS = {TfidfSvdBackend.name: TfidfSvdBackend, SentenceTransformerBackend.name: SentenceTransformerBackend}


def make_backend(params: dict):
    """A new, unfitted backend from its params (``backend`` names the kind)."""
    kind = params.get("backend", TfidfSvdBackend.name)
    if kind not in BACKENDS:
        raise ModelError(f"unknown embedding backend {kind!r}; choose one of {sorted(BACKENDS)}")
    return BACKENDS[kind](**{k: v for k, v in params.items() if k != "backend"})


def load_backend(folder: Path, params: dict):
    kind = params.get("backend")
    if kind not in BACKENDS:
        raise ModelError(f"{folder}: unknown embedding backend {kind!r}")
    return BACKENDS[kind].load(folder, params)
