import pytest
from click.testing import CliRunner

from classify.cli.labels import labels
from labels.validate import validate_file, validate_files

TEXT = "Ночью сбили восемь беспилотников. Пострадавших нет."


def _row(record_id, themes=("security",), claims=((0, 33, "checkworthy"),), **extra):
    row = {"id": record_id, "text": TEXT, "themes": list(themes),
           "claims": [{"start": s, "end": e, "label": label} for s, e, label in claims]}
    row.update(extra)
    return row


def test_every_error_is_reported_with_file_and_line(write_jsonl, taxonomy):
    path = write_jsonl("bad.jsonl", [
        _row("ok"),                                                      # 1
        '{"id": "cut", "text": "truncated',                              # 2
        {"id": "no-text", "themes": []},                                 # 3
        _row("typo", themes=["secuirty"]),                               # 4
        _row("rumour", claims=[(0, 33, "rumour")]),                      # 5
        _row("far", claims=[(34, 500, "checkworthy")]),                  # 6
        _row("cross", claims=[(0, 33, "checkworthy"), (20, 40, "checkworthy")]),  # 7
        _row("ok", themes=["ukraine"]),                                  # 8
        "[1, 2]",                                                        # 9
        _row("blank", claims=(), text="   "),                                    # 10
        _row("twice", themes=["economy", "economy"]),                    # 11
        _row("backwards", claims=[(10, 5, "checkworthy")]),              # 12
        _row("clash", channel="a", meta={"channel": "b", "date": "x"}, date="x"),  # 13: one channel would be lost
        # 14: half of an emoji, escaped: JSON reads it, but no UTF-8 file (export, merge) can hold it
        '{"id": "half", "text": "Lone \\ud83d here.", "themes": []}',
    ])
    report = validate_file(path, taxonomy)
    got = [str(problem) for problem in report.problems]
    expected = [
        f"{path}: line 2: invalid JSON: Unterminated string starting at (column 23)",
        f"{path}: line 3: missing 'text'",
        f"{path}: line 4: unknown theme 'secuirty' (not in taxonomy telegram-state-news 1.1); did you mean 'security'?",
        f"{path}: line 5: unknown claim label 'rumour' (not in taxonomy telegram-state-news 1.1)",
        f"{path}: line 6: claims[0] span 34-500 is out of range (needs 0 <= start < end <= 51, the text length)",
        f"{path}: line 7: claims[1] span 20-40 crosses claims[0] 0-33 (same label 'checkworthy')",
        f"{path}: line 8: duplicate id 'ok' with different labels (first on line 1)",
        f"{path}: line 9: a record must be a JSON object, not list",
        f"{path}: line 10: empty 'text'",
        f"{path}: line 11: theme 'economy' listed twice",
        f"{path}: line 12: claims[0] span 10-5 is out of range (needs 0 <= start < end <= 51, the text length)",
        f"{path}: line 13: 'channel' is both a top-level key and a key of 'meta', with another value",
        f"{path}: line 14: '\\ud83d' (half of a UTF-16 surrogate pair) is not a character: no UTF-8 file can hold it",
    ]
    assert got == expected
    assert not report.ok
    assert report.records == 11  # lines whose id and text could be read


def test_suggestions_are_checked_but_never_counted_as_labels(write_jsonl, taxonomy):
    path = write_jsonl("s.jsonl", [
        {"id": "a", "text": TEXT, "suggestions": {"themes": ["security"], "scores": {"security": 0.7}, "agent": "m"}},
        {"id": "b", "text": TEXT, "suggestions": {"themes": ["sport"],
                                                  "claims": [{"start": 0, "end": 99, "label": "rumour"}]}},
        {"id": "c", "text": TEXT, "suggestions": {"colour": "red", "scores": {"security": "high"}}},
    ])
    report = validate_file(path, taxonomy)
    assert [str(p) for p in report.problems] == [
        f"{path}: line 2: suggestions.claims[0] span 0-99 is out of range (needs 0 <= start < end <= 51, the text length)",
        f"{path}: line 2: suggestions: unknown theme 'sport' (not in taxonomy telegram-state-news 1.1)",
        f"{path}: line 2: suggestions: unknown claim label 'rumour' (not in taxonomy telegram-state-news 1.1)",
        f"{path}: line 3: 'suggestions' has unknown key(s) colour",
        f"{path}: line 3: 'suggestions.scores' must map theme ids to numbers",
    ]
    assert (report.records, report.themes_labeled, report.claims_labeled) == (3, 0, 0)


def test_suggestions_of_the_wrong_type_are_problems_not_a_crash(write_jsonl, taxonomy):
    path = write_jsonl("s.jsonl", [{"id": "a", "text": TEXT, "suggestions": {
        "themes": [5, "security"], "claims": [{"start": 0, "end": 2, "label": {"id": "checkworthy"}}]}}])
    assert [str(p) for p in validate_file(path, taxonomy).problems] == [
        f"{path}: line 1: 'suggestions.themes' must be a list of theme ids",
        f"{path}: line 1: suggestions.claims[0]: 'label' must be a non-empty string",
    ]


def test_identical_duplicates_warn_and_other_annotators_may_repeat_an_id(write_jsonl, taxonomy):
    path = write_jsonl("dups.jsonl", [_row("a"), _row("a"), _row("a", annotator="olga", themes=[])])
    report = validate_file(path, taxonomy)
    assert report.ok
    assert [str(p) for p in report.problems] == [f"{path}: line 2: warning: duplicate id 'a' (same labels as line 1)"]


def test_empty_missing_and_non_utf8_files(tmp_path, taxonomy):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"id": "x", "text": "caf\xe9"}\n'.encode("latin-1"))
    reports = validate_files([empty, tmp_path / "missing.jsonl", latin], taxonomy)
    assert [str(p) for r in reports for p in r.problems] == [
        f"{empty}: empty file: no records",
        f"{tmp_path / 'missing.jsonl'}: no such file",
        f"{latin}: line 1: not UTF-8 (byte 24 of the line)",
    ]


def test_checkthat_tsv_is_read_with_quoting_and_checked(tmp_path, taxonomy):
    path = tmp_path / "ct.tsv"
    path.write_text('Sentence_id\tText\tclass_label\n'
                    '1\t"He said ""no"" twice."\tYes\n'
                    '2\tWe will win.\tNo\n'
                    '3\tUnemployment fell to 4 percent.\tMaybe\n', encoding="utf-8")
    report = validate_file(path, taxonomy)
    assert [str(p) for p in report.problems] == [f"{path}: line 4: class_label must be Yes or No, not 'Maybe'"]
    assert (report.records, report.claims_labeled, report.spans) == (3, 2, 1)
    from labels.records import read_labeled

    with pytest.raises(Exception, match="line 4"):
        read_labeled(path)


def test_validate_command_prints_problems_and_counts_and_sets_the_exit_code(write_jsonl, sample_path):
    runner = CliRunner()
    good = runner.invoke(labels, ["validate", str(sample_path)])
    assert good.exit_code == 0, good.output
    assert good.output.strip() == (f"{sample_path}: 12 records, 12 labeled for themes, 12 labeled for claims, "
                                   "16 claim spans: OK")
    counted = runner.invoke(labels, ["validate", "--per-label", str(sample_path)])
    assert "  theme arctic: 1\n" in counted.output and "  claim checkworthy: 16" in counted.output
    bad = write_jsonl("bad.jsonl", [_row("x", themes=["sports"])])
    result = runner.invoke(labels, ["validate", str(sample_path), str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: line 1: unknown theme 'sports'" in result.output
    assert f"{bad}: 1 records, 1 labeled for themes, 1 labeled for claims, 1 claim spans: 1 error(s)" in result.output


def test_validate_with_a_user_taxonomy(write_jsonl):
    from labels.taxonomy import DEFAULT_TAXONOMY_PATH

    narratives = DEFAULT_TAXONOMY_PATH.parent / "examples" / "taxonomy_with_narratives.toml"
    path = write_jsonl("n.jsonl", [_row("n", claims=[(0, 33, "checkworthy"), (0, 33, "narrative_russophobia")])])
    runner = CliRunner()
    assert runner.invoke(labels, ["validate", str(path)]).exit_code == 1
    result = runner.invoke(labels, ["validate", "--taxonomy", str(narratives), str(path)])
    assert result.exit_code == 0, result.output


@pytest.mark.shared
def test_every_shared_gold_file_validates_with_the_expected_counts(shared_data, taxonomy):
    expected = {
        "themes/telegram_ru_gold.jsonl": (1995, 1995, 1995, 5383),
        "themes/news_articles_gold.jsonl": (705, 482, 482, 2416),
        "themes/euvsdisinfo_claims_en.jsonl": (10892, 7601, 0, 0),
        "checkworthy/ct24_english_train.tsv": (22501, 0, 22501, 5413),
        "checkworthy/ct24_english_dev.tsv": (1032, 0, 1032, 238),
        "checkworthy/ct24_english_heldout_unlabeled.tsv": (318, 0, 0, 0),
    }
    for name, counts in expected.items():
        report = validate_file(shared_data / name, taxonomy)
        assert report.ok, [str(p) for p in report.problems[:5]]
        assert (report.records, report.themes_labeled, report.claims_labeled, report.spans) == counts, name


def test_the_example_in_format_md_is_a_valid_record_of_the_sample(tmp_path, taxonomy, sample_path):
    import json
    import re

    from labels.records import read_labeled

    text = (sample_path.parents[1] / "FORMAT.md").read_text(encoding="utf-8")
    example = re.search(r"```json\n(.*?)\n```", text, re.S).group(1)
    path = tmp_path / "example.jsonl"
    path.write_text(example + "\n", encoding="utf-8")
    assert validate_file(path, taxonomy).ok
    record = read_labeled(path)[0]
    assert record.to_dict() == next(r.to_dict() for r in read_labeled(sample_path) if r.id == record.id)
    assert json.loads(example)["claims"][1]["end"] == 98


def test_files_saved_with_a_byte_order_mark_are_read(tmp_path, taxonomy):
    # Windows editors (Notepad, Excel) start UTF-8 files with a BOM
    jsonl = tmp_path / "anna.jsonl"
    jsonl.write_text('{"id": "w1", "text": "Экспорт нефти вырос.", "themes": ["economy"]}\r\n'
                     '{"id": "w2", "text": "Doing fine 👍", "themes": []}\r\n', encoding="utf-8-sig")
    tsv = tmp_path / "ct.tsv"
    tsv.write_text("Sentence_id\tText\tclass_label\n1\tExports grew by 14% in 2023.\tYes\n", encoding="utf-8-sig")
    for path, records in ((jsonl, 2), (tsv, 1)):
        report = validate_file(path, taxonomy)
        assert report.ok and report.records == records, report.problems
    from labels.convert import import_records

    prodigy = tmp_path / "prodigy.jsonl"
    prodigy.write_text('{"text": "Doing fine 👍", "meta": {"id": "w2"}, "accept": [], "answer": "accept"}\n',
                       encoding="utf-8-sig")
    assert import_records(prodigy, "prodigy", taxonomy)[0].themes == []
