import json

import numpy as np
import pytest

import classify
from classify.errors import ModelError
from classify.model import load_model
from training.config import load_themes_config
from training.train_themes import train_and_save_themes
from tests.training.theme_fixtures import THEMES, make_posts, write_config, write_jsonl


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("themes")
    write_config(folder)
    train_and_save_themes(load_themes_config(folder / "themes.toml"), folder / "model", cv_folds=3)
    return folder / "model"


def test_load_and_predict(bundle):
    model = classify.load_model(bundle)
    assert model.themes_ == THEMES and not model.has_claims
    assert model.taxonomy["id"] == "fixture-themes"
    assert model.predict("Атомный ледокол прошёл Северным морским путём.", "ru") == [["arctic"]]
    assert model.predict([]) == []
    scores = model.predict_scores(["Inflation accelerated in the country."], ["en"])[0]
    assert set(scores) == set(THEMES) and max(scores, key=scores.get) == "economy"
    assert set(model.thresholds_) == set(THEMES)
    # Language detected when not given.
    assert model.predict(["Inflation accelerated in the country, the central bank raised its key rate."]) \
        == [["economy"]]


def test_round_trip_and_retraining_give_identical_bytes_and_predictions(bundle, tmp_path):
    folder = tmp_path / "again"
    train_and_save_themes(load_themes_config(bundle.parent / "themes.toml"), folder, cv_folds=3)
    for name in ("themes.skops", "metadata.json", "README.md"):
        assert (folder / name).read_bytes() == (bundle / name).read_bytes(), name
    texts = [p["text"] for p in make_posts(20, seed=42)]
    first, second = load_model(bundle), load_model(folder)
    np.testing.assert_array_equal(first.predict_proba(texts, "ru"), second.predict_proba(texts, "ru"))


def test_metadata_and_card(bundle):
    metadata = json.loads((bundle / "metadata.json").read_text())
    component = metadata["components"]["themes"]
    assert metadata["protocol"] == 1 and "scikit-learn" in metadata["libraries"]
    assert component["taxonomy"]["version"] == "1.0" and len(component["taxonomy"]["sha256"]) == 64
    assert component["training_data"][0]["records"] == 80 and len(component["training_data"][0]["sha256"]) == 64
    assert component["metrics"]["overall"]["records"] == 80
    card = (bundle / "README.md").read_text()
    assert "## Themes" in card and "Held-out quality" in card and "Limits" in card


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        load_model(tmp_path / "nothing")


def test_shipped_default_model_loads_and_matches_the_taxonomy():
    from labels.taxonomy import load_taxonomy

    model = load_model()
    taxonomy = load_taxonomy()
    assert model.themes_ == taxonomy.theme_ids
    assert model.taxonomy["sha256"] == taxonomy.sha256, "rebuild models/default: python -m training build-default"
    bundle_bytes = sum(path.stat().st_size for path in model.path.iterdir())
    assert bundle_bytes < 25 * 2 ** 20
    predicted = model.predict(["Атомный ледокол прошёл Северным морским путём в Арктике.",
                               "Инфляция ускорилась, и центральный банк повысил ключевую ставку.",
                               "A nuclear icebreaker sailed the Northern Sea Route through the Arctic."], ["ru", "ru", "en"])
    assert "arctic" in predicted[0] and "economy" in predicted[1] and "arctic" in predicted[2]



def test_texts_without_words_get_no_themes_as_classify_tag_gives_them(tmp_path):
    """Trained on Russian posts only, the intercepts alone put an empty text over a theme's threshold; tag skips
    such texts, and so does the model."""
    write_config(tmp_path)
    write_jsonl(tmp_path / "train.jsonl", [post for post in make_posts(80) if post["lang"] == "ru"])
    train_and_save_themes(load_themes_config(tmp_path / "themes.toml"), tmp_path / "model")
    model = classify.load_model(tmp_path / "model")
    blank = ["", "   \n", None]
    assert model.predict(blank) == [[], [], []]
    assert model.predict(blank, "ru") == [[], [], []]
    assert not model.predict_indicator(blank).any()
    assert (model.predict_proba(blank, "ru") == 0).all()
    assert model.predict(["", "Инфляция в стране ускорилась."], "ru") == [[], ["economy"]]
