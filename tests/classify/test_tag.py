import json
from pathlib import Path

import pandas as pd
import pytest

from classify.errors import InputError
from classify.model import load_model
from classify.tag import tag_files, tag_frame
from training.config import load_themes_config
from training.train_themes import train_and_save_themes
from tests.training.theme_fixtures import THEMES, make_posts, write_config, write_jsonl


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tagmodel")
    train_and_save_themes(load_themes_config(write_config(folder)), folder / "model")
    return load_model(folder / "model")


def test_tag_frame_is_row_for_row_and_deterministic(model):
    posts = pd.DataFrame({"id": ["a", "b", "c"], "channel": ["x", "x", "y"],
                          "text": ["Атомный ледокол прошёл Северным морским путём.", "", "Oil prices rose."],
                          "lang": ["ru", "other", "en"]})
    tags = tag_frame(model, posts)
    assert list(tags.columns) == ["id", "channel", "lang", "text", "themes", "theme_scores"]
    assert tags["id"].tolist() == ["a", "b", "c"]
    assert tags.loc[0, "themes"] == ["arctic"]
    assert tags.loc[1, "themes"] == [] and tags.loc[1, "theme_scores"] is None
    assert set(tags.loc[2, "theme_scores"]) == set(THEMES) and "economy" in tags.loc[2, "themes"]
    pd.testing.assert_frame_equal(tags, tag_frame(model, posts))
    # A partition tags the same as the whole.
    pd.testing.assert_frame_equal(tag_frame(model, posts.iloc[2:]).reset_index(drop=True),
                                  tags.iloc[2:].reset_index(drop=True))
    assert "text" not in tag_frame(model, posts, include_text=False).columns


@pytest.mark.parametrize("suffix", ["jsonl", "csv", "parquet"])
def test_tag_files_streams_into_every_format(model, tmp_path, suffix):
    posts = make_posts(30, seed=11)
    source = write_jsonl(tmp_path / "posts.jsonl", [{"id": p["id"], "text": p["text"]} for p in posts])
    output = tmp_path / f"tags.{suffix}"
    summary = tag_files([source], output, model=model, chunk_size=7, progress=False)
    assert summary.posts == 30 and summary.posts_with_text == 30
    if suffix == "jsonl":
        rows = [json.loads(line) for line in output.read_text().splitlines()]
        ids = [row["id"] for row in rows]
        assert all(isinstance(row["theme_scores"], dict) for row in rows)
    elif suffix == "csv":
        frame = pd.read_csv(output)
        ids = frame["id"].tolist()
        assert json.loads(frame.loc[0, "themes"]) is not None
    else:
        ids = pd.read_parquet(output)["id"].tolist()
    assert ids == [p["id"] for p in posts]
    correct = sum(set(row) == set(p["themes"]) for row, p in
                  zip(tag_frame(model, pd.DataFrame(posts).drop(columns="themes"))["themes"], posts))
    assert correct >= 24
    assert sum(summary.theme_counts[t] for t in THEMES) >= 30
    assert any("arctic" in line for line in summary.lines(THEMES))


def test_bad_input_leaves_no_output(model, tmp_path):
    source = tmp_path / "broken.jsonl"
    source.write_text('{"id": "1", "text": "Oil prices rose."}\n{"id": "2", "text": \n', encoding="utf-8")
    output = tmp_path / "tags.jsonl"
    with pytest.raises(InputError, match="broken.jsonl"):
        tag_files([source], output, model=model, progress=False)
    assert not output.exists()
    assert not list(tmp_path.glob(".tags.jsonl*"))


def test_cli_train_tag_evaluate(tmp_path):
    from click.testing import CliRunner

    from classify.cli import main

    runner = CliRunner()
    config = write_config(tmp_path)
    result = runner.invoke(main, ["train", "themes", config, "-o", str(tmp_path / "model"), "--set", "model.C=8"])
    assert result.exit_code == 0, result.output
    source = write_jsonl(tmp_path / "new.jsonl", [{"id": p["id"], "text": p["text"]} for p in make_posts(12, seed=8)])
    result = runner.invoke(main, ["tag", source, "-o", str(tmp_path / "tags.csv"), "--model", str(tmp_path / "model"),
                                  "--quiet"])
    assert result.exit_code == 0, result.output
    assert "12 posts tagged" in result.output and "arctic" in result.output
    assert len(pd.read_csv(tmp_path / "tags.csv")) == 12
    gold = write_jsonl(tmp_path / "gold.jsonl", make_posts(20, seed=9))
    result = runner.invoke(main, ["evaluate", str(tmp_path / "model"), gold, "-o", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert "micro-F1" in result.output and (tmp_path / "report" / "report.md").is_file()
    result = runner.invoke(main, ["tag", source, "-o", str(tmp_path / "x.jsonl"), "--model", str(tmp_path)])
    assert result.exit_code == 2 and "error:" in result.output


def test_cli_evaluate_gold_without_any_theme(model, tmp_path):
    from click.testing import CliRunner

    from classify.cli import main

    gold = write_jsonl(tmp_path / "gold.jsonl", [{"id": "a", "text": "Nothing about any theme here.", "themes": []},
                                                 {"id": "b", "text": "Пустой пост без темы.", "themes": []}])
    result = CliRunner().invoke(main, ["evaluate", str(model.path), gold, "-o", str(tmp_path / "report")])
    assert result.exit_code == 0, result.output
    assert "top theme in gold -" in result.output


def test_parquet_output_when_the_first_chunk_has_no_text(model, tmp_path):
    # media-only posts first: the first chunk has no themes, no scores and no claims to infer column types from
    source = write_jsonl(tmp_path / "posts.jsonl", [{"id": "m1", "text": ""}, {"id": "m2", "text": "  "},
                                                    {"id": "t3", "text": "Атомный ледокол прошёл Северным морским путём."},
                                                    {"id": "t4", "text": "Oil prices rose after the OPEC meeting."}])
    output = tmp_path / "tags.parquet"
    tag_files([source], output, model=model, chunk_size=2, progress=False)
    frame = pd.read_parquet(output)
    assert frame["id"].tolist() == ["m1", "m2", "t3", "t4"]
    assert frame.loc[0, "theme_scores"] is None and set(frame.loc[2, "theme_scores"]) == set(THEMES)
    assert "arctic" in list(frame.loc[2, "themes"])


def test_unknown_output_format_is_an_input_error(model, tmp_path):
    source = write_jsonl(tmp_path / "posts.jsonl", [{"id": "a", "text": "Oil prices rose."}])
    with pytest.raises(InputError, match=r"tags\.txt: cannot tell the output format"):
        tag_files([source], tmp_path / "tags.txt", model=model, progress=False)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_an_input_without_posts_gives_an_empty_table_with_the_tag_columns(model, tmp_path, suffix):
    export = tmp_path / "result.json"  # a Desktop export whose only message is a service message
    export.write_text(json.dumps({"name": "Demo", "type": "public_channel", "id": 77, "messages": [
        {"id": 1, "type": "service", "date": "2024-03-01T10:00:00", "date_unixtime": "1709287200",
         "action": "create_channel", "title": "Demo", "text": "", "text_entities": []}]}), encoding="utf-8")
    output = tmp_path / f"tags.{suffix}"
    assert tag_files([export], output, model=model, progress=False).posts == 0
    frame = pd.read_csv(output) if suffix == "csv" else pd.read_parquet(output)
    assert len(frame) == 0 and {"id", "themes", "theme_scores"} <= set(frame.columns)


def test_an_output_that_is_also_an_input_is_refused(model, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    source = Path(write_jsonl(folder / "posts.jsonl", [{"id": "a", "text": "Oil prices rose."}]))
    original = source.read_bytes()
    with pytest.raises(InputError, match="the output is also an input"):  # would overwrite the posts
        tag_files([source], source, model=model, progress=False)
    assert source.read_bytes() == original
    # inside an input folder the next run of the same command would read the tags as posts: refused at once
    with pytest.raises(InputError, match="tags.jsonl: the output is also an input"):
        tag_files([folder], folder / "tags.jsonl", model=model, progress=False)
    assert not (folder / "tags.jsonl").exists()


def test_each_input_file_is_examined_once(model, tmp_path, format_detections):
    """A folder's files are expanded (and their heads sniffed for the format) once, not once more to read them."""
    import shutil
    from collections import Counter

    from classify.ingest import read_posts

    folder = tmp_path / "exports"
    folder.mkdir()
    posts = make_posts(12, seed=4)
    for number in range(3):
        write_jsonl(folder / f"table_{number}.jsonl", [{"id": f"{number}-{p['id']}", "text": p["text"]}
                                                       for p in posts[number * 4:(number + 1) * 4]])
    write_jsonl(folder / "dump.jsonl", [{"channel": "vestnik", "message_id": 7, "text": "Oil prices rose."}])
    shutil.copytree(Path(__file__).parent / "ingest" / "fixtures" / "desktop_json_single", folder / "desktop")
    output = tmp_path / "tags.jsonl"
    summary = tag_files([folder], output, model=model, progress=False)
    assert format_detections == Counter({"table_0.jsonl": 1, "table_1.jsonl": 1, "table_2.jsonl": 1, "dump.jsonl": 1})
    expected = read_posts([folder])
    assert summary.posts == len(expected) > 13
    assert [json.loads(line)["id"] for line in output.read_text(encoding="utf-8").splitlines()] == \
        expected["id"].tolist()


def test_a_full_run_drops_the_since_last_state_of_the_output_it_replaces(model, tmp_path):
    from classify.batch_state import state_path_for

    posts = tmp_path / "posts.jsonl"
    write_jsonl(posts, [{"id": p["id"], "text": p["text"]} for p in make_posts(6, seed=2)])
    output = tmp_path / "tags.jsonl"
    state = state_path_for(output)
    state.write_text("{}", encoding="utf-8")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "b1", "text": "Talks resumed."}\n{"id": "b2", "text": \n', encoding="utf-8")
    with pytest.raises(InputError, match="line 2"):  # a run failing midway replaces nothing and keeps the state
        tag_files([posts, broken], output, model=model, progress=False)
    assert state.is_file() and not output.exists()
    tag_files([posts], output, model=model, progress=False)
    assert output.is_file() and not state.exists()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_cli_tag_chooses_chats_and_names_channels_like_ingest(model, tmp_path, jobs):
    from click.testing import CliRunner

    from classify.cli import main

    fixtures = Path(__file__).parent / "ingest" / "fixtures"
    account = fixtures / "desktop_json_account" / "result.json"
    preview = fixtures / "web_preview_ministry.txt"

    def tagged(*options):
        output = tmp_path / f"tags{len(list(tmp_path.iterdir()))}.jsonl"
        result = CliRunner().invoke(main, ["tag", *map(str, options), "-o", str(output), "--model",
                                           str(model.path), "--quiet", "--jobs", jobs])
        assert result.exit_code == 0, result.output
        return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]

    channels_only, every_chat = tagged(account), tagged(account, "--chats", "all")
    assert len(every_chat) == len(channels_only) + 2
    assert {row["channel"] for row in tagged(preview, "--channel", "borelia")} == {"borelia"}
