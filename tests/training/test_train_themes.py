import pytest
from click.testing import CliRunner

from classify.cli import main
from classify.errors import InputError
from training.config import load_themes_config
from training.train_themes import train_and_save_themes
from tests.training.theme_fixtures import make_posts, write_config, write_jsonl


def test_fewer_rows_than_folds_is_an_error_naming_the_file(tmp_path):
    config = load_themes_config(write_config(tmp_path))
    write_jsonl(tmp_path / "train.jsonl", make_posts(2))
    with pytest.raises(InputError, match="train.jsonl: only 2 labeled rows to train on, fewer than model.cv_folds"):
        train_and_save_themes(config, tmp_path / "model")
    assert not (tmp_path / "model").exists()


def test_themes_without_or_with_few_labeled_rows_are_warned_about(tmp_path):
    config = load_themes_config(write_config(tmp_path))
    posts = [post for post in make_posts(60) if "arctic" not in post["themes"]]
    posts[0]["themes"] = ["arctic"]
    write_jsonl(tmp_path / "train.jsonl", [post for post in posts if "economy" not in post["themes"]])
    said = []
    train_and_save_themes(config, tmp_path / "model", progress=said.append)
    assert "warning: no labeled rows for economy: the model never predicts them" in said
    assert any(line.startswith("warning: fewer than 3 labeled rows") and line.count("arctic") == 1
               for line in said)
    card = (tmp_path / "model" / "README.md").read_text(encoding="utf-8")
    assert "The rarest themes (arctic: 1 labeled rows" in card
    assert "No labeled rows for economy: the model never predicts them." in card
    assert "disinformation" not in card  # the card describes this data, not the default bundle's


@pytest.mark.parametrize("override", ["model.C=-1", "model.cv_folds=1", "seed.x=1", "data.0.weight=-1"])
def test_cli_bad_override_is_one_error_line(tmp_path, override):
    result = CliRunner().invoke(main, ["train", "themes", write_config(tmp_path), "-o", str(tmp_path / "model"),
                                       "--set", override])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and "Traceback" not in result.output
    assert not (tmp_path / "model").exists()


def test_one_cross_validation_fold_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["train", "themes", write_config(tmp_path), "-o", str(tmp_path / "model"),
                                       "--cv-folds", "1"])
    assert result.exit_code == 2 and "0 (no cross-validation) or at least 2" in result.output
    assert not (tmp_path / "model").exists()


def test_python_m_training_takes_h_for_help():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "training", "-h"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "themes" in done.stdout and "claims" in done.stdout


def test_a_post_labeled_twice_is_an_error_naming_both_lines(tmp_path):
    config = load_themes_config(write_config(tmp_path))
    posts = make_posts(20)
    write_jsonl(tmp_path / "train.jsonl", [dict(post, annotator=name) for post in posts for name in ("anna", "boris")])
    with pytest.raises(InputError, match=r"train.jsonl: line 2: post 'p0' is labeled again \(first on line 1\)"):
        train_and_save_themes(config, tmp_path / "model", cv_folds=3)


def test_two_files_of_one_name_are_two_sources(tmp_path, monkeypatch):
    from training.train_themes import cross_validate_themes

    monkeypatch.chdir(tmp_path)
    config = load_themes_config(write_config(tmp_path))
    for folder, seed in (("ru", 1), ("en", 2)):
        (tmp_path / folder).mkdir()
        write_jsonl(tmp_path / folder / "gold.jsonl", make_posts(30, seed=seed))
    config.data = [type(config.data[0])(path=str(tmp_path / folder / "gold.jsonl")) for folder in ("ru", "en")]
    examples, *_ = cross_validate_themes(config, folds=3)
    assert sorted(set(examples.sources)) == ["en/gold.jsonl", "ru/gold.jsonl"]


def test_copies_of_a_text_share_a_cross_validation_fold():
    import numpy as np

    from training.train_themes import ThemeExamples, source_folds

    texts = [f"Пост номер {i} о переговорах в Женеве." for i in range(40)]
    texts[5] = texts[30] = texts[37] = "Глава МИД провёл переговоры в Женеве."
    texts[12] = "  глава мид провёл   переговоры в женеве. "  # the same text once normalised
    texts[20] = texts[21] = ""  # empty texts are not copies of each other
    examples = ThemeExamples(texts=texts, labels=[["diplomacy"]] * 40, langs=["ru"] * 40, weights=[1.0] * 40,
                             sources=["a.jsonl"] * 20 + ["b.jsonl"] * 20, ids=[str(i) for i in range(40)])
    folds = source_folds(examples, 5, seed=13)
    assert len({folds[5], folds[12], folds[30], folds[37]}) == 1
    assert np.bincount(folds, minlength=5).min() >= 5
    assert np.array_equal(folds, source_folds(examples, 5, seed=13))
    distinct = ThemeExamples(texts=[f"Пост {i}" for i in range(40)], labels=examples.labels, langs=examples.langs,
                             weights=examples.weights, sources=examples.sources, ids=examples.ids)
    plain = source_folds(distinct, 5, seed=13)
    assert [np.bincount(plain[rows], minlength=5).tolist() for rows in (slice(0, 20), slice(20, 40))] == [[4] * 5] * 2


def test_cross_validation_with_a_file_of_posts_without_themes(tmp_path):
    """A file of negatives (every post labeled with no theme) has no top theme to score: '-', not a traceback."""
    write_config(tmp_path)
    negatives = [dict(post, id=f"n{i}", themes=[]) for i, post in enumerate(make_posts(12, seed=4))]
    write_jsonl(tmp_path / "none.jsonl", negatives)
    config = load_themes_config(tmp_path / "themes.toml", ['data=[{path = "train.jsonl"}, {path = "none.jsonl"}]'])
    metadata = train_and_save_themes(config, tmp_path / "model", cv_folds=3)
    assert any(line.startswith("none.jsonl: ") and "top theme in gold - [held out" in line
               for line in metadata["summary"])
    assert metadata["metrics"]["per_group"]["none.jsonl"]["top1_in_gold"] is None
