"""Save and load topic models without pickle, offline.

A topic-model folder is a telegram-classify bundle (``metadata.json`` with
protocol, versions, taxonomy, training-data hash, metrics; ``README.md`` model
card) holding:

- BERTopic's own safetensors save (``topic_embeddings.safetensors``,
  ``topics.json``, ``config.json``, ``ctfidf.safetensors``, ``ctfidf_config.json``),
  so ``BERTopic.load(folder)`` works for analysts who want BERTopic's API;
- ``embedding.safetensors`` and ``embedding_vocabulary.json``: the fitted TF-IDF +
  SVD embedding (default backend; a sentence-transformers backend is saved as the
  path of its local model folder, in the config);
- ``topic_model.json``: our state (config, backend params, topics with words,
  themes and representative posts, hashes of boilerplate lines).

Loading reads these files with json and safetensors only: it imports neither
BERTopic nor torch and never touches the network. Every file's sha256 is
checked against ``metadata.json``, whose ``topic_model`` record holds the
taxonomy, training data, metrics and config.
"""
from __future__ import annotations

import json
import logging
import platform
import shutil
import tempfile
from pathlib import Path

import numpy as np

from classify.bundle import (BUNDLE_FORMAT, BUNDLE_PROTOCOL, CARD_FILE, METADATA_FILE, file_sha256,
                             library_versions, read_metadata)
from classify.errors import InputError, ModelError
from classify.io import atomic_output, replace_folder
from training.topics.backend import load_backend
from training.topics.config import TopicsConfig
from training.topics.model import Topic, TopicModel
from training.topics.preprocess import Preprocessor

STATE_FILE = "topic_model.json"
BERTOPIC_EMBEDDINGS = "topic_embeddings.safetensors"
BERTOPIC_TOPICS = "topics.json"
STATE_VERSION = 1
TOPIC_LIBRARIES = ("bertopic", "umap-learn", "hdbscan", "PyStemmer", "safetensors")


def _card(model: TopicModel, record: dict) -> str:
    stats = model.stats_
    themes = sorted({t.theme for t in model.topics_})
    lines = [
        "## Topic model",
        "",
        f"BERTopic ({record['libraries_topics'].get('bertopic')}) fitted on {stats['documents']} posts "
        f"({stats['distinct_documents']} distinct after removing boilerplate and duplicates): "
        f"{stats['topics']} topics, {stats['outlier_share']:.1%} outliers "
        f"({stats['outlier_share_before_reduction']:.1%} before outlier reduction).",
        f"Embedding backend: {model.backend_.params()['backend']}; clustering: {model.config_.clustering.method}; "
        f"guidance: {model.config_.guidance.mode}; seed {model.config_.seed}.",
        f"Themes matched: {', '.join(themes)}. A topic is marked `new` unless at least "
        f"{model.config_.guidance.theme_min_share:.0%} of its posts mention a theme's seed terms, "
        f"{model.config_.guidance.theme_min_lift}x as often as the corpus.",
        "Topic words are c-TF-IDF words of the normalized posts (stems shown as their most frequent form); "
        "assignment is cosine similarity to topic centroids, not a calibrated probability.",
    ]
    return "\n".join(lines)


def check_replaceable(folder) -> None:
    """Refuse to replace an existing folder that is not empty and not a topic model (a theme bundle, the posts, ...):
    saving deletes what the folder held."""
    folder = Path(folder)
    if folder.is_file():
        raise InputError(folder, "is a file; the topic model is a folder")
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    try:
        record = _record(read_metadata(folder))
    except ModelError:
        raise InputError(folder, "exists and does not hold a topic model; saving would delete what it holds "
                                 "(choose a new folder or remove this one)") from None
    model_files = set(record.get("files", {})) | {METADATA_FILE, CARD_FILE}
    others = sorted(path.name for path in folder.iterdir() if path.name not in model_files)
    if others:
        raise InputError(folder, f"holds {', '.join(others)}, not part of the topic model; saving would delete "
                                 f"{'them' if len(others) > 1 else 'it'} (move {'them' if len(others) > 1 else 'it'} "
                                 "or choose a new folder)")


def save_topic_model(model: TopicModel, folder, *, training_data: dict | None = None) -> Path:
    """Write ``model`` to ``folder`` (replaced as a whole, atomically; a folder holding anything but a topic
    model is refused). ``training_data``: path/sha256/records."""
    model._check_fitted()
    if getattr(model, "bertopic_", None) is None:
        raise ModelError("only a freshly fitted TopicModel can be saved (a loaded one is already on disk)")
    folder = Path(folder)
    check_replaceable(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        # BERTopic resets its logger to WARNING while fitting (select_backend); its hint to save a
        # sentence-transformers pointer does not apply: our embedding backend is saved beside it
        logging.getLogger("BERTopic").setLevel(logging.ERROR)
        model.bertopic_.save(staging, serialization="safetensors", save_embedding_model=False, save_ctfidf=True)
        state = {
            "version": STATE_VERSION,
            "config": model.config_.to_dict(),
            "backend": model.backend_.params(),
            "preprocess": {"boilerplate_lines": model.preprocessor_.boilerplate_lines_},
            "stats": model.stats_,
            "topics": [topic.to_dict() for topic in model.topics_],
        }
        with atomic_output(staging / STATE_FILE, "w", encoding="utf-8") as handle:
            json.dump(state, handle, ensure_ascii=False, indent=1)
        model.backend_.save(staging)
        files = sorted(p.name for p in staging.iterdir() if p.is_file())
        record = {
            "kind": "topic_model",
            "taxonomy": model.taxonomy.to_metadata() if model.taxonomy is not None else None,
            "training_data": training_data or {},
            "metrics": dict(model.stats_),
            "config": model.config_.to_dict(),
            "libraries_topics": library_versions(TOPIC_LIBRARIES),
            "files": {name: file_sha256(staging / name) for name in files},
        }
        _write_metadata(staging, record, _card(model, record))
        replace_folder(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder


def _write_metadata(folder: Path, record: dict, card: str) -> None:
    """``metadata.json`` in the bundle format (protocol, versions) with the topic model's record, and the card."""
    metadata = {"format": BUNDLE_FORMAT, "protocol": BUNDLE_PROTOCOL,
                "toolkit": {"name": "telegram-classify", "version": library_versions(["telegram-classify"])["telegram-classify"]},
                "python": platform.python_version(), "libraries": library_versions(),
                "components": {}, "topic_model": dict(record, card_section=card)}
    with atomic_output(folder / METADATA_FILE, "w", encoding="utf-8") as handle:
        json.dump(metadata, handle, ensure_ascii=False, indent=2)
    with atomic_output(folder / CARD_FILE, "w", encoding="utf-8") as handle:
        handle.write(f"# Model card: topic model\n\n{card}\n")


def _record(metadata: dict) -> dict:
    record = metadata.get("topic_model")
    if not isinstance(record, dict) or record.get("kind") != "topic_model":
        raise ModelError("not a topic model bundle (no topic_model record in metadata.json)")
    return record


def load_topic_model(folder) -> TopicModel:
    """Load a saved topic model, checking its bundle metadata and file hashes; offline, no BERTopic needed."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelError(f"{folder}: topic model folder not found")
    metadata = read_metadata(folder)
    try:
        record = _record(metadata)
    except ModelError as error:
        raise ModelError(f"{folder}: {error}") from None
    for name, digest in record.get("files", {}).items():
        path = folder / name
        if not path.is_file():
            raise ModelError(f"{path}: missing file of the topic model")
        if file_sha256(path) != digest:
            raise ModelError(f"{path}: sha256 does not match metadata.json; the file was changed or corrupted")
    state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
    if state.get("version") != STATE_VERSION:
        raise ModelError(f"{folder / STATE_FILE}: state version {state.get('version')!r} is not supported")
    try:
        config = TopicsConfig.from_dict(state["config"], source=str(folder / STATE_FILE))
    except InputError as error:
        raise ModelError(f"{error} (saved by another version of telegram-classify?)") from None
    backend = load_backend(folder, state["backend"])

    from safetensors.numpy import load_file

    embeddings = load_file(str(folder / BERTOPIC_EMBEDDINGS))["topic_embeddings"]
    outlier_rows = int(json.loads((folder / BERTOPIC_TOPICS).read_text(encoding="utf-8")).get("_outliers", 0))
    topics = [Topic.from_dict(entry) for entry in state["topics"]]
    model = TopicModel(config=config, taxonomy=None)
    model.config_ = config
    model.backend_ = backend
    model.preprocessor_ = Preprocessor(min_line_repeats=config.preprocess.min_line_repeats,
                                       min_token_length=config.preprocess.min_token_length,
                                       extra_stop_words=config.preprocess.extra_stop_words
                                       ).restore(state["preprocess"]["boilerplate_lines"], {})
    model.topic_embeddings_ = np.asarray(embeddings[outlier_rows:], dtype=np.float64)
    if len(model.topic_embeddings_) != len(topics):
        raise ModelError(f"{folder}: {len(topics)} topics but {len(model.topic_embeddings_)} topic embeddings")
    model.topics_ = topics
    model.stats_ = state["stats"]
    model.taxonomy_metadata_ = record.get("taxonomy")
    model.metadata_ = metadata
    return model
