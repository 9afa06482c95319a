"""``classify evaluate`` end to end on a small bundle trained from invented posts (themes and claims)."""
import json

import pytest
from click.testing import CliRunner

from classify.cli import main
from labels.records import write_labeled
from tests.training.claim_fixtures import make_posts as make_claim_posts
from tests.training.theme_fixtures import make_posts, write_config, write_jsonl


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle")
    config = write_config(folder)
    write_labeled(make_claim_posts(40), folder / "claims.jsonl")
    (folder / "claims.toml").write_text('[[data]]\npath = "claims.jsonl"\n[model]\nn_features = 4096\ncv_folds = 3\n',
                                        encoding="utf-8")
    runner = CliRunner()
    for kind, path in (("themes", config), ("claims", folder / "claims.toml")):
        result = runner.invoke(main, ["train", kind, str(path), "-o", str(folder / "model")])
        assert result.exit_code == 0, result.output
    return folder / "model"


def _evaluate(bundle, *args):
    return CliRunner().invoke(main, ["evaluate", str(bundle), *map(str, args)])


def test_a_post_labeled_twice_in_one_gold_file_is_an_error_naming_the_line(bundle, tmp_path):
    posts = make_posts(12, seed=9)
    gold = write_jsonl(tmp_path / "gold.jsonl", posts + [dict(posts[3], themes=["arctic"])])
    result = _evaluate(bundle, gold, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "gold.jsonl: line 13: post 'p3' is labeled again (first on line 4)" in result.output
    assert not (tmp_path / "out").exists()


def test_a_claim_post_labeled_twice_in_one_gold_file_is_an_error_naming_the_line(bundle, tmp_path):
    records = make_claim_posts(6, seed=8)
    gold = tmp_path / "claims_gold.jsonl"
    write_labeled(records + [records[2]], gold)
    result = _evaluate(bundle, gold, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"line 7: post '{records[2].id}' is labeled again (first on line 3)" in result.output


def test_a_gold_file_given_twice_is_an_error(bundle, tmp_path):
    gold = write_jsonl(tmp_path / "gold.jsonl", make_posts(12, seed=9))
    result = _evaluate(bundle, gold, tmp_path / "." / "gold.jsonl", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "given twice" in result.output


def test_equal_ids_in_two_gold_files_are_two_posts(bundle, tmp_path):
    """Claims are scored against the post they were found in, not another file's post of the same id."""
    scores = {}
    for name, seed in (("a", 21), ("b", 22)):
        (tmp_path / name).mkdir()
        write_labeled(make_claim_posts(10, seed=seed), tmp_path / name / "gold.jsonl")
        result = _evaluate(bundle, tmp_path / name / "gold.jsonl", "-o", tmp_path / f"out_{name}")
        assert result.exit_code == 0, result.output
        scores[name] = json.loads((tmp_path / f"out_{name}" / "claims_metrics.json").read_text())["span"]["all"]
    result = _evaluate(bundle, tmp_path / "a" / "gold.jsonl", tmp_path / "b" / "gold.jsonl", "-o", tmp_path / "both")
    assert result.exit_code == 0, result.output
    both = json.loads((tmp_path / "both" / "claims_metrics.json").read_text())["span"]["all"]
    for key in ("gold", "predicted", "found", "correct"):
        assert both[key] == scores["a"][key] + scores["b"][key]


def test_gold_files_of_one_name_are_two_groups(bundle, tmp_path):
    for name, seed in (("a", 1), ("b", 2)):
        (tmp_path / name).mkdir()
        write_jsonl(tmp_path / name / "gold.jsonl", make_posts(10, seed=seed))
    result = _evaluate(bundle, tmp_path / "a" / "gold.jsonl", tmp_path / "b" / "gold.jsonl", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    groups = json.loads((tmp_path / "out" / "metrics.json").read_text())["per_group"]
    assert len(groups) == 2 and [g["records"] for g in groups.values()] == [10, 10]


def test_a_rerun_into_the_same_folder_leaves_no_report_of_the_other_kind(bundle, tmp_path):
    themes_gold = write_jsonl(tmp_path / "themes.jsonl", make_posts(12, seed=9))
    claims_gold = tmp_path / "claims.jsonl"
    write_labeled(make_claim_posts(6, seed=8), claims_gold)
    out = tmp_path / "out"
    assert _evaluate(bundle, claims_gold, "-o", out).exit_code == 0
    assert _evaluate(bundle, themes_gold, "-o", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["calibration.png", "f1_by_theme.png", "metrics.json", "report.md"]
    assert _evaluate(bundle, claims_gold, "-o", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["claims_metrics.json"]


def test_a_claims_only_bundle_is_evaluated_on_claim_gold(tmp_path):
    write_labeled(make_claim_posts(40), tmp_path / "claims.jsonl")
    (tmp_path / "claims.toml").write_text('[[data]]\npath = "claims.jsonl"\n[model]\nn_features = 4096\ncv_folds = 3\n',
                                          encoding="utf-8")
    result = CliRunner().invoke(main, ["train", "claims", str(tmp_path / "claims.toml"), "-o", str(tmp_path / "model")])
    assert result.exit_code == 0, result.output
    gold = tmp_path / "gold.jsonl"
    write_labeled(make_claim_posts(6, seed=8), gold)
    result = _evaluate(tmp_path / "model", gold, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "claims_metrics.json").read_text())["records"] == 6
    themes_gold = write_jsonl(tmp_path / "themes.jsonl", make_posts(6, seed=9))
    result = _evaluate(tmp_path / "model", themes_gold, "-o", tmp_path / "out2")
    assert result.exit_code == 2 and "the bundle has no 'themes' component" in result.output


def test_a_bad_claim_label_leaves_the_report_folder_as_it_was(bundle, tmp_path):
    rows = [dict(post, claims=[]) for post in make_posts(6, seed=9)]
    rows[2]["claims"] = [{"start": 0, "end": 5, "label": "rumour"}]
    gold = write_jsonl(tmp_path / "gold.jsonl", rows)
    out = tmp_path / "out"
    out.mkdir()
    (out / "claims_metrics.json").write_text("{}\n", encoding="utf-8")
    result = _evaluate(bundle, gold, "-o", out)
    assert result.exit_code == 2 and "line 3: claim label(s) rumour unknown to the model" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["claims_metrics.json"]
    assert (out / "claims_metrics.json").read_text(encoding="utf-8") == "{}\n"
