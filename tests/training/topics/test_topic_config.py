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


@pytest.mark.parametrize("text, message", [
    ('seed = "x"', "'seed' must be int, not str"),
    ('seed = -1', "seed must be within"),
    ('[embedding]\nn_components = "many"', "'embedding.n_components' must be int"),
    ('[embedding]\nmax_df = 2.0', "embedding.max_df must be within 0..1"),
    ('[preprocess]\nmin_line_repeats = -1', "preprocess.min_line_repeats must be at least 2"),
    ('[preprocess]\ndeduplicate = "yes"', "'preprocess.deduplicate' must be true or false"),
    ('[preprocess]\nextra_stop_words = "и"', "'preprocess.extra_stop_words' must be list\\[str\\]"),
    ('[representation]\ntop_n_words = 0', "representation.top_n_words must be at least 1"),
])
def test_values_of_the_wrong_type_or_range_name_the_setting(tmp_path, text, message):
    path = tmp_path / "topics.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=f"topics.toml: {message}"):
        load_config(path)


def test_an_integer_is_fine_for_a_float_setting(tmp_path):
    path = tmp_path / "topics.toml"
    path.write_text("assign_min_similarity = 0\n[embedding]\nmax_df = 1\n", encoding="utf-8")
    config = load_config(path)
    assert config.assign_min_similarity == 0.0 and config.embedding.max_df == 1.0
