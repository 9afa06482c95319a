import pytest

import training.train_themes
from classify.errors import InputError
from training.build import build_default_model


def test_a_folder_that_is_not_a_bundle_is_refused_before_anything_is_trained(tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(training.train_themes, "train_and_save_themes", no_training)
    (tmp_path / "notes.txt").write_text("my project", encoding="utf-8")
    with pytest.raises(InputError, match="exists and is not a model bundle"):
        build_default_model(tmp_path, cv_folds=0, say=lambda message: None)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
