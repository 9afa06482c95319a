import json
import os

import pytest

import classify.bundle
from classify.errors import InputError
from classify.model import load_model
from training.bundle_output import check_bundle_output, staged_bundle
from training.config import load_themes_config
from training.train_themes import train_and_save_themes
from tests.training.theme_fixtures import make_posts, write_config, write_jsonl


def _files(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_failure_while_saving_keeps_the_previous_bundle_whole(tmp_path, monkeypatch):
    config = load_themes_config(write_config(tmp_path))
    train_and_save_themes(config, tmp_path / "model")
    before = _files(tmp_path / "model")
    write_jsonl(tmp_path / "train.jsonl", make_posts(70, seed=8))  # a model with other bytes

    def crash(*args, **kwargs):  # called after the component file is written, before metadata.json
        raise KeyboardInterrupt

    monkeypatch.setattr(classify.bundle, "library_versions", crash)
    with pytest.raises(KeyboardInterrupt):
        train_and_save_themes(config, tmp_path / "model")
    assert _files(tmp_path / "model") == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    monkeypatch.undo()
    assert load_model(tmp_path / "model").predict(["Oil prices rose."]) == [["economy"]]


def test_a_new_bundle_folder_gets_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        with staged_bundle(tmp_path / "new") as folder:
            (folder / "metadata.json").write_text("{}", encoding="utf-8")
    finally:
        os.umask(mask)
    assert (tmp_path / "new" / "metadata.json").is_file()
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o755


def test_folders_that_are_not_bundles_are_refused(tmp_path):
    check_bundle_output(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    check_bundle_output(tmp_path / "empty")
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "posts.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(InputError, match="exists and is not a model bundle"):
        check_bundle_output(tmp_path / "posts")
    topics = tmp_path / "topics"
    topics.mkdir()
    (topics / "metadata.json").write_text(json.dumps({
        "format": classify.bundle.BUNDLE_FORMAT, "protocol": classify.bundle.BUNDLE_PROTOCOL, "components": {},
        "topic_model": {"kind": "topic_model"}}), encoding="utf-8")
    with pytest.raises(InputError, match="holds a topic model"):
        check_bundle_output(topics)
    with pytest.raises(InputError, match="exists and is not a model bundle"):
        train_and_save_themes(load_themes_config(write_config(tmp_path)), tmp_path / "posts")
    assert sorted(p.name for p in (tmp_path / "posts").iterdir()) == ["posts.jsonl"]
