import json

import pandas as pd
import pytest
from click.testing import CliRunner

pytest.importorskip("bertopic", reason="topic models need the topics extra: pip install 'telegram-classify[topics]'")

from classify.cli import main

from topic_corpus import make_corpus


@pytest.fixture(scope="module")
def posts_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("posts")
    corpus = make_corpus(posts_per_subject=40)
    path = folder / "posts.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for row in corpus.itertuples():
            handle.write(json.dumps({"channel": row.channel, "message_id": row.message_id,
                                     "date": row.date.isoformat(), "text": row.text}, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def model_dir(posts_file, tmp_path_factory):
    folder = tmp_path_factory.mktemp("model") / "topics"
    plots = folder.parent / "plots"
    result = CliRunner().invoke(main, ["topics", "fit", str(posts_file), "-o", str(folder), "--plots", str(plots)])
    assert result.exit_code == 0, result.output
    assert "topics (" in result.output and "outliers" in result.output
    for name in ("topic_sizes", "topic_theme_map"):
        assert (plots / f"{name}.png").stat().st_size > 1000
        assert "plotly" in (plots / f"{name}.html").read_text(encoding="utf-8")[:100000].lower()
    return folder


def test_assign_writes_one_topic_per_post(model_dir, posts_file, tmp_path):
    output = tmp_path / "topics.jsonl"
    result = CliRunner().invoke(main, ["topics", "assign", str(posts_file), "--model", str(model_dir),
                                       "-o", str(output)])
    assert result.exit_code == 0, result.output
    table = pd.read_json(output, lines=True)
    assert len(table) == 200
    assert list(table.columns) == ["id", "channel", "date", "topic", "topic_label", "topic_probability", "theme"]
    assert table["topic"].between(-1, 100).all() and table["topic_probability"].between(0, 1).all()


def test_over_time_table_and_plots(model_dir, posts_file, tmp_path):
    output, plots = tmp_path / "over_time.csv", tmp_path / "plots"
    result = CliRunner().invoke(main, ["topics", "over-time", str(posts_file), "--model", str(model_dir),
                                       "-o", str(output), "--freq", "W", "--plots", str(plots)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(output)
    assert set(table["channel"]) == {"Вестник", "Daily Wire Demo", "Утро"}
    assert table.groupby(["channel", "period"])["share"].sum().round(3).eq(1.0).all()
    assert table["posts"].sum() == 200
    assert (plots / "topics_over_time.png").is_file() and (plots / "topics_over_time.html").is_file()
    assert len(list(plots.glob("topics_over_time_*.png"))) == 3


def test_show_prints_words_themes_and_posts(model_dir):
    result = CliRunner().invoke(main, ["topics", "show", "--model", str(model_dir), "--posts", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.count("words:") >= 5 and "theme: arctic" in result.output and "  - [" in result.output
    single = CliRunner().invoke(main, ["topics", "show", "--model", str(model_dir), "--topic", "0"])
    assert single.output.count("words:") == 1
    missing = CliRunner().invoke(main, ["topics", "show", "--model", str(model_dir), "--topic", "999"])
    assert missing.exit_code == 2 and "no topic 999" in missing.output


def test_bad_input_and_model_are_one_line_errors(tmp_path, posts_file):
    config = tmp_path / "bad.toml"
    config.write_text("[clustering]\nmethod = 'spectral'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["topics", "fit", str(posts_file), "-o", str(tmp_path / "m"),
                                       "--config", str(config)])
    assert result.exit_code == 2 and "bad.toml" in result.output and "clustering.method" in result.output
    result = CliRunner().invoke(main, ["topics", "show", "--model", str(tmp_path)])
    assert result.exit_code == 2 and "error:" in result.output


def test_tag_with_topics_adds_the_assigned_topic_to_every_post(model_dir, posts_file, tmp_path):
    assigned = tmp_path / "topics.jsonl"
    result = CliRunner().invoke(main, ["topics", "assign", str(posts_file), "--model", str(model_dir),
                                       "-o", str(assigned)])
    assert result.exit_code == 0, result.output
    tagged = tmp_path / "tags.jsonl"
    result = CliRunner().invoke(main, ["tag", str(posts_file), "-o", str(tagged), "--topics", str(model_dir),
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    tags = pd.read_json(tagged, lines=True).set_index("id")
    topics = pd.read_json(assigned, lines=True).set_index("id")
    assert len(tags) == len(topics) == 200
    assert "themes" in tags.columns
    assert tags["topic"].to_dict() == topics["topic"].to_dict()
    assert tags["topic_label"].to_dict() == topics["topic_label"].to_dict()


def test_fit_refuses_a_folder_that_is_not_a_topic_model(posts_file, tmp_path):
    posts = tmp_path / "exports"
    posts.mkdir()
    (posts / "posts.jsonl").write_bytes(posts_file.read_bytes())
    bundle = tmp_path / "themes_bundle"
    bundle.mkdir()
    (bundle / "themes.skops").write_bytes(b"a theme model")
    for folder in (posts, bundle):
        before = sorted(p.name for p in folder.iterdir())
        result = CliRunner().invoke(main, ["topics", "fit", str(posts), "-o", str(folder)])
        assert result.exit_code == 2, result.output
        assert "does not hold a topic model" in result.output
        assert sorted(p.name for p in folder.iterdir()) == before


def test_too_few_posts_is_one_error_line(posts_file, tmp_path):
    few = tmp_path / "few.jsonl"
    few.write_text("".join(posts_file.read_text(encoding="utf-8").splitlines(keepends=True)[:3]), encoding="utf-8")
    result = CliRunner().invoke(main, ["topics", "fit", str(few), "-o", str(tmp_path / "model")])
    assert result.exit_code == 2, result.output
    assert f"error: {few}: a topic model needs at least 10 posts, got 3" in result.output
    assert not (tmp_path / "model").exists()


@pytest.mark.parametrize("command", ["assign", "over-time"])
def test_an_output_that_is_an_input_is_refused(model_dir, posts_file, tmp_path, command):
    posts = tmp_path / "posts.jsonl"
    posts.write_bytes(posts_file.read_bytes())
    result = CliRunner().invoke(main, ["topics", command, str(posts), "--model", str(model_dir), "-o", str(posts)])
    assert result.exit_code == 2, result.output
    assert "the output is also an input" in result.output
    assert posts.read_bytes() == posts_file.read_bytes()


def test_over_time_without_dates_is_one_error_line(model_dir, posts_file, tmp_path):
    undated = tmp_path / "undated.jsonl"
    rows = [json.loads(line) for line in posts_file.read_text(encoding="utf-8").splitlines()]
    undated.write_text("".join(json.dumps({k: v for k, v in row.items() if k != "date"}, ensure_ascii=False) + "\n"
                               for row in rows), encoding="utf-8")
    result = CliRunner().invoke(main, ["topics", "over-time", str(undated), "--model", str(model_dir),
                                       "-o", str(tmp_path / "trend.csv")])
    assert result.exit_code == 2, result.output
    assert "no post has a date" in result.output


def test_parquet_post_tables_from_ingest_are_read(model_dir, posts_file, tmp_path):
    table = tmp_path / "posts.parquet"
    result = CliRunner().invoke(main, ["ingest", str(posts_file), "-o", str(table)])
    assert result.exit_code == 0, result.output
    for posts, output in ((posts_file, tmp_path / "from_jsonl.csv"), (table, tmp_path / "from_parquet.csv")):
        result = CliRunner().invoke(main, ["topics", "assign", str(posts), "--model", str(model_dir),
                                           "-o", str(output)])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "from_parquet.csv").read_bytes() == (tmp_path / "from_jsonl.csv").read_bytes()


@pytest.mark.parametrize("command", ["assign", "over-time"])
def test_an_output_of_unknown_format_is_one_error_line(model_dir, posts_file, tmp_path, command):
    result = CliRunner().invoke(main, ["topics", command, str(posts_file), "--model", str(model_dir),
                                       "-o", str(tmp_path / "trend.xlsx")])
    assert result.exit_code == 2, result.output
    assert "cannot tell the output format from the name" in result.output


def test_fit_refuses_a_topic_model_folder_that_also_holds_other_files(model_dir, posts_file, tmp_path):
    """Refitting replaces the folder: an assignment table written beside the model would be deleted with it."""
    import shutil

    folder = tmp_path / "topics"
    shutil.copytree(model_dir, folder)
    result = CliRunner().invoke(main, ["topics", "assign", str(posts_file), "--model", str(folder),
                                       "-o", str(folder / "assigned.jsonl")])
    assert result.exit_code == 0, result.output
    before = sorted(p.name for p in folder.iterdir())
    result = CliRunner().invoke(main, ["topics", "fit", str(posts_file), "-o", str(folder)])
    assert result.exit_code == 2
    assert "assigned.jsonl" in result.output and "not part of the topic model" in result.output
    assert sorted(p.name for p in folder.iterdir()) == before
