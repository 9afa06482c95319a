import os

from training.data_files import display_path


def test_display_path_keeps_a_linked_data_folder_beside_the_checkout(tmp_path, monkeypatch):
    (tmp_path / "elsewhere" / "data").mkdir(parents=True)
    (tmp_path / "elsewhere" / "data" / "gold.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "checkout" / "training" / "configs").mkdir(parents=True)
    os.symlink(tmp_path / "elsewhere", tmp_path / "shared")
    monkeypatch.chdir(tmp_path / "checkout")
    assert display_path("../shared/data/gold.jsonl") == "../shared/data/gold.jsonl"
    assert display_path(tmp_path / "checkout" / "training" / "configs" / ".." / ".." / ".." / "shared" / "data"
                        / "gold.jsonl") == "../shared/data/gold.jsonl"
    assert display_path("training/configs/x.toml") == "training/configs/x.toml"


def test_display_path_of_a_file_far_away_stays_as_given(tmp_path, monkeypatch):
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "a" / "b" / "c")
    far = tmp_path / "gold.jsonl"
    assert display_path(far) == str(far)
