import pytest
from click.testing import CliRunner

from classify.cli.labels import labels
from classify.errors import InputError
from labels.agreement import compute_agreement
from labels.annotators import group_annotations, token_marks
from labels.merge import merge_annotations
from labels.records import LabeledRecord, Span, read_labeled

TEXTS = {
    "p1": "Армия провела учения. Погибших нет.",
    "p2": "Цены выросли на 5%. Это плохо.",
    "p3": "Доброе утро, друзья!",
    "p4": "Саммит прошёл в Казани. Лидеры подписали договор.",
}
# security votes per post, used for the hand-computed kappa and alpha below
SECURITY = {"anna": [1, 1, 0, 0], "boris": [1, 1, 0, 1], "clara": [1, 0, 0, 1]}


def _annotator(name, claims=None):
    records = []
    for i, (post_id, text) in enumerate(TEXTS.items()):
        themes = ["security"] if SECURITY[name][i] else []
        spans = (claims or {}).get(post_id, [])
        records.append(LabeledRecord(id=post_id, text=text, themes=themes, claims=spans, annotator=name,
                                     source=f"{name}.jsonl:{i + 1}"))
    return records


def _groups(*names, claims=None):
    return group_annotations([(f"{n}.jsonl", _annotator(n, (claims or {}).get(n))) for n in names])


def test_cohen_kappa_for_two_annotators_matches_the_hand_computed_value(taxonomy):
    report = compute_agreement(_groups("anna", "boris"), taxonomy)
    security = next(row for row in report.labels if row.label == "security")
    # observed 3/4, expected 0.5*0.75 + 0.5*0.25 = 0.5 -> kappa 0.5
    assert security.measure == "cohen_kappa" and security.value == pytest.approx(0.5)
    assert (security.units, security.observed, security.positives) == (4, 0.75, {"anna": 2, "boris": 3})
    economy = next(row for row in report.labels if row.label == "economy")
    assert economy.value is None and economy.observed == 1.0  # nobody used it: undefined, not 1
    assert report.disagreeing_posts == ["p4"]
    assert report.disagreements[0].said_yes == ["boris"] and report.disagreements[0].said_no == ["anna"]


def test_krippendorff_alpha_for_three_annotators_matches_the_hand_computed_value(taxonomy):
    report = compute_agreement(_groups("anna", "boris", "clara"), taxonomy)
    security = next(row for row in report.labels if row.label == "security")
    # coincidences o11=5, o00=3, o01=o10=2, n=12: alpha = 1 - (4/12) / (2*7*5/(12*11)) = 13/35
    assert security.measure == "krippendorff_alpha" and security.value == pytest.approx(13 / 35)
    assert report.disagreeing_posts == ["p2", "p4"]


def test_claim_agreement_is_measured_on_tokens(taxonomy):
    text = TEXTS["p1"]
    claims = {"anna": {"p1": [Span(0, 21)]}, "boris": {"p1": [Span(0, 20)]},  # same tokens, without the dot
              "clara": {"p1": [Span(0, 21), Span(22, 35)]}}
    assert token_marks(text, [Span(0, 20)], "checkworthy") == [1, 1, 1, 0, 0]
    two = compute_agreement(_groups("anna", "boris", claims=claims), taxonomy)
    assert not [d for d in two.disagreements if d.kind == "claim"]
    three = compute_agreement(_groups("anna", "boris", "clara", claims=claims), taxonomy)
    claim = [d for d in three.disagreements if d.kind == "claim"]
    assert [d.post_id for d in claim] == ["p1"]
    assert claim[0].spans == {"anna": [(0, 21)], "boris": [(0, 20)], "clara": [(0, 21), (22, 35)]}
    row = next(row for row in three.labels if row.label == "checkworthy")
    assert row.units == sum(len(token_marks(t, [], "checkworthy")) for t in TEXTS.values())


def test_majority_merge_reports_ties(taxonomy):
    claims = {"anna": {"p1": [Span(0, 21), Span(22, 35)]}, "boris": {"p1": [Span(0, 21)]},
              "clara": {"p1": [Span(0, 21), Span(22, 35)]}}
    merged, ties = merge_annotations(_groups("anna", "boris", "clara", claims=claims))
    by_id = {r.id: r for r in merged}
    assert by_id["p1"].themes == ["security"] and by_id["p2"].themes == ["security"]  # 3/3 and 2/3
    assert by_id["p4"].themes == ["security"] and by_id["p3"].themes == []
    assert by_id["p1"].claims == [Span(0, 21), Span(22, 35)]  # adjacent majority spans stay apart
    assert not ties and by_id["p1"].annotator == "majority:anna,boris,clara" and by_id["p1"].status == "merged"
    merged, ties = merge_annotations(_groups("anna", "boris", claims=claims))
    by_id = {r.id: r for r in merged}
    assert [t.describe() for t in ties] == ["p1: claim checkworthy 22-35: yes anna; no boris",
                                            "p4: theme security: yes boris; no anna"]
    assert by_id["p4"].themes == [] and by_id["p4"].status == "tie" and by_id["p1"].claims == [Span(0, 21)]
    included, _ = merge_annotations(_groups("anna", "boris", claims=claims), ties="include")
    assert {r.id: r for r in included}["p4"].themes == ["security"]


def test_grouping_checks_texts_and_repeated_posts():
    anna = _annotator("anna")
    changed = _annotator("boris")
    changed[0].text = "Другой текст."
    with pytest.raises(InputError, match="post 'p1' has a different text"):
        group_annotations([("anna.jsonl", anna), ("boris.jsonl", changed)])
    with pytest.raises(InputError, match="annotator 'anna' labeled post 'p1' twice"):
        group_annotations([("one.jsonl", anna + anna[:1])])
    # files whose records name no annotator are named by the file
    unnamed = [LabeledRecord(id="p1", text=TEXTS["p1"], themes=[])]
    assert sorted(group_annotations([("x/a.jsonl", unnamed), ("y/b.jsonl", unnamed)])) == ["a", "b"]


def test_agreement_and_merge_commands(tmp_path):
    from labels.records import write_labeled

    paths = []
    for name in ("anna", "boris", "clara"):
        paths.append(tmp_path / f"{name}.jsonl")
        write_labeled(_annotator(name), paths[-1])
    runner = CliRunner()
    result = runner.invoke(labels, ["agreement", *map(str, paths[:2]), "-o", str(tmp_path / "dis.csv")])
    assert result.exit_code == 0, result.output
    assert "2 annotators (anna, boris), 4 posts" in result.output
    assert "theme  security               cohen_kappa          0.500       4    75.0  anna=2 boris=3" in result.output
    assert "1 post(s) with disagreements" in result.output and "p4: theme security: yes boris; no anna" in result.output
    assert (tmp_path / "dis.csv").read_text(encoding="utf-8").startswith("post_id,kind,label")
    result = runner.invoke(labels, ["agreement", *map(str, paths), "-o", str(tmp_path / "dis.parquet")])
    assert "krippendorff_alpha   0.371" in result.output
    import pandas as pd

    table = pd.read_parquet(tmp_path / "dis.parquet")
    assert table["post_id"].tolist() == ["p2", "p4"] and list(table.loc[1, "said_yes"]) == ["boris", "clara"]
    result = runner.invoke(labels, ["merge", *map(str, paths[:2]), "-o", str(tmp_path / "merged.jsonl")])
    assert result.exit_code == 0, result.output
    assert "tie: p4: theme security: yes boris; no anna" in result.output
    assert "2 annotators, 4 posts" in result.output and "1 tie(s) in 1 post(s) (excluded)" in result.output
    assert [r.id for r in read_labeled(tmp_path / "merged.jsonl")] == ["p1", "p2", "p3", "p4"]


def test_agreement_and_merge_refuse_a_file_given_twice_and_an_unknown_table_format(tmp_path):
    from classify.cli import main
    from labels.records import write_labeled

    anna, boris = tmp_path / "anna.jsonl", tmp_path / "boris.jsonl"
    write_labeled(_annotator("anna"), anna)
    write_labeled(_annotator("boris"), boris)
    runner = CliRunner()
    for command in (["agreement"], ["merge", "-o", str(tmp_path / "merged.jsonl")]):
        # anna would be two annotators agreeing with each other
        result = runner.invoke(main, ["labels", *command, str(anna), str(boris), str(tmp_path / "." / "anna.jsonl")])
        assert result.exit_code == 2 and "anna.jsonl: given twice" in result.output, result.output
    assert not (tmp_path / "merged.jsonl").exists()
    result = runner.invoke(main, ["labels", "agreement", str(anna), str(boris), "-o", str(tmp_path / "dis.txt")])
    assert result.exit_code == 2 and "use a .jsonl, .csv or .parquet name" in result.output


def test_commands_refuse_to_overwrite_an_input(tmp_path):
    from classify.cli import main
    from labels.records import write_labeled

    anna, boris = tmp_path / "anna.jsonl", tmp_path / "boris.jsonl"
    write_labeled(_annotator("anna"), anna)
    write_labeled(_annotator("boris"), boris)
    original = anna.read_bytes()
    runner = CliRunner()
    for command in (["merge", str(anna), str(boris)], ["import", str(anna), "--from", "prodigy"],
                    ["sample", str(boris), "-n", "1", "--exclude", str(anna)], ["agreement", str(anna), str(boris)]):
        result = runner.invoke(main, ["labels", *command, "-o", str(tmp_path / "." / "anna.jsonl")])
        assert result.exit_code == 2 and "is also an input: it would be overwritten" in result.output, result.output
    assert anna.read_bytes() == original


def test_labeled_outputs_must_be_named_as_json_lines(tmp_path):
    from classify.cli import main
    from labels.records import write_labeled

    anna, boris = tmp_path / "anna.jsonl", tmp_path / "boris.jsonl"
    write_labeled(_annotator("anna"), anna)
    write_labeled(_annotator("boris"), boris)
    runner = CliRunner()
    for command in (["merge", str(anna), str(boris)], ["import", str(anna), "--from", "prodigy"],
                    ["sample", str(boris), "-n", "1"]):
        result = runner.invoke(main, ["labels", *command, "-o", str(tmp_path / "gold.csv")])
        assert result.exit_code == 2 and "labeled files are JSON Lines; use a .jsonl name" in result.output, result.output
    assert not (tmp_path / "gold.csv").exists()
