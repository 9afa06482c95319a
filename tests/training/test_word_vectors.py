"""The word-vector block of the theme classifier, on a small vector table written here."""
import importlib.util

import numpy as np
import pytest

from classify.bundle import load_bundle, save_component
from training import themes as themes_module
from training.themes import ThemeClassifier
from training.features import HashedTextFeatures
from training import word_vectors
from training.word_vectors import mean_of, word_table

_ARCTIC = ["ледокол", "арктика", "полярный", "льды", "тундра", "мерзлота"]
_ECONOMY = ["инфляция", "рубль", "цены", "ставка", "бюджет", "налоги"]
_OTHER = ["сегодня", "вчера", "город", "люди"]


def _vectors():
    rng = np.random.default_rng(0)
    words = _ARCTIC + _ECONOMY + _OTHER
    centres = {"arctic": np.eye(8)[0] * 3, "economy": np.eye(8)[1] * 3, "other": np.zeros(8)}
    group = ["arctic"] * len(_ARCTIC) + ["economy"] * len(_ECONOMY) + ["other"] * len(_OTHER)
    vectors = np.array([centres[g] + rng.normal(0, 0.1, 8) for g in group], dtype=np.float32)
    return words, vectors, "sha256-of-the-test-table"


@pytest.fixture
def fake_vectors(monkeypatch):
    monkeypatch.setattr(themes_module, "load_word_vectors", lambda name: _vectors())
    # configs accept only known sources: the fake table is one for the test
    monkeypatch.setitem(word_vectors.SOURCES, "test-table", ("no-package", "no-file"))


def _posts():
    # Training texts use only the first three words of each group: the rest is known only from the vectors.
    texts, labels = [], []
    for i in range(30):
        texts.append(f"{_ARCTIC[i % 3]} {_OTHER[i % 4]} {_ARCTIC[(i + 1) % 3]}")
        labels.append(["arctic"])
        texts.append(f"{_ECONOMY[i % 3]} {_OTHER[(i + 1) % 4]} {_ECONOMY[(i + 2) % 3]}")
        labels.append(["economy"])
    return texts, labels


def _fit(**options):
    texts, labels = _posts()
    return ThemeClassifier(themes=["arctic", "economy"], n_features=2 ** 10, cv_folds=3, **options).fit(texts, labels)


def test_mean_of_averages_the_rows_of_the_known_words():
    features = HashedTextFeatures(n_features=2 ** 10).fit(["x"])
    hashes, table = word_table(["льды", "рубль", "ёлка", "gps", "a-b"],
                               np.array([[1, 0], [0, 3], [5, 5], [7, 7], [9, 9]], dtype=np.float32))
    assert len(hashes) == 3  # Russian words only
    _, words = features.scaled_blocks_and_words(["Льды, льды и рубль!", "nothing known gps", "", "ЁЛКА и елка"])
    np.testing.assert_allclose(mean_of(words, hashes, table), [[2 / 3, 1.0], [0, 0], [0, 0], [5, 5]], rtol=1e-6)


def test_words_never_seen_in_training_get_the_theme_of_their_neighbours(fake_vectors):
    with_vectors = _fit(word_vectors="test-table")
    without = _fit()
    unseen = ["тундра мерзлота", "бюджет налоги"]
    assert with_vectors.predict(unseen) == [["arctic"], ["economy"]]
    assert without.predict(unseen) != [["arctic"], ["economy"]]
    assert with_vectors.word_vectors_sha256_ == "sha256-of-the-test-table"


def test_prediction_needs_only_the_stored_word_scores(fake_vectors, monkeypatch, tmp_path):
    model = _fit(word_vectors="test-table")
    texts = ["тундра мерзлота", "ставка рубль", "город люди", ""]
    expected = model.predict_proba(texts)
    monkeypatch.setattr(themes_module, "load_word_vectors", lambda name: pytest.fail("vectors loaded to predict"))
    np.testing.assert_array_equal(model.predict_proba(texts), expected)
    save_component(tmp_path, "themes", model, metadata={}, card_section="")
    loaded = load_bundle(tmp_path).components["themes"]
    np.testing.assert_array_equal(loaded.predict_proba(texts), expected)


def test_same_vectors_data_and_seed_give_identical_models(fake_vectors):
    first, second = _fit(word_vectors="test-table"), _fit(word_vectors="test-table")
    np.testing.assert_array_equal(first.word_scores_, second.word_scores_)
    np.testing.assert_array_equal(first.coef_, second.coef_)


def test_the_navec_news_vectors_load_offline_from_the_natasha_package():
    pytest.importorskip("navec", reason="the wordvectors extra is not installed")
    if importlib.util.find_spec("natasha") is None:
        pytest.skip("the wordvectors extra is not installed (no natasha)")
    from training.word_vectors import NAVEC_NEWS, load_word_vectors

    words, vectors, digest = load_word_vectors(NAVEC_NEWS)
    assert vectors.shape == (len(words), 300) and vectors.dtype == np.float32
    assert len(words) > 200_000 and "ледокол" in words
    assert len(digest) == 64


def test_a_config_with_word_vectors_records_them_in_metadata_and_card(fake_vectors, tmp_path):
    from training.config import load_themes_config
    from training.train_themes import train_and_save_themes
    from tests.training.theme_fixtures import write_config

    config = load_themes_config(write_config(tmp_path), ["model.word_vectors=test-table"])
    metadata = train_and_save_themes(config, tmp_path / "model")
    assert metadata["word_vectors"] == {"name": "test-table", "sha256": "sha256-of-the-test-table",
                                        "words": len(_ARCTIC + _ECONOMY + _OTHER), "weight": 1.0}
    assert "Word vectors: `test-table`" in (tmp_path / "model" / "README.md").read_text(encoding="utf-8")


def test_unknown_word_vectors_are_refused_with_a_clear_error():
    from classify.errors import ModelError
    from training.word_vectors import load_word_vectors

    with pytest.raises(ModelError, match="unknown word vectors 'glove'"):
        load_word_vectors("glove")
