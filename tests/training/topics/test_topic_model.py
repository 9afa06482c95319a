import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("bertopic", reason="topic models need the topics extra: pip install 'telegram-classify[topics]'")

from classify.errors import ModelError
from labels.taxonomy import load_taxonomy
from training.topics import TopicModel, TopicsConfig, assign_topics, load_topic_model, save_topic_model

from topic_corpus import SUBJECTS, make_corpus, theme_of

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def corpus():
    return make_corpus(posts_per_subject=50)


@pytest.fixture(scope="module")
def fitted(corpus):
    return TopicModel(config=TopicsConfig(), taxonomy=load_taxonomy()).fit(
        corpus["text"].tolist(), channels=corpus["channel"].tolist(), ids=corpus["id"].tolist())


def _purity(topics, subjects):
    """Share of posts whose topic's majority subject is their own subject."""
    majority = {t: Counter(s for tt, s in zip(topics, subjects) if tt == t).most_common(1)[0][0] for t in set(topics)}
    return np.mean([majority[t] == s for t, s in zip(topics, subjects)])


def test_topics_separate_distinct_subjects(fitted, corpus):
    topics = fitted.document_topics_.tolist()
    subjects = corpus["subject"].tolist()
    assert _purity(topics, subjects) >= 0.95
    # every subject has a topic of its own (no two subjects share all their posts' topics)
    main_topic = {s: Counter(t for t, ss in zip(topics, subjects) if ss == s).most_common(1)[0][0] for s in SUBJECTS}
    assert len(set(main_topic.values())) == len(SUBJECTS)
    assert np.mean(fitted.document_topics_ == -1) < 0.2


def test_topics_map_to_their_taxonomy_theme_or_are_new(fitted, corpus):
    subjects = corpus["subject"].tolist()
    for topic in fitted.topics_:
        members = [s for t, s in zip(fitted.document_topics_, subjects) if t == topic.id]
        subject = Counter(members).most_common(1)[0][0]
        assert topic.theme == theme_of(subject), (topic.label, subject, topic.theme, topic.theme_similarity)


def test_boilerplate_and_stop_words_are_not_topic_words(fitted):
    words = {w for topic in fitted.topics_ for word, _ in topic.words for w in word.split()}
    for banned in ("vpn", "subscribe", "подписаться", "подпишись", "прислать", "новость", "вестник", "daily",
                   "и", "the", "на", "https"):
        assert banned not in words
    assert all(len(topic.representative_posts) > 0 for topic in fitted.topics_)


def test_same_data_config_and_seed_give_same_topics(fitted, corpus):
    again = TopicModel(config=TopicsConfig(), taxonomy=load_taxonomy()).fit(
        corpus["text"].tolist(), channels=corpus["channel"].tolist(), ids=corpus["id"].tolist())
    assert np.array_equal(again.document_topics_, fitted.document_topics_)
    assert [t.to_dict() for t in again.topics_] == [t.to_dict() for t in fitted.topics_]
    assert np.array_equal(again.topic_embeddings_, fitted.topic_embeddings_)


def test_saved_bytes_are_reproducible(fitted, corpus, tmp_path):
    again = TopicModel(config=TopicsConfig(), taxonomy=load_taxonomy()).fit(
        corpus["text"].tolist(), channels=corpus["channel"].tolist(), ids=corpus["id"].tolist())
    first, second = save_topic_model(fitted, tmp_path / "a"), save_topic_model(again, tmp_path / "b")
    files = sorted(p.name for p in first.iterdir())
    assert files == sorted(p.name for p in second.iterdir())
    for name in files:
        if name in ("metadata.json", "README.md"):
            continue
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert json.loads((first / "metadata.json").read_text())["topic_model"]["files"] == \
        json.loads((second / "metadata.json").read_text())["topic_model"]["files"]


def test_save_load_round_trip_gives_identical_assignments(fitted, corpus, tmp_path):
    folder = save_topic_model(fitted, tmp_path / "model", training_data={"records": len(corpus)})
    loaded = load_topic_model(folder)
    texts = corpus["text"].tolist() + ["Рецепт: блины на молоке", "Ice on the Northern Sea Route", "", "12345"]
    assert assign_topics(loaded, texts) == assign_topics(fitted, texts)
    assert assign_topics(loaded, ["", "12345"]) == [(-1, "outlier", 0.0), (-1, "outlier", 0.0)]
    assert [t.to_dict() for t in loaded.topics_] == [t.to_dict() for t in fitted.topics_]
    metadata = json.loads((folder / "metadata.json").read_text())
    record = metadata["topic_model"]
    assert metadata["protocol"] >= 1 and record["kind"] == "topic_model"
    assert record["taxonomy"]["id"] == load_taxonomy().id and record["training_data"]["records"] == len(corpus)
    assert set(record["files"]) >= {"topic_embeddings.safetensors", "topics.json", "topic_model.json"}
    assert not any(p.suffix in (".pkl", ".pickle", ".bin", ".skops") for p in folder.iterdir())


def test_new_posts_get_a_topic_of_their_subject(fitted, corpus):
    subjects = corpus["subject"].tolist()
    majority = {t: Counter(s for tt, s in zip(fitted.document_topics_, subjects) if tt == t).most_common(1)[0][0]
                for t in set(fitted.document_topics_.tolist())}
    assigned = assign_topics(fitted, ["Ледокол прошел Северным морским путем сквозь арктический лед",
                                      "Bake the pie in the oven with apples and cinnamon",
                                      "Зенитные комплексы ПВО сбили ракеты над областью"])
    assert [majority[a[0]] for a in assigned] == ["arctic", "cooking", "military"]
    assert all(0 < a[2] <= 1 for a in assigned)


def test_loading_needs_neither_bertopic_nor_the_network(fitted, tmp_path):
    folder = save_topic_model(fitted, tmp_path / "model")
    script = (
        "import socket, sys\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('network blocked in this test')\n"
        "socket.socket.connect = socket.socket.connect_ex = refuse\n"
        "class Block:\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('bertopic', 'umap', 'hdbscan', 'sentence_transformers', 'torch', 'skops'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from training.topics import load_topic_model, assign_topics\n"
        f"model = load_topic_model({str(folder)!r})\n"
        "print(assign_topics(model, ['Recipe: fluffy pancakes with milk and eggs'])[0][0])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip().splitlines()[-1]) == fitted.assign(["Recipe: fluffy pancakes with milk and eggs"])[0][0]


def test_changed_or_foreign_files_are_refused(fitted, tmp_path):
    folder = save_topic_model(fitted, tmp_path / "model")
    state = folder / "topic_model.json"
    state.write_text(state.read_text(encoding="utf-8").replace('"size"', '"size" ', 1), encoding="utf-8")
    with pytest.raises(ModelError, match="sha256"):
        load_topic_model(folder)
    with pytest.raises(ModelError, match="not a model bundle|not found"):
        load_topic_model(tmp_path)


def test_fit_rejects_too_little_text():
    with pytest.raises(ValueError, match="at least 10"):
        TopicModel(config=TopicsConfig()).fit(["один пост"] * 3)
    with pytest.raises(ValueError, match="words left"):
        TopicModel(config=TopicsConfig()).fit(["🙂 https://t.me/x"] * 20)


@pytest.mark.slow
def test_hdbscan_outliers_are_reduced_below_the_configured_share(corpus):
    config = TopicsConfig()
    config.clustering.method = "hdbscan"
    config.clustering.min_cluster_size = 8
    config.clustering.min_samples = 15
    config.outliers.max_share = 0.1
    config.outliers.min_similarity = 0.0
    model = TopicModel(config=config, taxonomy=load_taxonomy()).fit(
        corpus["text"].tolist(), channels=corpus["channel"].tolist())
    assert model.stats_["outlier_share"] <= 0.1
    assert model.stats_["outlier_share_before_reduction"] >= model.stats_["outlier_share"]
    # UMAP + HDBSCAN keeps the few English posts of several subjects together; k-means (default) does not
    assert _purity(model.document_topics_.tolist(), corpus["subject"].tolist()) >= 0.8


def test_zeroshot_guidance_also_separates_and_names_subjects(corpus):
    config = TopicsConfig()
    config.guidance.mode = "zeroshot"
    model = TopicModel(config=config, taxonomy=load_taxonomy()).fit(
        corpus["text"].tolist(), channels=corpus["channel"].tolist())
    subjects = corpus["subject"].tolist()
    assert _purity(model.document_topics_.tolist(), subjects) >= 0.9
    for topic in model.topics_:
        members = [s for t, s in zip(model.document_topics_, subjects) if t == topic.id]
        majority, count = Counter(members).most_common(1)[0]
        if count == len(members):
            assert topic.theme == theme_of(majority), (topic.label, majority, topic.theme)


@pytest.mark.slow
def test_local_sentence_transformers_backend_round_trip(corpus, tmp_path):
    """The optional backend: a sentence-transformers model from a local folder (here a tiny one built
    on the spot from random word vectors, so no download), saved as a pointer to that folder."""
    pytest.importorskip("sentence_transformers", reason="needs sentence-transformers (topics extra)")
    import re

    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import StaticEmbedding
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    words = sorted({w for text in corpus["text"] for w in re.findall(r"\w+", text.lower())})
    tokenizer = Tokenizer(models.WordLevel(vocab={"[UNK]": 0, **{w: i + 1 for i, w in enumerate(words)}},
                                           unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    generator = torch.Generator().manual_seed(0)
    weights = torch.randn(len(words) + 1, 32, generator=generator).numpy()
    SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights)], device="cpu").save(
        str(tmp_path / "st"))

    config = TopicsConfig()
    config.embedding.backend = "sentence-transformers"
    config.embedding.model_path = str(tmp_path / "st")
    model = TopicModel(config=config, taxonomy=load_taxonomy()).fit(
        corpus["text"].tolist(), channels=corpus["channel"].tolist())
    folder = save_topic_model(model, tmp_path / "model")
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["topic_model"]["config"]["embedding"]["model_path"] == str(tmp_path / "st")
    loaded = load_topic_model(folder)
    texts = corpus["text"].tolist()[:40]
    assert assign_topics(loaded, texts) == assign_topics(model, texts)


def test_saving_prints_no_bertopic_warning_about_embedding_models(fitted, tmp_path):
    """BERTopic warns that a model saved without its embedding model should name a sentence-transformers model;
    ours is saved beside it on purpose, so the hint only misleads."""
    import logging

    records = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect(level=logging.WARNING)
    logging.getLogger("BERTopic").addHandler(handler)
    try:
        save_topic_model(fitted, tmp_path / "model")
    finally:
        logging.getLogger("BERTopic").removeHandler(handler)
    assert [record.getMessage() for record in records] == []
