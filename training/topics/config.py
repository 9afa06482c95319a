"""Topic-model settings: a dataclass read from TOML (``training/configs/topics.toml``).

Sections mirror the pipeline: ``[preprocess]``, ``[embedding]``, ``[reduction]``,
``[clustering]``, ``[representation]``, ``[guidance]``, ``[outliers]``. Keys
left out keep their defaults; unknown keys are an error naming the file.
"""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from classify.errors import InputError
from training.config import check_scalar

GUIDANCE_MODES = ("seed", "zeroshot", "none")
OUTLIER_STRATEGIES = ("embeddings", "c-tf-idf", "distributions", "none")
CLUSTERERS = ("hdbscan", "kmeans")
# Lowest allowed value of integer settings.
MINIMA = {"preprocess.min_line_repeats": 2, "preprocess.min_token_length": 1, "embedding.n_components": 1,
          "embedding.min_df": 1, "reduction.n_neighbors": 2, "reduction.n_components": 1, "reduction.n_epochs": 1,
          "clustering.min_samples": 1, "representation.top_n_words": 1, "representation.ngram_max": 1,
          "representation.max_features": 1, "representation.representative_posts": 0}


@dataclass
class PreprocessConfig:
    min_line_repeats: int = 5          # a line in this many posts of one channel is boilerplate
    min_token_length: int = 3
    extra_stop_words: list[str] = field(default_factory=list)
    deduplicate: bool = True           # fit on distinct normalized texts; duplicates take their original's topic


@dataclass
class EmbeddingConfig:
    backend: str = "tfidf-svd"         # or "sentence-transformers" with model_path
    n_components: int = 100
    min_df: int = 3
    max_df: float = 0.5
    model_path: str = ""


@dataclass
class ReductionConfig:
    n_neighbors: int = 15
    n_components: int = 5
    min_dist: float = 0.0
    n_epochs: int = 200


@dataclass
class ClusteringConfig:
    method: str = "kmeans"            # or "hdbscan" (with UMAP): slower, leaves outliers
    min_cluster_size: int = 30
    min_samples: int = 10
    n_clusters: int = 0                # kmeans only; 0 = sqrt(distinct posts) / 1.5, within 2..60


@dataclass
class RepresentationConfig:
    top_n_words: int = 10
    ngram_max: int = 2
    max_features: int = 50000          # the most frequent words and bigrams kept for topic words
    representative_posts: int = 5


@dataclass
class GuidanceConfig:
    mode: str = "seed"                 # taxonomy seed terms seed the topics; "zeroshot" uses theme texts
    zeroshot_min_similarity: float = 0.35
    theme_min_share: float = 0.2       # a topic is "new" unless this share of its posts mention a theme's seeds
    theme_min_lift: float = 1.5        # ... and at least this many times the share in the whole corpus


@dataclass
class OutlierConfig:
    strategy: str = "embeddings"
    max_share: float = 0.15            # reduce outliers until at most this share of posts is left in -1
    min_similarity: float = 0.05       # never move a post into a topic it resembles less than this


@dataclass
class TopicsConfig:
    seed: int = 42
    assign_min_similarity: float = 0.05  # new posts less similar than this to every topic get -1
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    reduction: ReductionConfig = field(default_factory=ReductionConfig)
    clustering: ClusteringConfig = field(default_factory=ClusteringConfig)
    representation: RepresentationConfig = field(default_factory=RepresentationConfig)
    guidance: GuidanceConfig = field(default_factory=GuidanceConfig)
    outliers: OutlierConfig = field(default_factory=OutlierConfig)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "<config>") -> "TopicsConfig":
        sections = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(sections))
        if unknown:
            raise InputError(source, f"unknown settings {unknown}")
        values = {}
        for name, value in data.items():
            default = sections[name].default_factory() if callable(sections[name].default_factory) else None
            if default is not None and hasattr(default, "__dataclass_fields__"):
                if not isinstance(value, dict):
                    raise InputError(source, f"[{name}] must be a table")
                known = {f.name for f in fields(default)}
                bad = sorted(set(value) - known)
                if bad:
                    raise InputError(source, f"unknown settings in [{name}]: {bad}")
                kinds = {f.name: f.type for f in fields(default)}
                values[name] = type(default)(**{key: _checked(item, kinds[key], source, f"{name}.{key}")
                                                for key, item in value.items()})
            else:
                values[name] = _checked(value, sections[name].type, source, name)
        config = cls(**values)
        config.validate(source)
        return config

    def validate(self, source: str = "<config>") -> None:
        checks = [
            (self.guidance.mode in GUIDANCE_MODES, f"guidance.mode must be one of {GUIDANCE_MODES}"),
            (self.outliers.strategy in OUTLIER_STRATEGIES, f"outliers.strategy must be one of {OUTLIER_STRATEGIES}"),
            (self.clustering.method in CLUSTERERS, f"clustering.method must be one of {CLUSTERERS}"),
            (0.0 <= self.outliers.max_share <= 1.0, "outliers.max_share must be within 0..1"),
            (0 <= self.seed < 2 ** 32, "seed must be within 0 .. 2**32 - 1"),
            (0.0 < self.embedding.max_df <= 1.0, "embedding.max_df must be within 0..1 (a share of posts)"),
            (self.clustering.min_cluster_size >= 2, "clustering.min_cluster_size must be at least 2"),
            (self.clustering.n_clusters == 0 or self.clustering.n_clusters >= 2,
             "clustering.n_clusters must be 0 (automatic) or at least 2"),
            (self.embedding.backend != "sentence-transformers" or bool(self.embedding.model_path),
             "embedding.model_path is needed for the sentence-transformers backend"),
        ]
        for key, lowest in MINIMA.items():
            section, name = key.split(".")
            checks.append((getattr(getattr(self, section), name) >= lowest, f"{key} must be at least {lowest}"))
        for ok, message in checks:
            if not ok:
                raise InputError(source, message)


def _checked(value, kind: str, source, key: str):
    """``value`` when it has the setting's type (an integer for a float is fine), else an error naming the key."""
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(source, f"'{key}' must be true or false, not {value!r}")
        return value
    return check_scalar(value, kind, source, key)


def load_config(path=None) -> TopicsConfig:
    """The config in a TOML file, or the defaults when ``path`` is None."""
    if path is None:
        return TopicsConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"invalid TOML: {error}") from None
    return TopicsConfig.from_dict(data, source=str(path))
