import numpy as np
import pytest
from sklearn.base import clone

from training.features import HashedTextFeatures, clean_text, seed_stem
from training.themes import ThemeClassifier, best_f1_threshold
from tests.training.theme_fixtures import THEMES, make_posts


def _fit(posts, **options):
    params = dict(themes=THEMES, n_features=2 ** 12, cv_folds=3, random_state=0)
    params.update(options)
    return ThemeClassifier(**params).fit([p["text"] for p in posts], [p["themes"] for p in posts],
                                         langs=[p["lang"] for p in posts])


def test_learns_themes_in_both_languages():
    posts = make_posts(120)
    model = _fit(posts)
    held = make_posts(40, seed=99)
    predicted = model.predict([p["text"] for p in held], [p["lang"] for p in held])
    hits = sum(set(pred) == set(p["themes"]) for pred, p in zip(predicted, held))
    assert hits / len(held) >= 0.8
    assert model.predict("Атомный ледокол вышел в Арктику.", "ru") == [["arctic"]]


def test_estimator_contract():
    model = ThemeClassifier(C=2.0, n_features=2 ** 10)
    assert model.get_params()["C"] == 2.0 and not hasattr(model, "coef_")
    with pytest.raises(TypeError):
        ThemeClassifier(2.0)  # keyword-only
    with pytest.raises(Exception, match="not fitted"):
        model.predict(["text"])
    copy = clone(model)
    assert copy.get_params() == model.get_params()
    posts = make_posts(60)
    fitted = _fit(posts)
    assert fitted.classes_ == THEMES
    assert fitted.coef_.shape[0] == len(THEMES)


def test_same_data_and_seed_give_identical_model():
    posts = make_posts(60)
    first, second = _fit(posts), _fit(posts)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.thresholds_, second.thresholds_)
    texts = [p["text"] for p in posts]
    np.testing.assert_array_equal(first.predict_proba(texts), second.predict_proba(texts))


def test_scores_are_probabilities_and_language_specific():
    posts = make_posts(120)
    model = _fit(posts)
    scores = model.predict_proba([p["text"] for p in posts[:10]], [p["lang"] for p in posts[:10]])
    assert scores.shape == (10, len(THEMES))
    assert ((scores >= 0) & (scores <= 1)).all()
    assert set(model.languages_) == {"*", "en", "ru"}
    # Unknown languages fall back to the pooled calibration.
    pooled = model.predict_proba(["Inflation accelerated."])
    assert np.allclose(model.predict_proba(["Inflation accelerated."], ["de"]), pooled)


def test_bad_labels_are_refused():
    with pytest.raises(ValueError, match="unknown theme 'weather'"):
        ThemeClassifier(themes=THEMES, n_features=2 ** 10).fit(["a", "b", "c"], [["weather"], [], []])
    with pytest.raises(ValueError, match="not the string"):
        ThemeClassifier(themes=THEMES, n_features=2 ** 10).fit(["a", "b", "c"], ["arctic", [], []])
    with pytest.raises(ValueError, match="single string"):
        ThemeClassifier(themes=THEMES).fit("text", [["arctic"]])


def test_best_f1_threshold():
    scores = np.array([0.9, 0.8, 0.4, 0.3, 0.1])
    truth = np.array([1, 1, 0, 1, 0])
    threshold = best_f1_threshold(scores, truth)
    # Cutting below 0.3 catches all three positives with one false one: F1 6/7, the best here.
    assert 0.1 < threshold < 0.3
    assert best_f1_threshold(scores, np.zeros(5)) == 1.0


def test_features_cover_words_chars_and_seed_terms():
    features = HashedTextFeatures(n_features=2 ** 10, seed_terms=[[seed_stem("ледокол")], ["nato"]])
    features.fit(["Ледоколы вышли в море", "NATO drills"])
    matrix = features.transform(["Новые ледоколы", "NATO NATO", ""])
    assert matrix.shape == (3, 2 * 2 ** 10 + 2)
    assert matrix[0, -2] > 0 and matrix[0, -1] == 0 and matrix[1, -1] > 0
    assert matrix[2].nnz == 0
    assert clean_text("**Ёлка** [тут](https://x.org)") == "**елка** тут"
    # Same text, same features, whatever else is in the chunk (per-word hashes are cached).
    alone = features.transform(["Новые ледоколы"]).toarray()
    np.testing.assert_array_equal(alone, matrix[0].toarray())


def test_seed_phrases_match_inflected_words_in_order():
    features = HashedTextFeatures(n_features=2 ** 8, char_ngrams=None,
                                  seed_terms=[[seed_stem("северный морской путь")], [seed_stem("arctic council")]])
    features.fit(["x"])
    matrix = features.transform(["Грузы пошли Северным морским путь-маршрутом", "морской северный путь",
                                 "The Arctic Council met", "Arctic. Council"]).toarray()
    seeds = matrix[:, -2:]
    assert seeds[0, 0] > 0 and seeds[1, 0] == 0  # words in the phrase's order only
    assert seeds[2, 1] > 0 and seeds[3, 1] > 0 and seeds[2, 0] == 0


def test_length_split_calibrates_short_and_long_texts_apart():
    posts = make_posts(160)
    long_posts = [dict(p, text=p["text"] + " " + p["text"]) for p in posts[::2]]
    model = _fit(posts + long_posts, length_split=120)
    assert any(group.endswith(":long") for group in model.languages_)
    short, long = "Инфляция ускорилась.", "Инфляция ускорилась. " * 12
    groups = model._groups([short, long], ["ru", "ru"])
    assert [model.languages_[g] for g in groups] == ["ru:short", "ru:long"]
    assert set(model.thresholds_for("de:short")) == set(THEMES)  # unknown groups fall back to pooled


def test_min_language_positives_decides_which_languages_get_their_own_thresholds():
    posts = make_posts(160)
    own = _fit(posts, min_language_positives=1)
    pooled = _fit(posts, min_language_positives=10 ** 6)
    assert own.thresholds_for("ru") != own.thresholds_for("*")
    assert pooled.thresholds_for("ru") == pooled.thresholds_for("*") == pooled.thresholds_for("en")
    probabilities = pooled.predict_proba(["Курс рубля упал", "Oil prices rise"], ["ru", "ru"])
    np.testing.assert_allclose(probabilities, pooled.predict_proba(["Курс рубля упал", "Oil prices rise"],
                                                                    ["en", "en"]))
