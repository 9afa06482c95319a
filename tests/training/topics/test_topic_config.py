import pytest

from classify.errors import InputError
from training.topics.config import TopicsConfig, load_config


def test_defaults_round_trip_through_dict():
    config = TopicsConfig()
    assert TopicsConfig.from_dict(config.to_dict()) == config


def test_shipped_config_loads(tmp_path):
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[3] / "training" / "configs" / "topics.toml"
    config = load_config(shipped)
    assert config.outliers.max_share < 0.2
    assert config.guidance.mode == "seed"


def test_toml_overrides_and_errors_name_the_file(tmp_path):
    path = tmp_path / "topics.toml"
    path.write_text('seed = 3\n[clustering]\nmethod = "hdbscan"\nmin_cluster_size = 12\n', encoding="utf-8")
    config = load_config(path)
    assert (config.seed, config.clustering.method, config.clustering.min_cluster_size) == (3, "hdbscan", 12)
    path.write_text('[clustering]\nmin_size = 3\n', encoding="utf-8")
    with pytest.raises(InputError, match="topics.toml.*min_size"):
        load_config(path)
    path.write_text('[outliers]\nstrategy = "magic"\n', encoding="utf-8")
    with pytest.raises(InputError, match="outliers.strategy"):
        load_config(path)
    path.write_text('[outliers\n', encoding="utf-8")
    with pytest.raises(InputError, match="invalid TOML"):
        load_config(path)
