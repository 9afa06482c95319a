"""Embedding backends for the topic model: one small interface, two implementations.

* :class:`TfidfSvdBackend` (default): TF-IDF over the normalized documents, then
  TruncatedSVD and L2 normalization, fitted on the corpus. No download, no torch;
  saved as safetensors and JSON (not skops: skops imports every scikit-learn
  module, which pulls in torch wherever torch is installed).
* :class:`SentenceTransformerBackend`: a sentence-transformers model from a local
  folder (never a hub name), fed the cleaned text. Saved as a pointer to that folder.

A backend has ``fit(texts)``, ``embed(texts) -> ndarray`` (rows L2-normalized),
``save(folder)`` and ``params()``; :func:`load_backend` reads it back.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from classify.errors import ModelError

EMBEDDING_WEIGHTS = "embedding.safetensors"
EMBEDDING_VOCABULARY = "embedding_vocabulary.json"


class TfidfSvdBackend:
    """TF-IDF + TruncatedSVD document embeddings, fitted on the corpus (the default backend).

    Input is the normalized documents of :class:`~training.topics.preprocess.Preprocessor`
    (space-joined stems), so the vectorizer splits on whitespace only. The fitted
    state is three plain things: the vocabulary, the idf weights and the SVD
    components; embedding is ``l2_normalize(tfidf(texts) @ components.T)``. They
    are saved as JSON and safetensors, so loading needs neither pickle nor skops.
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

        n_docs = len(texts)
        vectorizer = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True,
                                     min_df=min(self.min_df, max(1, n_docs // 10)), max_df=self.max_df,
                                     dtype=np.float32)
        features = vectorizer.fit_transform(texts)
        n_components = max(2, min(self.n_components, features.shape[1] - 1, n_docs - 1))
        # float32 and 3 power iterations halve the time of the default float64/5 at no visible cost in topics
        svd = TruncatedSVD(n_components=n_components, algorithm="randomized", n_iter=3,
                           random_state=self.random_state).fit(features)
        self._set_state(vectorizer.get_feature_names_out().tolist(), vectorizer.idf_,
                        svd.components_.astype(np.float32))
        return self

    def _set_state(self, vocabulary: list[str], idf: np.ndarray, components: np.ndarray) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if len(vocabulary) != len(idf) or components.shape[1] != len(idf):
            raise ModelError(f"embedding state does not fit together: {len(vocabulary)} words, "
                             f"{len(idf)} idf weights, components {components.shape}")
        self.vocabulary_ = list(vocabulary)
        self.idf_ = np.asarray(idf, dtype=np.float32)
        self.components_ = np.ascontiguousarray(components, dtype=np.float32)
        self._vectorizer = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True,
                                           dtype=np.float32, vocabulary=self.vocabulary_)
        self._vectorizer.idf_ = self.idf_

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        reduced = np.asarray(self._vectorizer.transform(list(texts)) @ self.components_.T, dtype=np.float64)
        norms = np.linalg.norm(reduced, axis=1, keepdims=True)
        return reduced / np.where(norms > 0, norms, 1.0)

    def save(self, folder: Path) -> list[str]:
        from safetensors.numpy import save_file

        save_file({"idf": self.idf_, "components": self.components_}, str(Path(folder) / EMBEDDING_WEIGHTS))
        (Path(folder) / EMBEDDING_VOCABULARY).write_text(json.dumps(self.vocabulary_, ensure_ascii=False),
                                                         encoding="utf-8")
        return [EMBEDDING_WEIGHTS, EMBEDDING_VOCABULARY]

    @classmethod
    def load(cls, folder: Path, params: dict) -> "TfidfSvdBackend":
        from safetensors.numpy import load_file

        folder = Path(folder)
        for name in (EMBEDDING_WEIGHTS, EMBEDDING_VOCABULARY):
            if not (folder / name).is_file():
                raise ModelError(f"{folder}: missing {name}")
        arrays = load_file(str(folder / EMBEDDING_WEIGHTS))
        vocabulary = json.loads((folder / EMBEDDING_VOCABULARY).read_text(encoding="utf-8"))
        backend = cls(**{k: v for k, v in params.items() if k != "backend"})
        backend._set_state(vocabulary, arrays["idf"], arrays["components"])
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
