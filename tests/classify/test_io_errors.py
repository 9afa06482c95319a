import os
import pickle
import stat

import pandas as pd
import pytest

from classify.errors import InputError
from classify.io import write_table


def test_input_error_survives_pickling():
    error = InputError("dump.jsonl", "invalid JSON", location="line 3")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == "dump.jsonl: line 3: invalid JSON"
    assert (copy.path, copy.message, copy.location) == ("dump.jsonl", "invalid JSON", "line 3")


def test_outputs_get_the_usual_permissions(tmp_path):
    mask = os.umask(0o022)
    try:
        path = tmp_path / "t.jsonl"
        write_table(pd.DataFrame({"id": ["a"], "text": ["x"]}), path)
    finally:
        os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "t.csv"
    with pytest.raises(ZeroDivisionError):
        from classify.io import atomic_output

        with atomic_output(path) as handle:
            handle.write("partial")
            1 / 0
    assert list(tmp_path.iterdir()) == []


def test_replace_folder_puts_the_new_folder_in_place_and_removes_the_old(tmp_path):
    from classify.io import replace_folder

    target, staging = tmp_path / "bundle", tmp_path / ".bundle.saving"
    target.mkdir()
    (target / "old.txt").write_text("old", encoding="utf-8")
    staging.mkdir()
    (staging / "new.txt").write_text("new", encoding="utf-8")
    replace_folder(staging, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]
    assert [p.name for p in target.iterdir()] == ["new.txt"]
    fresh = tmp_path / ".other.saving"
    fresh.mkdir()
    replace_folder(fresh, tmp_path / "other")
    assert (tmp_path / "other").is_dir() and not fresh.exists()
