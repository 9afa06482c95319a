import json

import pytest
from click.testing import CliRunner

from classify.cli import main
from classify.errors import InputError
from claim_fixtures import make_posts
from training.train_claims import load_claims_config, train_claims


@pytest.fixture
def config_file(tmp_path):
    records = make_posts(n_posts=30)
    (tmp_path / "gold.jsonl").write_text(
        "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    path = tmp_path / "claims.toml"
    path.write_text('seed = 3\n[[data]]\npath = "gold.jsonl"\n[model]\nn_features = 1024\ncv_folds = 3\n',
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("override, message", [
    ("seed=abc", "'seed' must be int"),
    ("data.0.weight=heavy", "'data.0.weight' must be float"),
    ("data.0.weight=0", "'data.0.weight' must be > 0"),
    ("labels=checkworthy", "'labels' must be list\\[str\\]"),
    ("taxonomy=5", "'taxonomy' must be str"),
    ("model.C=-2", "'model.C' must be > 0"),
    ("model.C=high", "'model.C' must be float"),
    ("model.cv_folds=1", "'model.cv_folds' must be >= 2"),
    ("model.n_features=2.5", "'model.n_features' must be int"),
    ("model.rich_cues=yes", "'model.rich_cues' must be true or false"),
    ("model.C=inf", "'model.C' must be a finite number, not inf"),
    ("model.C=nan", "'model.C' must be a finite number, not nan"),
    ("model.context_weight=nan", "'model.context_weight' must be a finite number"),
    ("data.0.weight=nan", "'data.0.weight' must be a finite number"),
    ("data.0.weight=inf", "'data.0.weight' must be a finite number"),
    ('model.char_ngrams="3,5"', "'model.char_ngrams' must be list\\[int\\]"),
    ("model.word_ngrams=[1]", "'model.word_ngrams' must be \\[1, 1\\], \\[1, 2\\] or \\[2, 2\\]"),
    ("model.word_ngrams=[3, 1]", "'model.word_ngrams' must be \\[1, 1\\], \\[1, 2\\] or \\[2, 2\\]"),
    ("model.char_ngrams=[5, 3]", "'model.char_ngrams' must be \\[\\] \\(none\\) or \\[low, high\\]"),
    ('model.embedding_languages="en"', "'model.embedding_languages' must be list\\[str\\]"),
    ("model.embedding_model=5", "'model.embedding_model' must be str"),
    ('model.labels=["checkworthy"]', "'model.labels': set the labels at the top level"),
])
def test_bad_config_values_are_named_before_training(config_file, override, message):
    with pytest.raises(InputError, match=f"claims.toml: {message}"):
        load_claims_config(config_file, [override])


def test_a_config_without_data_names_the_file(tmp_path):
    path = tmp_path / "claims.toml"
    path.write_text("seed = 3\n", encoding="utf-8")
    with pytest.raises(InputError, match="claims.toml: no \\[\\[data\\]\\] files given"):
        load_claims_config(path)


def test_data_without_a_single_claim_is_an_error_not_an_empty_model(config_file):
    gold = config_file.parent / "gold.jsonl"
    rows = [dict(json.loads(line), claims=[]) for line in gold.read_text(encoding="utf-8").splitlines()]
    gold.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    with pytest.raises(InputError, match="gold.jsonl: no sentence carries the claim label\\(s\\) checkworthy"):
        train_claims(load_claims_config(config_file))


def test_cli_bad_value_is_one_error_line(config_file, tmp_path):
    result = CliRunner().invoke(main, ["train", "claims", str(config_file), "-o", str(tmp_path / "model"),
                                       "--set", "model.C=-2"])
    assert result.exit_code == 2 and result.output.startswith("error: ") and "Traceback" not in result.output
    assert not (tmp_path / "model").exists()


def test_metadata_records_paths_as_seen_from_the_working_folder(config_file, monkeypatch):
    monkeypatch.chdir(config_file.parent)
    _, metadata = train_claims(load_claims_config(config_file.name))
    assert metadata["training_data"][0]["path"] == "gold.jsonl"
    assert metadata["config"]["data"][0]["path"] == "gold.jsonl"


def test_a_post_labeled_twice_is_an_error_naming_both_lines(config_file):
    gold = config_file.parent / "gold.jsonl"
    lines = gold.read_text(encoding="utf-8").splitlines(keepends=True)
    gold.write_text(lines[0] + lines[0] + "".join(lines[1:]), encoding="utf-8")
    first_id = json.loads(lines[0])["id"]
    with pytest.raises(InputError, match=f"gold.jsonl: line 2: post '{first_id}' is labeled again \\(first on line 1\\)"):
        train_claims(load_claims_config(config_file))


def test_only_the_listed_splits_are_trained_on(config_file):
    gold = config_file.parent / "gold.jsonl"
    rows = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines()]
    for i, row in enumerate(rows):
        row["split"] = "heldout" if i % 3 == 0 else "train"
    gold.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    _, metadata = train_claims(load_claims_config(config_file))
    assert metadata["training_data"][0]["records"] == sum(row["split"] == "train" for row in rows)
    _, metadata = train_claims(load_claims_config(config_file, ['data.0.splits=["train", "heldout"]']))
    assert metadata["training_data"][0]["records"] == len(rows)
    with pytest.raises(InputError, match="no record carries claim labels in split\\(s\\) dev"):
        train_claims(load_claims_config(config_file, ['data.0.splits=["dev"]']))


def test_posts_of_two_files_of_one_name_stay_apart(config_file, monkeypatch):
    monkeypatch.chdir(config_file.parent)
    gold = config_file.parent / "gold.jsonl"
    for folder in ("ru", "en"):
        (config_file.parent / folder).mkdir()
        (config_file.parent / folder / "gold.jsonl").write_bytes(gold.read_bytes())  # the same post ids
    config = load_claims_config(config_file, ["data.0.path=ru/gold.jsonl"])
    config.data.append(type(config.data[0])(path=str(config_file.parent / "en" / "gold.jsonl")))
    _, metadata = train_claims(config)
    groups = metadata["metrics"]["cross_validated_sentences"]["checkworthy"]
    assert {"ru/gold.jsonl:ru", "en/gold.jsonl:ru"} <= set(groups)


def test_the_same_data_file_twice_is_refused(config_file):
    text = config_file.read_text(encoding="utf-8").replace('[model]', '[[data]]\npath = "./gold.jsonl"\n[model]')
    config_file.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="claims.toml: data.1.path is data.0.path again"):
        load_claims_config(config_file)


def test_a_missing_taxonomy_file_names_the_key(config_file):
    with pytest.raises(InputError, match="claims.toml: 'taxonomy': file not found: .*nothere.toml"):
        load_claims_config(config_file, ["taxonomy=nothere.toml"])
