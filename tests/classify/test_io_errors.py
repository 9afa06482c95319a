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


def test_a_table_to_read_must_exist_and_say_its_format(tmp_path):
    from classify.io import checked_input_format

    assert checked_input_format(_written(tmp_path / "tags.parquet"), "tagged file") == "parquet"
    with pytest.raises(InputError, match=r"missing.jsonl: tagged file not found"):
        checked_input_format(tmp_path / "missing.jsonl", "tagged file")
    with pytest.raises(InputError, match=r"tags.txt: cannot tell the format of this tagged file"):
        checked_input_format(_written(tmp_path / "tags.txt"), "tagged file")


def _written(path):
    path.write_text("{}\n", encoding="utf-8")
    return path
