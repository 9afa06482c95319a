"""The topic model: BERTopic fitted on normalized Telegram posts, guided by the taxonomy.

Fitting needs the ``topics`` extra (BERTopic). A fitted or loaded
:class:`TopicModel` assigns topics with numpy alone: a post goes to the topic
whose centroid embedding is most similar (cosine), or to -1 when no topic is
similar enough. So assignments are the same before and after saving, and
inference imports neither BERTopic nor torch.

Example
-------
>>> model = TopicModel(config=TopicsConfig(), taxonomy=load_taxonomy()).fit(texts, channels=channels)  # doctest: +SKIP
>>> model.assign(["Новые санкции против банков"])  # doctest: +SKIP
[(3, '3_санкции_банки_рубля', 0.41)]
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np

from classify.errors import ModelError
from training.topics.backend import make_backend
from training.topics.config import TopicsConfig
from training.topics.guided import (NEW_THEME, map_topics_to_themes, seed_term_shares, seed_topic_list,
                                    theme_seed_terms, theme_texts)
from training.topics.preprocess import Preprocessor

OUTLIER = -1
MIN_POSTS = 10
OUTLIER_LABEL = "outlier"
# Thresholds tried, strictest first, when moving outliers into topics.
_OUTLIER_THRESHOLDS = (0.6, 0.5, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.0)


class TooFewPostsError(ValueError):
    """Too few posts (or distinct posts with words after cleaning) to fit a topic model."""


@dataclass
class Topic:
    """One discovered topic, as shown to analysts and saved in the model folder."""

    id: int
    size: int
    label: str
    words: list[tuple[str, float]]
    theme: str = NEW_THEME
    theme_similarity: float = 0.0
    closest_theme: str = ""
    theme_lift: float = 0.0
    representative_posts: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["words"] = [[word, round(float(score), 5)] for word, score in self.words]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Topic":
        data = dict(data)
        data["words"] = [(str(word), float(score)) for word, score in data["words"]]
        return cls(**data)


def _require_bertopic():
    try:
        import bertopic  # noqa: F401
    except ImportError as error:
        raise ModelError("fitting topic models needs BERTopic: pip install 'telegram-classify[topics]'") from error
    logging.getLogger("BERTopic").setLevel(logging.ERROR)


def _bertopic_embedder(backend):
    """The backend seen by BERTopic, which embeds seed lists and zero-shot topics with it."""
    from bertopic.backend import BaseEmbedder

    class _Embedder(BaseEmbedder):
        def embed(self, documents, verbose=False):
            return backend.embed(list(documents))

    return _Embedder()


def n_clusters_for(config: TopicsConfig, n_docs: int) -> int:
    """k for k-means: the configured number, or sqrt(n_docs) / 1.5 within 2..60; never above n_docs / 3."""
    wanted = config.clustering.n_clusters or int(round(np.sqrt(n_docs) / 1.5))
    return int(max(2, min(wanted if config.clustering.n_clusters else min(wanted, 60), n_docs // 3)))


def _cluster_models(config: TopicsConfig, n_docs: int):
    """Dimensionality reduction and clustering models for BERTopic, seeded for reproducibility.

    k-means on the unit-length embeddings (the default) clusters by cosine similarity in
    seconds; UMAP + HDBSCAN is BERTopic's classic pair, slower and leaving outliers.
    """
    from bertopic.dimensionality import BaseDimensionalityReduction

    if config.clustering.method == "kmeans":
        from sklearn.cluster import KMeans

        return BaseDimensionalityReduction(), KMeans(n_clusters=n_clusters_for(config, n_docs), n_init=1,
                                                     random_state=config.seed)
    from hdbscan import HDBSCAN
    from umap import UMAP

    umap_model = UMAP(n_neighbors=config.reduction.n_neighbors, n_components=config.reduction.n_components,
                      min_dist=config.reduction.min_dist, metric="cosine", n_epochs=config.reduction.n_epochs,
                      random_state=config.seed, low_memory=True)
    hdbscan_model = HDBSCAN(min_cluster_size=config.clustering.min_cluster_size,
                            min_samples=config.clustering.min_samples, metric="euclidean",
                            cluster_selection_method="eom", prediction_data=True)
    return umap_model, hdbscan_model


def _vectorizer(config: TopicsConfig):
    """Words and bigrams of the normalized posts; BERTopic fits it on one document per topic."""
    from sklearn.feature_extraction.text import CountVectorizer

    rep = config.representation
    return CountVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=(1, rep.ngram_max),
                           max_features=rep.max_features)


def topic_label(topic: int, words: Sequence[str], n_words: int = 3) -> str:
    """``"<id>_<word>_<word>_<word>"`` from the top words, skipping words that repeat earlier ones."""
    chosen: list[str] = []
    seen: set[str] = set()
    for word in words:
        tokens = set(word.split())
        if tokens <= seen:
            continue
        chosen.append(word.replace(" ", "-"))
        seen |= tokens
        if len(chosen) == n_words:
            break
    return f"{topic}_" + "_".join(chosen)


def _unit(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)


def centroids(embeddings: np.ndarray, topics: np.ndarray, topic_ids: Sequence[int]) -> np.ndarray:
    """Unit-length mean embedding of each topic's posts."""
    return _unit(np.vstack([embeddings[topics == topic].mean(axis=0) for topic in topic_ids]))


class TopicModel:
    """Topics discovered with BERTopic on Telegram posts, mapped to taxonomy themes.

    Parameters
    ----------
    config : TopicsConfig, the settings (defaults when None).
    taxonomy : the taxonomy whose seed terms guide the topics and whose themes
        name them; None fits unguided topics, all marked new.

    Attributes (after fit or load)
    ------------------------------
    topics_ : list of :class:`Topic`, ordered by id (0, 1, ...; outliers are not a topic).
    topic_embeddings_ : (n_topics, dim) unit centroids, the basis of :meth:`assign`.
    preprocessor_, backend_ : the fitted text preparation and embedding backend.
    document_topics_ : topic of every fitted text (-1 = outlier).
    stats_ : counts and shares of the fit (documents, distinct documents, outlier share).
    """

    def __init__(self, *, config: TopicsConfig | None = None, taxonomy=None):
        self.config = config
        self.taxonomy = taxonomy

    # -- fit -----------------------------------------------------------------
    def fit(self, texts: Sequence[str], *, channels: Sequence[str] | None = None,
            ids: Sequence[str] | None = None) -> "TopicModel":
        config = self.config or TopicsConfig()
        config.validate()
        texts = ["" if t is None else str(t) for t in texts]
        if len(texts) < MIN_POSTS:
            raise TooFewPostsError(f"a topic model needs at least {MIN_POSTS} posts, got {len(texts)}")
        ids = [str(i) for i in ids] if ids is not None else [str(i) for i in range(len(texts))]
        _require_bertopic()
        from bertopic import BERTopic
        from bertopic.vectorizers import ClassTfidfTransformer

        prep = config.preprocess
        self.preprocessor_ = Preprocessor(min_line_repeats=prep.min_line_repeats,
                                          min_token_length=prep.min_token_length,
                                          extra_stop_words=prep.extra_stop_words)
        normalized = self.preprocessor_.fit_transform(texts, channels)
        # One row per distinct non-empty document: duplicates would form topics of their own.
        keys = normalized if prep.deduplicate else [f"{i}\x00{doc}" for i, doc in enumerate(normalized)]
        first_of: dict[str, int] = {}
        for index, (key, doc) in enumerate(zip(keys, normalized)):
            if doc and key not in first_of:
                first_of[key] = index
        fit_rows = np.array(sorted(first_of.values()), dtype=np.int64)
        if len(fit_rows) < MIN_POSTS:
            raise TooFewPostsError(f"only {len(fit_rows)} distinct posts have words left after cleaning; "
                                   f"need at least {MIN_POSTS}")
        fit_docs = [normalized[i] for i in fit_rows]

        embed_params = {"backend": config.embedding.backend}
        if config.embedding.backend == "tfidf-svd":
            embed_params.update(n_components=config.embedding.n_components, min_df=config.embedding.min_df,
                                max_df=config.embedding.max_df, random_state=config.seed)
        else:
            embed_params.update(model_path=config.embedding.model_path)
        self.backend_ = make_backend(embed_params)
        backend_input = fit_docs if self.backend_.reads_normalized_text else \
            [self.preprocessor_.remove_boilerplate(texts[i]) for i in fit_rows]
        self.backend_.fit(backend_input)
        embeddings = self.backend_.embed(backend_input)

        seeds, zeroshot = None, None
        if self.taxonomy is not None and config.guidance.mode != "none":
            if config.guidance.mode == "seed":
                seeds = self._seed_lists()
            else:
                zeroshot = self._theme_texts()
        umap_model, cluster_model = _cluster_models(config, len(fit_docs))
        topic_model = BERTopic(
            embedding_model=_bertopic_embedder(self.backend_), umap_model=umap_model, hdbscan_model=cluster_model,
            vectorizer_model=_vectorizer(config),
            ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
            top_n_words=config.representation.top_n_words, seed_topic_list=seeds, zeroshot_topic_list=zeroshot,
            zeroshot_min_similarity=config.guidance.zeroshot_min_similarity)
        # Guided modelling nudges the embeddings it is given in place; keep ours intact for centroids.
        predicted, _ = topic_model.fit_transform(fit_docs, embeddings=embeddings.copy())
        # topics_ is what the topic words were computed from; with zero-shot topics BERTopic 0.17
        # returns predictions in another order, so they are only a cross-check.
        fit_topics = np.asarray(topic_model.topics_)
        if config.guidance.mode != "zeroshot" and not np.array_equal(fit_topics, np.asarray(predicted)):
            raise ModelError("BERTopic's predictions and topics_ disagree; please report this")
        raw_outlier_share = float(np.mean(fit_topics == OUTLIER))
        fit_topics = self._reduce_outliers(topic_model, fit_docs, fit_topics, embeddings, config)
        if not np.array_equal(fit_topics, np.asarray(topic_model.topics_)):
            topic_model.update_topics(fit_docs, topics=fit_topics.tolist(),
                                      vectorizer_model=_vectorizer(config),
                                      ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
                                      top_n_words=config.representation.top_n_words)

        topic_ids = sorted(set(fit_topics.tolist()) - {OUTLIER})
        if not topic_ids:
            raise ModelError("the topic model found no topics; lower clustering.min_cluster_size")
        self.topic_embeddings_ = centroids(embeddings, fit_topics, topic_ids)
        if topic_ids != list(range(len(topic_ids))):  # pragma: no cover - BERTopic numbers topics 0..n-1
            raise ModelError(f"unexpected topic ids {topic_ids[:5]}...")

        # Every post gets the topic of its first copy; posts with no words left are outliers.
        row_topic = dict(zip(fit_rows.tolist(), fit_topics.tolist()))
        document_topics = np.full(len(texts), OUTLIER, dtype=np.int64)
        for index, (key, doc) in enumerate(zip(keys, normalized)):
            if doc:
                document_topics[index] = row_topic[first_of[key]]
        self.document_topics_ = document_topics
        self.preprocessor_.learn_phrase_forms(normalized, [word for topic in topic_ids
                                                          for word, _ in topic_model.get_topic(topic)])
        self.topics_ = self._describe_topics(topic_model, topic_ids, fit_rows, fit_docs, fit_topics, embeddings,
                                            texts, ids)
        self.stats_ = {"documents": len(texts), "distinct_documents": int(len(fit_rows)),
                       "topics": len(topic_ids), "outlier_share_before_reduction": round(raw_outlier_share, 4),
                       "outlier_share": round(float(np.mean(document_topics == OUTLIER)), 4)}
        self._finish_bertopic(topic_model, fit_topics, embeddings)
        self.bertopic_ = topic_model
        self.config_ = config
        return self

    def _seed_lists(self) -> list[list[str]]:
        if self.backend_.reads_normalized_text:
            return seed_topic_list(self.taxonomy, self.preprocessor_.normalize_terms)
        return seed_topic_list(self.taxonomy, lambda terms: list(dict.fromkeys(terms)))

    def _theme_texts(self) -> list[str]:
        normalize = self.preprocessor_.normalize if self.backend_.reads_normalized_text else str
        return theme_texts(self.taxonomy, normalize)

    @staticmethod
    def _reduce_outliers(topic_model, docs, topics, embeddings, config) -> np.ndarray:
        """Move outliers into topics with the strictest threshold that leaves at most ``max_share`` outliers."""
        strategy = config.outliers.strategy
        if strategy == "none" or not np.any(topics == OUTLIER) or np.all(topics == OUTLIER):
            return topics
        if np.mean(topics == OUTLIER) <= config.outliers.max_share:
            return topics
        candidates = [t for t in _OUTLIER_THRESHOLDS if t >= config.outliers.min_similarity]
        reduced = topics
        for threshold in candidates:
            reduced = np.asarray(topic_model.reduce_outliers(
                docs, topics.tolist(), strategy=strategy, threshold=threshold,
                embeddings=embeddings if strategy == "embeddings" else None))
            if np.mean(reduced == OUTLIER) <= config.outliers.max_share:
                break
        return reduced

    def _describe_topics(self, topic_model, topic_ids, fit_rows, fit_docs, fit_topics, embeddings, texts,
                         ids) -> list[Topic]:
        config = self.config or TopicsConfig()
        matches = [None] * len(topic_ids)
        if self.taxonomy is not None:
            terms = theme_seed_terms(self.taxonomy, self.preprocessor_.normalize)
            mentions = seed_term_shares(fit_docs, fit_topics, topic_ids, terms)
            matches = map_topics_to_themes(mentions["topic_shares"], mentions["corpus_shares"],
                                           self.taxonomy.theme_ids, min_share=config.guidance.theme_min_share,
                                           min_lift=config.guidance.theme_min_lift,
                                           topic_terms=mentions["topic_terms"], corpus_terms=mentions["corpus_terms"])
        similarity = embeddings @ self.topic_embeddings_.T
        topics = []
        for topic, match in zip(topic_ids, matches):
            members = np.flatnonzero(fit_topics == topic)
            best = members[np.argsort(-similarity[members, topic], kind="stable")]
            representative = [{"id": ids[fit_rows[i]], "text": texts[fit_rows[i]][:500],
                               "similarity": round(float(similarity[i, topic]), 4)}
                              for i in best[: config.representation.representative_posts]]
            words = [(self.preprocessor_.display(word), float(score))
                     for word, score in topic_model.get_topic(topic) if word]
            label = topic_label(topic, [word for word, _ in words])
            size = int(np.sum(self.document_topics_ == topic))
            topics.append(Topic(id=topic, size=size, label=label, words=words,
                                theme=match.theme if match else NEW_THEME,
                                theme_similarity=match.similarity if match else 0.0,
                                closest_theme=match.closest if match else "",
                                theme_lift=match.lift if match else 0.0,
                                representative_posts=representative))
        return topics

    def _finish_bertopic(self, topic_model, fit_topics, embeddings) -> None:
        """Make the BERTopic object saved beside us readable: shown words, theme labels, our centroids."""
        vectorizer = topic_model.vectorizer_model
        vectorizer.vocabulary_ = {word: int(index) for word, index in vectorizer.vocabulary_.items()}
        topic_model.topic_representations_ = {
            topic: [(self.preprocessor_.display(word), score) for word, score in words]
            for topic, words in topic_model.topic_representations_.items()}
        rows = [self.topic_embeddings_]
        if OUTLIER in topic_model.topic_sizes_ and np.any(fit_topics == OUTLIER):
            rows.insert(0, centroids(embeddings, fit_topics, [OUTLIER]))
        topic_model.topic_embeddings_ = np.vstack(rows)
        labels = {t.id: f"{t.label} [{t.theme}]" for t in self.topics_}
        if OUTLIER in topic_model.topic_sizes_:
            labels[OUTLIER] = OUTLIER_LABEL
        topic_model.set_topic_labels(labels)

    # -- use -----------------------------------------------------------------
    def _check_fitted(self) -> None:
        if getattr(self, "topic_embeddings_", None) is None:
            raise ModelError("this TopicModel is not fitted; call fit() or load_topic_model()")

    def embed(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings of ``texts`` and a mask of the texts left with words after cleaning."""
        self._check_fitted()
        normalized = self.preprocessor_.transform(texts)
        has_words = np.array([bool(doc) for doc in normalized], dtype=bool)
        if self.backend_.reads_normalized_text:
            inputs = normalized
        else:
            inputs = [self.preprocessor_.remove_boilerplate(text) for text in texts]
        return self.backend_.embed(inputs), has_words

    def topic_similarities(self, texts: Sequence[str]) -> np.ndarray:
        """(n_texts, n_topics) cosine similarity of each text to each topic centroid (0 for texts without words)."""
        embeddings, has_words = self.embed(["" if t is None else str(t) for t in texts])
        similarity = _unit(embeddings) @ self.topic_embeddings_.T
        similarity[~has_words] = 0.0
        return similarity

    def assign(self, texts: str | Sequence[str]) -> list[tuple[int, str, float]]:
        """``(topic_id, label, similarity)`` for each text; -1 / "outlier" when no topic is similar enough."""
        if isinstance(texts, str):
            texts = [texts]
        texts = list(texts)
        if not texts:
            return []
        similarity = self.topic_similarities(texts)
        best = np.argmax(similarity, axis=1)
        scores = similarity[np.arange(len(texts)), best]
        threshold = (self.config_ if hasattr(self, "config_") else TopicsConfig()).assign_min_similarity
        result = []
        for topic, score in zip(best.tolist(), scores.tolist()):
            if score < max(threshold, 1e-9):
                result.append((OUTLIER, OUTLIER_LABEL, round(float(score), 4)))
            else:
                result.append((int(topic), self.topics_[topic].label, round(float(score), 4)))
        return result

    def topic(self, topic_id: int) -> Topic:
        self._check_fitted()
        if not 0 <= topic_id < len(self.topics_):
            raise KeyError(topic_id)
        return self.topics_[topic_id]


def assign_topics(topic_model: TopicModel, texts: Sequence[str]) -> list[tuple[int, str, float]]:
    """Topic of each text as ``(topic_id, label, probability)``; the probability is the cosine
    similarity to the topic centroid (a confidence in 0..1, not a calibrated probability)."""
    return topic_model.assign(texts)
