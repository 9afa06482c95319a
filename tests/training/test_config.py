import pytest

from classify.errors import InputError
from training.config import ThemesTrainingConfig, apply_overrides, load_themes_config


def _write(tmp_path, text):
    path = tmp_path / "themes.toml"
    path.write_text(text, encoding="utf-8")
    return path


CONFIG = """seed = 7
[[data]]
path = "gold.jsonl"
[[data]]
path = "/abs/claims.jsonl"
weight = 0.5
[model]
C = 2
"""


def test_load_resolves_paths_and_reads_values(tmp_path):
    config = load_themes_config(_write(tmp_path, CONFIG))
    assert config.seed == 7
    assert config.model.C == 2.0 and isinstance(config.model.C, float)
    assert config.data[0].path == str(tmp_path / "gold.jsonl")
    assert config.data[1].path == "/abs/claims.jsonl" and config.data[1].weight == 0.5
    assert config.data[0].splits == ["train"]


def test_overrides(tmp_path):
    config = load_themes_config(_write(tmp_path, CONFIG),
                                ["model.C=8", "seed=3", "data.1.weight=0.25", "model.char_ngrams=[2, 4]",
                                 "name=mine"])
    assert (config.model.C, config.seed, config.data[1].weight) == (8.0, 3, 0.25)
    assert config.model.char_ngrams == [2, 4] and config.name == "mine"
    with pytest.raises(InputError, match="expected key=value"):
        apply_overrides({}, ["model.C"])
    with pytest.raises(InputError, match="no item 5"):
        apply_overrides({"data": []}, ["data.5.weight=1"])


def test_round_trip_to_dict():
    config = ThemesTrainingConfig.from_dict({"seed": 1, "data": [{"path": "a.jsonl"}], "model": {"C": 3.0}})
    assert ThemesTrainingConfig.from_dict(config.to_dict()) == config


def test_clear_errors(tmp_path):
    with pytest.raises(InputError, match="unknown key.*model.Cee"):
        load_themes_config(_write(tmp_path, CONFIG.replace("C = 2", "Cee = 2")))
    with pytest.raises(InputError, match="'model.C' must be float"):
        load_themes_config(_write(tmp_path, CONFIG), ["model.C=high"])
    with pytest.raises(InputError, match="invalid TOML"):
        load_themes_config(_write(tmp_path, "seed = = 1"))
    with pytest.raises(InputError, match=r"no \[\[data\]\]"):
        load_themes_config(_write(tmp_path, "seed = 1"))
    with pytest.raises(InputError, match="not found"):
        load_themes_config(tmp_path / "missing.toml")
    for key in ("taxonomy", "unlabeled.path"):
        with pytest.raises(InputError, match=f"themes.toml: '{key}': file not found: .*nothere.toml"):
            load_themes_config(_write(tmp_path, CONFIG), [f"{key}=nothere.toml"])


@pytest.mark.parametrize("override, message", [
    ("model.C=-1", "model.C must be > 0"),
    ("model.n_features=0", "model.n_features must be at least 1"),
    ("model.cv_folds=1", "model.cv_folds must be at least 2"),
    ("model.min_df=0", "model.min_df must be at least 1"),
    ("model.class_weight=weird", "model.class_weight must be"),
    ("model.word_ngrams=[2, 1]", "model.word_ngrams must be"),
    ("model.char_ngrams=[5, 3]", "model.char_ngrams must be"),
    ("model.seed_term_weight=-0.5", "must not be negative"),
    ("data.1.weight=0", "data.1.weight must be > 0"),
    ("seed=-1", "seed must be within"),
    ("model.C=inf", "'model.C' must be a finite number, not inf"),
    ("model.C=nan", "'model.C' must be a finite number, not nan"),
    ("model.seed_term_weight=nan", "'model.seed_term_weight' must be a finite number"),
    ("data.1.weight=inf", "'data.1.weight' must be a finite number"),
    ("model.word_vectors=glove", "model.word_vectors must be \"\" \\(none\\) or one of navec_news"),
])
def test_bad_values_are_named_before_training(tmp_path, override, message):
    with pytest.raises(InputError, match=message):
        load_themes_config(_write(tmp_path, CONFIG), [override])


def test_empty_character_ngrams_and_class_weight_are_allowed(tmp_path):
    config = load_themes_config(_write(tmp_path, CONFIG), ["model.char_ngrams=[]", 'model.class_weight=""'])
    assert config.model.char_ngrams == [] and config.model.class_weight == ""


def test_override_below_a_value_is_an_error(tmp_path):
    with pytest.raises(InputError, match="'seed' is a value, not a table"):
        load_themes_config(_write(tmp_path, CONFIG), ["seed.x=3"])
    with pytest.raises(InputError, match="'model.C' is a value, not a table"):
        load_themes_config(_write(tmp_path, CONFIG), ["model.C.x.y=3"])


def test_structure_errors_name_the_key(tmp_path):
    with pytest.raises(InputError, match="themes.toml: 'data.0.path' is required"):
        load_themes_config(_write(tmp_path, "[[data]]\nweight = 2.0\n"))
    with pytest.raises(InputError, match="themes.toml: 'model' must be a table"):
        load_themes_config(_write(tmp_path, 'model = 3\n[[data]]\npath = "gold.jsonl"\n'))


def test_the_same_data_file_twice_is_refused(tmp_path):
    twice = CONFIG.replace('path = "/abs/claims.jsonl"', f'path = "{tmp_path / "gold.jsonl"}"')
    with pytest.raises(InputError, match="data.1.path is data.0.path again"):
        load_themes_config(_write(tmp_path, twice))
