import json

import pandas as pd
import pytest
from click.testing import CliRunner

from classify.claim_clusters import ClusterOptions, cluster_claims, language_key, read_tagged_claims
from classify.cli import main
from classify.errors import InputError

CLAIMS = [
    # (post, channel, date, lang, text)
    ("mfa/10", "mfa_ru", "2025-03-01T09:00:00Z", "ru",
     "Товарооборот между Россией и Индией в 2024 году вырос на 12% и достиг 66 млрд долларов."),
    ("news/55", "news_daily", "2025-03-02T11:30:00Z", "ru",
     "Товарооборот между Россией и Индией в 2024 году вырос на 12 % и достиг 66 млрд долларов!"),
    ("mfa_en/7", "mfa_en", "2025-03-01T10:00:00Z", "en",
     "Trade between Russia and India grew by 12% in 2024 and reached $66 billion."),
    ("mfa/11", "mfa_ru", "2025-03-05T08:00:00Z", "ru",
     "Министр прибыл в Нью-Дели для переговоров."),
    ("mfa_en/9", "mfa_en", "2025-03-06T08:00:00Z", "en",
     "The ministry will hold a briefing on Thursday."),
    ("news/60", "news_daily", "2025-03-07T08:00:00Z", "ru",
     "Товарооборот между Россией и Китаем в 2024 году вырос на 2% и достиг 240 млрд долларов."),
]


def frame(rows=CLAIMS):
    data = pd.DataFrame(rows, columns=["post_id", "channel", "date", "lang", "text"])
    data["date"] = pd.to_datetime(data["date"], utc=True)
    data["label"] = "checkworthy"
    return data


def test_forwarded_and_translated_claim_form_one_group():
    groups = cluster_claims(frame())
    assert len(groups) == 1
    group = groups.iloc[0]
    assert group["count"] == 3
    assert group["posts"] == ["mfa/10", "mfa_en/7", "news/55"]
    assert group["channels"] == ["mfa_en", "mfa_ru", "news_daily"]
    assert group["languages"] == ["en", "ru"]
    assert group["first_seen"] == pd.Timestamp("2025-03-01T09:00:00Z")
    assert group["last_seen"] == pd.Timestamp("2025-03-02T11:30:00Z")
    assert "Инди" in group["representative"] or "India" in group["representative"]


def test_similar_wording_with_other_numbers_stays_apart():
    groups = cluster_claims(frame(), ClusterOptions(min_count=1))
    china = groups[groups["posts"].apply(lambda p: p == ["news/60"])]
    assert len(china) == 1


def test_without_cross_lingual_the_translation_is_not_joined():
    groups = cluster_claims(frame(), ClusterOptions(cross_lingual=False))
    assert groups.iloc[0]["languages"] == ["ru"]
    assert groups.iloc[0]["count"] == 2


def test_language_key_matches_transliterated_names_and_numbers():
    assert language_key("Лавров встретился с Джайшанкаром 5 марта").split()[0] == "lavr"
    assert language_key("Lavrov met Jaishankar on March 5").split()[0] == "lavr"
    assert "12" in language_key("рост на 12%").split()


def test_empty_input_gives_an_empty_table():
    assert cluster_claims(frame([])).empty


def write_tagged(path, rows=CLAIMS):
    with open(path, "w", encoding="utf-8") as handle:
        for post, channel, date, lang, text in rows:
            record = {"id": post, "channel": channel, "date": date, "lang": lang, "text": "Intro. " + text,
                      "themes": [], "claims": [{"start": 7, "end": 7 + len(text), "text": text,
                                                "label": "checkworthy", "score": 0.9, "themes": []}]}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def test_cli_writes_groups_and_reads_back(tmp_path):
    tagged = tmp_path / "tagged.jsonl"
    write_tagged(tagged)
    out = tmp_path / "claims.jsonl"
    result = CliRunner().invoke(main, ["claims", "cluster", str(tagged), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 1
    assert rows[0]["count"] == 3 and rows[0]["first_seen"].startswith("2025-03-01T09:00")


def test_same_input_same_output(tmp_path):
    tagged = tmp_path / "tagged.jsonl"
    write_tagged(tagged)
    outputs = []
    for name in ("a.jsonl", "b.jsonl"):
        CliRunner().invoke(main, ["claims", "cluster", str(tagged), "-o", str(tmp_path / name)])
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]


def test_bad_tagged_line_is_named(tmp_path):
    tagged = tmp_path / "tagged.jsonl"
    write_tagged(tagged)
    with open(tagged, "a", encoding="utf-8") as handle:
        handle.write('{"id": "x", "claims": [{"start": 1\n')
    with pytest.raises(InputError, match="line 7"):
        read_tagged_claims(tagged)
    result = CliRunner().invoke(main, ["claims", "cluster", str(tagged), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "line 7" in result.output
    assert not (tmp_path / "o.jsonl").exists()


def test_a_tag_table_saved_with_a_byte_order_mark_reads_as_without(tmp_path):
    # a Windows editor adds one; classify report reads such a file too
    tagged = tmp_path / "tagged.jsonl"
    write_tagged(tagged)
    marked = tmp_path / "marked.jsonl"
    marked.write_bytes(b"\xef\xbb\xbf" + tagged.read_bytes())
    pd.testing.assert_frame_equal(read_tagged_claims(marked), read_tagged_claims(tagged))


def test_a_bad_row_of_a_csv_tag_table_is_named_by_its_line(tmp_path):
    # posts hold line breaks, so a CSV record's line is not its number plus one
    claim = json.dumps([{"start": 0, "end": 1, "text": "x", "label": "checkworthy"}])
    rows = [["a", "mfa", "Line 1\nLine 2\nLine 3", claim], ["b", "mfa", "x\ny", "[]"], ["c", "mfa", "z", "[broken"],
            ["d", "mfa", "w", json.dumps([{"start": 0}])]]
    table = tmp_path / "tagged.csv"
    pd.DataFrame(rows, columns=["id", "channel", "text", "claims"]).to_csv(table, index=False)
    with pytest.raises(InputError, match=r"tagged\.csv: line 7: 'claims' is not JSON"):
        read_tagged_claims(table)
    pd.DataFrame(rows[:2] + rows[3:], columns=["id", "channel", "text", "claims"]).to_csv(table, index=False)
    with pytest.raises(InputError, match=r"tagged\.csv: line 7: claims\[0\] needs a 'text'"):
        read_tagged_claims(table)


def test_untagged_rows_are_refused(tmp_path):
    tagged = tmp_path / "posts.jsonl"
    tagged.write_text('{"id": "1", "text": "no claims here"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="claims"):
        read_tagged_claims(tagged)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_csv_and_parquet_tag_tables_give_the_claims_of_jsonl(tmp_path, suffix):
    # `classify tag` writes any of the three formats; clustering reads them all
    tagged = tmp_path / "tagged.jsonl"
    write_tagged(tagged)
    table = pd.read_json(tagged, lines=True, dtype=False)
    table.loc[2, "channel"] = None
    table.loc[1, "lang"] = None
    table.loc[0, "claims"] = []
    other = tmp_path / f"tagged.{suffix}"
    if suffix == "csv":
        table.assign(themes=table["themes"].map(json.dumps), claims=table["claims"].map(json.dumps)).to_csv(
            other, index=False)
    else:
        table.to_parquet(other)
    table.to_json(tagged, orient="records", lines=True, force_ascii=False)
    expected = read_tagged_claims(tagged)
    assert expected.loc[0, "lang"] == "und" and pd.isna(expected.loc[1, "channel"]) and len(expected) == len(CLAIMS) - 1
    pd.testing.assert_frame_equal(read_tagged_claims(other), expected)


def test_an_output_without_a_known_format_or_over_the_input_is_refused(tmp_path):
    tagged = tmp_path / "tagged.jsonl"
    write_tagged(tagged)
    result = CliRunner().invoke(main, ["claims", "cluster", str(tagged), "-o", str(tmp_path / "claims.txt")])
    assert result.exit_code == 2 and "claims.txt: cannot tell the output format" in result.output
    original = tagged.read_bytes()
    result = CliRunner().invoke(main, ["claims", "cluster", str(tagged), "-o", str(tagged)])
    assert result.exit_code == 2 and "the output is also the input" in result.output
    assert tagged.read_bytes() == original


def test_a_sentence_with_two_labels_is_not_a_recurring_claim():
    # a taxonomy with narratives: one sentence of one post is both check-worthy and a narrative
    rows = frame(CLAIMS[:1] * 2 + CLAIMS[3:4])
    rows.loc[1, "label"] = "narrative_russophobia"
    assert cluster_claims(rows).empty
    rows = frame(CLAIMS[:2] * 2)
    rows.loc[2:, "label"] = "narrative_russophobia"
    groups = cluster_claims(rows)
    assert groups["label"].tolist() == ["checkworthy", "narrative_russophobia"]
    assert groups["count"].tolist() == [2, 2] and groups["group"].tolist() == [1, 2]
