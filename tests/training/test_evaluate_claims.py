import pytest

from labels.records import LabeledRecord, Span
from training.evaluate_claims import claim_metrics, span_matches


def test_half_coverage_rule_in_both_directions():
    gold = [(0, 100), (200, 240)]
    # covers 50 of the first gold span: found; the prediction lies within gold: correct
    assert span_matches(gold, [(50, 100)]) == (1, 1)
    # covers 49: not found; the prediction is only 49/200 inside gold: not correct
    assert span_matches([(0, 100)], [(51, 251)]) == (0, 0)
    assert span_matches(gold, [(51, 251)]) == (1, 0)
    assert span_matches(gold, []) == (0, 0)


def test_metrics_per_language_and_label():
    text_ru = "Инфляция составила 8%. Подписывайтесь!"
    text_en = "Exports grew 5%. Hello there. Police detained 40 people."
    records = [
        LabeledRecord(id="r", text=text_ru, lang="ru", claims=[Span(0, 22)]),
        LabeledRecord(id="e", text=text_en, lang="en", claims=[Span(0, 16), Span(30, 56)]),
        LabeledRecord(id="skip", text="No labels here.", lang="en", claims=None),
    ]
    predictions = {
        "r": [{"start": 0, "end": 22, "label": "checkworthy"}, {"start": 23, "end": 38, "label": "checkworthy"}],
        "e": [{"start": 0, "end": 16, "label": "checkworthy"}],
        "skip": [{"start": 0, "end": 5, "label": "checkworthy"}],
    }
    metrics = claim_metrics(records, predictions)
    assert metrics["span"]["ru"]["precision"] == 0.5 and metrics["span"]["ru"]["recall"] == 1.0
    assert metrics["span"]["en"]["precision"] == 1.0 and metrics["span"]["en"]["recall"] == 0.5
    overall = metrics["span"]["all"]
    assert (overall["gold"], overall["predicted"], overall["found"], overall["correct"]) == (3, 3, 2, 2)
    assert overall["f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["sentence"]["all"]["gold"] == 3 and metrics["sentence"]["all"]["predicted"] == 3
    assert "label:checkworthy" in metrics["span"]


def test_labels_only_match_their_own_label():
    record = LabeledRecord(id="x", text="Troops crossed the border at 5 am.", lang="en",
                           claims=[Span(0, 34, "military")])
    metrics = claim_metrics([record], {"x": [{"start": 0, "end": 34, "label": "checkworthy"}]})
    assert metrics["span"]["label:military"]["recall"] == 0.0
    assert metrics["span"]["label:checkworthy"]["precision"] == 0.0


def test_model_without_claims_or_gold_without_claims_gives_none():
    from training.evaluate_claims import evaluate_model_claims

    class ThemesOnly:
        components = {"themes": object()}

    record = LabeledRecord(id="x", text="Prices rose 5%.", lang="en", claims=[Span(0, 15)])
    assert evaluate_model_claims(ThemesOnly(), [record]) is None

    class WithClaims:
        components = {"claims": object()}

    unlabeled = LabeledRecord(id="y", text="Prices rose 5%.", lang="en", claims=None)
    assert evaluate_model_claims(WithClaims(), [unlabeled]) is None


def test_report_lines_cover_levels_and_groups():
    from training.evaluate_claims import format_claim_metrics

    record = LabeledRecord(id="x", text="Prices rose 5%. Hi!", lang="en", claims=[Span(0, 15)])
    lines = format_claim_metrics(claim_metrics([record], {"x": [{"start": 0, "end": 15, "label": "checkworthy"}]}))
    assert any(line.startswith("span") and " en " in line and line.endswith("1.000") for line in lines)
    assert any(line.startswith("sentence") for line in lines)


class _FixedClaims:
    """What evaluate_claims reads of a claim classifier itself (find_claims is replaced where it runs)."""

    labels_ = ["checkworthy"]


def test_gold_claim_labels_unknown_to_the_model_are_an_error_naming_the_record():
    from classify.errors import InputError
    from training.evaluate_claims import evaluate_claims

    record = LabeledRecord(id="n1", text="Troops crossed the border at 5 am.", lang="en",
                           claims=[Span(0, 34, "narrative_x")], source="gold.jsonl:3")
    with pytest.raises(InputError, match=r"gold\.jsonl: line 3: claim label\(s\) narrative_x unknown to the model"):
        evaluate_claims(_FixedClaims(), [record])


def test_gold_rows_without_a_language_are_scored_in_the_language_tagging_finds(monkeypatch):
    import classify.claims
    from training import evaluate_claims as module

    seen = []

    def fake_find_claims(classifier, texts, langs, theme_predictor=None):
        seen.extend(langs)
        return [[{"start": 0, "end": len(text), "label": "checkworthy"}] for text in texts]

    monkeypatch.setattr(classify.claims, "find_claims", fake_find_claims)
    records = [LabeledRecord(id="r", text="Министр заявил, что инфляция в октябре составила 8,5 процента.",
                             claims=[Span(0, 62)]),
               LabeledRecord(id="e", text="The minister said that inflation reached 8.5 percent in October.",
                             lang="en", claims=[Span(0, 64)])]
    metrics = module.evaluate_claims(_FixedClaims(), records)
    assert seen == ["ru", "en"]
    assert set(metrics["span"]) == {"all", "ru", "en", "label:checkworthy"}
    assert records[0].lang is None  # the caller's records are left as they were
