import pandas as pd
import pytest

from classify.claims import extract_claims, find_claims, sentence_table
from training.claims import ClaimSentenceClassifier

FACTS = ["Инфляция в октябре составила 8,5%.", "Над Белгородом сбиты 12 беспилотников.",
         "Exports grew by 12% in 2024.", "Police detained 40 people in Paris."]
OTHER = ["Подписывайтесь на наш канал!", "Что вы думаете?", "Subscribe to our channel!", "What do you think?"]


@pytest.fixture(scope="module")
def classifier():
    rows, targets = [], []
    for i in range(30):
        for position, (text, label) in enumerate([(FACTS[i % 4], ["checkworthy"]), (OTHER[i % 4], [])]):
            rows.append({"text": text, "lang": "ru" if i % 4 < 2 else "en", "post": str(i),
                         "position": position, "count": 2})
            targets.append(label)
    return ClaimSentenceClassifier(cv_folds=2, n_features=2 ** 10).fit(pd.DataFrame(rows), targets)


def test_claims_carry_offsets_into_the_original_text(classifier):
    post = "**Срочно**\n🔹Инфляция в октябре составила 8,5%. [Подписывайтесь на наш канал!](https://t.me/x)"
    claims = find_claims(classifier, [post], ["ru"])[0]
    texts = [c["text"] for c in claims]
    assert "Инфляция в октябре составила 8,5%." in texts
    assert not any("Подписывайтесь" in text for text in texts)
    for claim in claims:
        assert post[claim["start"]:claim["end"]] == claim["text"]
        assert claim["label"] == "checkworthy" and 0 <= claim["score"] <= 1 and claim["themes"] == []


def test_one_list_per_post_including_empty_and_missing_texts(classifier):
    posts = ["Exports grew by 12% in 2024. What do you think?", "", None, "🔥🔥"]
    claims = find_claims(classifier, posts, ["en", "en", None, "ru"])
    assert len(claims) == 4
    assert [c["text"] for c in claims[0]] == ["Exports grew by 12% in 2024."]
    assert claims[1:] == [[], [], []]


def test_theme_predictor_gets_the_claim_sentences_in_one_batch(classifier):
    calls = []

    def themes(texts, langs):
        calls.append((list(texts), list(langs)))
        return [["economy"] if "12%" in text else [] for text in texts]

    claims = find_claims(classifier, ["Exports grew by 12% in 2024.", "Police detained 40 people in Paris."],
                         ["en", "en"], themes)
    assert len(calls) == 1 and len(calls[0][0]) == 2
    assert claims[0][0]["themes"] == ["economy"] and claims[1][0]["themes"] == []


def test_extract_claims_gives_each_claim_the_themes_of_its_sentence(tagging_bundle):
    from classify.model import load_model

    model = load_model(tagging_bundle)
    posts = ["Exports grew by 14% in 2023 after the summit. Subscribe to our channel!",
             "Над регионом сбиты 12 беспилотников. Доброе утро!"]
    claims = extract_claims(model, posts, ["en", "ru"])
    found = [claim for post_claims in claims for claim in post_claims]
    assert found, "the tiny bundle should find the sentences with figures"
    for claim in found:
        lang = "en" if claim["text"].isascii() else "ru"
        assert claim["themes"] == model.predict([claim["text"]], [lang])[0]


def test_sentence_table_rejects_mismatched_languages():
    with pytest.raises(ValueError, match="languages"):
        sentence_table(["a", "b"], ["ru"])


def _gold_posts():
    from labels.records import LabeledRecord, Span

    posts = [("Инфляция в марте составила 7,5%. Подписывайтесь на канал!", "ru", 32),
             ("Exports grew by 14% in 2023. What do you think?", "en", 28)]
    return [LabeledRecord(id=str(i), text=text, lang=lang, claims=[Span(0, end)])
            for i, (text, lang, end) in enumerate(posts)]


def test_evaluate_command_reports_claim_metrics(tagging_bundle, tmp_path):
    import json

    from click.testing import CliRunner

    from classify.cli import main

    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in _gold_posts()),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(tagging_bundle), str(gold), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "out" / "claims_metrics.json").read_text(encoding="utf-8"))
    assert metrics["records"] == 2 and metrics["span"]["all"]["gold"] == 2
    assert {"ru", "en"} <= set(metrics["span"]) and "span" in result.output


def test_evaluate_command_on_claims_only_gold(tagging_bundle, tmp_path):
    from click.testing import CliRunner

    from classify.cli import main

    gold = tmp_path / "sentences.tsv"
    gold.write_text("Sentence_id\tText\tclass_label\n1\tExports grew by 14% in 2023.\tYes\n"
                    "2\tWhat do you think?\tNo\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(tagging_bundle), str(gold), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "claims_metrics.json").is_file()


def test_evaluate_command_with_an_unknown_theme_writes_no_report(tagging_bundle, tmp_path):
    import json

    from click.testing import CliRunner

    from classify.cli import main

    text = "Над Белгородом сбиты 12 беспилотников. Подписывайтесь!"
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "p1", "text": text, "lang": "ru", "themes": ["no_such_theme"],
                                "claims": [{"start": 0, "end": 38, "label": "checkworthy"}]},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(tagging_bundle), str(gold), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "gold.jsonl: line 1: theme(s) no_such_theme unknown" in result.output
    assert not (tmp_path / "out").exists()
    gold.write_text(json.dumps({"id": "p1", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["evaluate", str(tagging_bundle), str(gold), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "no rows with theme labels to evaluate, and no claim labels" in result.output
