import pytest

from classify.errors import InputError
from labels.taxonomy import DEFAULT_TAXONOMY_PATH, check_taxonomy, load_taxonomy

DEFAULT_THEMES = ["security", "ukraine", "economy", "arctic", "history", "diplomacy", "information",
                  "culture_science", "rights_humanitarian", "domestic"]


def test_default_taxonomy_has_the_ten_themes_with_bilingual_descriptions_and_seed_terms():
    taxonomy = load_taxonomy()
    assert taxonomy.theme_ids == DEFAULT_THEMES
    assert taxonomy.claim_label_ids == ["checkworthy"]
    assert taxonomy.version
    for theme in taxonomy.themes:
        assert set(theme.description) == {"en", "ru"}, theme.id
        assert len(theme.seed_terms["en"]) >= 5 and len(theme.seed_terms["ru"]) >= 5, theme.id
    meta = taxonomy.to_metadata()
    assert meta["sha256"] == taxonomy.sha256 and len(meta["sha256"]) == 64
    assert check_taxonomy() == []


def test_narratives_example_adds_claim_labels(tmp_path):
    taxonomy = load_taxonomy(DEFAULT_TAXONOMY_PATH.parent / "examples" / "taxonomy_with_narratives.toml")
    assert taxonomy.theme_ids == DEFAULT_THEMES
    assert taxonomy.claim_label_ids[0] == "checkworthy" and len(taxonomy.claim_label_ids) == 3
    assert taxonomy.sha256 != load_taxonomy().sha256


def test_check_known_refuses_labels_outside_the_taxonomy():
    taxonomy = load_taxonomy()
    taxonomy.check_known(themes=["security"], claim_labels=["checkworthy"])
    with pytest.raises(InputError, match="unknown theme.*sports.*unknown claim label.*rumour"):
        taxonomy.check_known(themes=["security", "sports"], claim_labels=["rumour"], source="model")


BAD_TAXONOMY = '''id = "mine"
version = "2"
colour = "red"

[[themes]]
id = "alpha"
name = "Alpha"
description.en = "Alpha things."

[[themes]]
id = "has space"
description.en = "x"
seed_term.en = ["typo"]

[[themes]]
id = "gamma"

[[claim_labels]]
id = "alpha"
seed_terms.en = "not a list"
'''


def test_every_taxonomy_problem_is_reported_with_its_line(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(BAD_TAXONOMY, encoding="utf-8")
    messages = [str(problem) for problem in check_taxonomy(path)]
    expected = [
        f"{path}: unknown top-level key(s) colour",
        f"{path}: line 10: themes[1] 'has space': id 'has space' may only contain letters, digits, '_' and '-'",
        f"{path}: line 10: themes[1] 'has space': unknown key(s) seed_term",
        f"{path}: line 15: themes[2] 'gamma': a theme needs a description",
        f"{path}: line 18: claim_labels[0] 'alpha': 'seed_terms.en' must be a list of non-empty strings",
        f"{path}: line 18: claim_labels[0] 'alpha': id already defined in themes[0] 'alpha'",
    ]
    assert len(messages) == len(expected)
    for message, start in zip(messages, expected):
        assert message.startswith(start), message
    with pytest.raises(InputError, match=r"mine.toml: unknown top-level key\(s\) colour .*and 5 more problem"):
        load_taxonomy(path)


def test_invalid_toml_names_the_line(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('id = "x"\nversion = "1"\n[[themes]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"broken.toml: line 3: invalid TOML"):
        load_taxonomy(path)


def test_missing_claim_labels_default_to_checkworthy(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text('id = "small"\nversion = "0.1"\n[[themes]]\nid = "a"\ndescription.en = "A."\n', encoding="utf-8")
    taxonomy = load_taxonomy(path)
    assert taxonomy.theme_ids == ["a"] and taxonomy.claim_label_ids == ["checkworthy"]


def test_taxonomy_command_lists_labels_or_every_problem(tmp_path):
    from click.testing import CliRunner

    from classify.cli.labels import labels

    runner = CliRunner()
    result = runner.invoke(labels, ["taxonomy"])
    assert result.exit_code == 0, result.output
    assert "taxonomy telegram-state-news version 1.1" in result.output
    assert "theme       arctic               The Arctic [en/ru;" in result.output
    assert "claim label checkworthy" in result.output
    path = tmp_path / "mine.toml"
    path.write_text(BAD_TAXONOMY, encoding="utf-8")
    result = runner.invoke(labels, ["taxonomy", str(path)])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 6
    assert f"{path}: line 15: themes[2] 'gamma': a theme needs a description" in result.output
    from classify.cli import main

    result = runner.invoke(main, ["labels", "validate", "--taxonomy", str(path), str(path)])
    assert result.exit_code == 2
    assert f"error: {path}: unknown top-level key(s) colour" in result.output
