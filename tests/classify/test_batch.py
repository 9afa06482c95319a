import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import classify.batch
from classify.batch import tag_batch
from classify.batch_state import state_path_for, work_dir_for
from classify.errors import InputError


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _chunks(folder: Path, chunk_size: int) -> int:
    return sum(-(-len(_lines(path)) // chunk_size) for path in folder.glob("*.jsonl"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory, tagging_bundle, small_archive) -> Path:
    """The single-process streaming tagger's output (classify.tag.tag_files), chunks of 100 posts."""
    from classify.model import load_model
    from classify.tag import tag_files

    output = tmp_path_factory.mktemp("reference") / "tags.jsonl"
    tag_files([small_archive], output, model=load_model(tagging_bundle), chunk_size=100, progress=False)
    return output


def test_one_and_two_jobs_write_the_bytes_of_the_single_process_tagger(tmp_path, tagging_bundle, small_archive,
                                                                        reference):
    one = tag_batch([small_archive], tmp_path / "one.jsonl", model_path=tagging_bundle, chunk_size=100)
    two = tag_batch([small_archive], tmp_path / "two.jsonl", model_path=tagging_bundle, chunk_size=100, jobs=2)
    assert one.output.read_bytes() == reference.read_bytes()
    assert two.output.read_bytes() == reference.read_bytes()
    assert (one.posts_read, one.posts_tagged, one.rows_written) == (1200, 1200, 1200)
    assert one.chunks == _chunks(small_archive, 100)  # chunks do not span input files
    assert not work_dir_for(one.output).exists()
    rows = [json.loads(line) for line in _lines(reference)]
    assert any(row["claims"] for row in rows) and any(row["themes"] for row in rows)


def test_csv_and_parquet_outputs_hold_the_same_tags(tmp_path, tagging_bundle, small_archive, reference):
    expected = pd.read_json(reference, lines=True, dtype=False)
    for name in ("tags.csv", "tags.parquet"):
        result = tag_batch([small_archive], tmp_path / name, model_path=tagging_bundle, chunk_size=150, jobs=2)
        frame = pd.read_csv(result.output) if name.endswith(".csv") else pd.read_parquet(result.output)
        assert frame["id"].tolist() == expected["id"].tolist()
        themes = [json.loads(cell) for cell in frame["themes"]] if name.endswith(".csv") else [
            list(cell) for cell in frame["themes"]]
        assert themes == expected["themes"].tolist()


def test_a_parquet_output_is_the_bytes_of_the_single_process_tagger(tmp_path, tagging_bundle, small_archive):
    from classify.model import load_model
    from classify.tag import tag_files

    single = tmp_path / "single.parquet"
    tag_files([small_archive], single, model=load_model(tagging_bundle), chunk_size=300, progress=False)
    for jobs in (1, 2):
        result = tag_batch([small_archive], tmp_path / f"jobs{jobs}.parquet", model_path=tagging_bundle,
                           chunk_size=300, jobs=jobs)
        assert result.output.read_bytes() == single.read_bytes()


def test_inputs_are_files_folders_and_globs(tmp_path, tagging_bundle, small_archive):
    files = sorted(small_archive.glob("*.jsonl"))
    ru_files = sorted(small_archive.glob("*_ru_*.jsonl"))
    assert ru_files, "the archive generator should give some Russian channels"
    result = tag_batch([files[0], str(small_archive / "*_ru_*.jsonl")], tmp_path / "some.jsonl",
                       model_path=tagging_bundle, chunk_size=500)
    wanted_posts = sum(len(_lines(path)) for path in set(files[:1] + ru_files))
    assert result.rows_written == wanted_posts
    with pytest.raises(InputError, match="no files match"):
        tag_batch([str(small_archive / "*.nothing")], tmp_path / "none.jsonl", model_path=tagging_bundle)


def test_bad_input_names_the_file_and_line_and_leaves_no_output(tmp_path, tagging_bundle, small_archive):
    broken = tmp_path / "inputs" / "broken.jsonl"
    broken.parent.mkdir()
    lines = _lines(next(small_archive.glob("*.jsonl")))[:30]
    lines[17] = lines[17][:40]
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.jsonl: line 18"):
        tag_batch([broken], tmp_path / "out.jsonl", model_path=tagging_bundle, chunk_size=10, jobs=2)
    assert not (tmp_path / "out.jsonl").exists()
    with pytest.raises(InputError, match="not a model bundle"):
        tag_batch([small_archive], tmp_path / "out.jsonl", model_path=tmp_path)



def test_parquet_output_when_a_chunk_has_no_text(tmp_path, tagging_bundle, small_archive):
    # a media-only export first: its chunk has no themes, scores or claims to give the columns their types
    media = tmp_path / "inputs" / "a_media_only.jsonl"
    media.parent.mkdir()
    media.write_text('{"id": "m1", "text": ""}\n{"id": "m2", "text": ""}\n', encoding="utf-8")
    first = next(small_archive.glob("*.jsonl"))
    shutil.copy(first, media.parent / "b_posts.jsonl")
    result = tag_batch([media.parent], tmp_path / "tags.parquet", model_path=tagging_bundle, chunk_size=50, jobs=2)
    frame = pd.read_parquet(result.output)
    assert frame["id"].tolist()[:2] == ["m1", "m2"] and len(frame) == 2 + len(_lines(first))
    assert frame.loc[0, "theme_scores"] is None and frame.loc[2, "theme_scores"] is not None
    with pytest.raises(InputError, match=r"tags\.txt: cannot tell the output format"):
        tag_batch([media], tmp_path / "tags.txt", model_path=tagging_bundle)


def test_an_input_without_posts_gives_an_empty_table_with_the_tag_columns(tmp_path, tagging_bundle):
    export = tmp_path / "result.json"  # a Desktop export whose only message is a service message
    export.write_text(json.dumps({"name": "Demo", "type": "public_channel", "id": 77, "messages": [
        {"id": 1, "type": "service", "date": "2024-03-01T10:00:00", "date_unixtime": "1709287200",
         "action": "create_channel", "title": "Demo", "text": "", "text_entities": []}]}), encoding="utf-8")
    for name in ("tags.parquet", "tags.csv"):
        result = tag_batch([export], tmp_path / name, model_path=tagging_bundle, jobs=2)
        frame = pd.read_csv(result.output) if name.endswith(".csv") else pd.read_parquet(result.output)
        assert result.rows_written == 0 and len(frame) == 0 and {"id", "themes", "claims"} <= set(frame.columns)


def test_skipped_records_are_counted_in_the_summary(tmp_path, tagging_bundle, small_archive):
    broken = tmp_path / "broken.jsonl"
    lines = _lines(next(small_archive.glob("*.jsonl")))[:20]
    lines[4] = lines[4][:30]
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = tag_batch([broken], tmp_path / "out.jsonl", model_path=tagging_bundle, chunk_size=8, jobs=2,
                       skip_bad=True)
    assert result.rows_written == 19
    assert "input: 19 posts" in result.summary() and "1 records skipped" in result.summary()
    assert "broken.jsonl: line 5" in result.summary()


def test_an_output_inside_an_input_folder_is_refused(tmp_path, tagging_bundle, small_archive):
    folder = tmp_path / "exports"
    shutil.copytree(small_archive, folder)
    first = next(folder.glob("*.jsonl"))
    original = first.read_bytes()
    with pytest.raises(InputError, match="the output is also an input"):
        tag_batch([folder], first, model_path=tagging_bundle, jobs=2)
    assert first.read_bytes() == original and not work_dir_for(first).exists()


def test_the_summary_counts_posts_per_theme_as_the_single_process_run(tmp_path, tagging_bundle, small_archive):
    from classify.model import load_model
    from classify.tag import tag_files

    model = load_model(tagging_bundle)
    single = tag_files([small_archive], tmp_path / "one.jsonl", model=model, chunk_size=100, progress=False)
    result = tag_batch([small_archive], tmp_path / "two.jsonl", model_path=tagging_bundle, chunk_size=100, jobs=2)
    theme_lines = single.lines(model.themes_)[2:]  # after the timing and input lines
    assert len(theme_lines) == len(model.themes_) + 1 and result.summary().splitlines()[2:] == theme_lines

# The tiny bundle tags a chunk in milliseconds: each finished part waits a little, so that the whole run
# takes seconds and the signal lands midway, not after the last part. Ctrl-C raises KeyboardInterrupt as
# in a terminal even where this test runs from a background job (whose shell makes children ignore SIGINT).
_RUN = """
import signal, sys, time
from classify import batch

signal.signal(signal.SIGINT, signal.default_int_handler)

write_part = batch.write_part


def write_part_slowly(*args):
    write_part(*args)
    time.sleep(0.05)


batch.write_part = write_part_slowly
batch.tag_batch([sys.argv[1]], sys.argv[2], model_path=sys.argv[3], jobs=int(sys.argv[4]), chunk_size=40, resume=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("jobs, how", [(1, signal.SIGKILL), (2, signal.SIGINT)], ids=["crash", "ctrl-c"])
def test_a_run_killed_midway_resumes_to_the_same_bytes(tmp_path, tagging_bundle, small_archive, jobs, how):
    uninterrupted = tag_batch([small_archive], tmp_path / "full.jsonl", model_path=tagging_bundle, chunk_size=40)
    output = tmp_path / "killed.jsonl"
    work = work_dir_for(output)
    process = subprocess.Popen([sys.executable, "-c", _RUN, str(small_archive), str(output), str(tagging_bundle),
                                str(jobs)])
    deadline = time.monotonic() + 120
    while len(list(work.glob("part-*.jsonl"))) < 4:
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "no parts written in two minutes"
        time.sleep(0.01)
    process.send_signal(how)
    process.wait(timeout=60)
    assert process.returncode != 0
    assert not output.exists(), "an interrupted run must not leave an output"
    done = len(list(work.glob("part-*.jsonl")))
    assert 4 <= done < uninterrupted.chunks

    resumed = tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=40, resume=True, jobs=jobs)
    assert resumed.chunks_resumed >= 4
    assert resumed.posts_tagged < 1200
    assert output.read_bytes() == uninterrupted.output.read_bytes()


def test_resume_refuses_a_changed_input_and_reuses_every_finished_part(tmp_path, tagging_bundle, small_archive,
                                                                       monkeypatch):
    inputs = tmp_path / "inputs"
    shutil.copytree(small_archive, inputs)
    output = tmp_path / "tags.jsonl"

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(classify.batch, "_assemble", crash)
        with pytest.raises(KeyboardInterrupt):
            tag_batch([inputs], output, model_path=tagging_bundle, chunk_size=300)
    chunks = _chunks(inputs, 300)
    assert len(list(work_dir_for(output).glob("part-*.jsonl"))) == chunks and not output.exists()

    resumed = tag_batch([inputs], output, model_path=tagging_bundle, chunk_size=300, resume=True)
    assert (resumed.chunks_resumed, resumed.chunks, resumed.posts_tagged) == (chunks, chunks, 0)
    assert len(_lines(output)) == 1200

    with monkeypatch.context() as patch:
        patch.setattr(classify.batch, "_assemble", crash)
        with pytest.raises(KeyboardInterrupt):
            tag_batch([inputs], output, model_path=tagging_bundle, chunk_size=300)
    with pytest.raises(InputError, match="cannot resume: the chunk size changed"):
        tag_batch([inputs], output, model_path=tagging_bundle, chunk_size=200, resume=True)
    first = sorted(inputs.glob("*.jsonl"))[0]
    first.write_text(first.read_text(encoding="utf-8") + _lines(first)[0] + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="cannot resume: the inputs changed"):
        tag_batch([inputs], output, model_path=tagging_bundle, chunk_size=300, resume=True)


def _grown_export(small_archive: Path, folder: Path, share: float) -> Path:
    """The archive as it was when only the first ``share`` of each channel's posts existed."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(small_archive.glob("*.jsonl")):
        lines = _lines(path)
        (folder / path.name).write_text("\n".join(lines[: int(len(lines) * share)]) + "\n", encoding="utf-8")
    return folder


def test_since_last_tags_only_new_posts_and_appends_them(tmp_path, tagging_bundle, small_archive, reference):
    output = tmp_path / "weekly.jsonl"
    first = tag_batch([_grown_export(small_archive, tmp_path / "week1", 0.7)], output, model_path=tagging_bundle,
                      chunk_size=100, since_last=True)
    week1 = _lines(output)
    state = json.loads(state_path_for(output).read_text(encoding="utf-8"))
    assert state["rows"] == first.rows_written == first.posts_tagged == len(week1)
    assert len(state["max_message_id"]) == 6

    second = tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=100, since_last=True,
                       jobs=2)
    assert second.posts_read == 1200
    assert second.posts_tagged == 1200 - first.rows_written
    assert second.rows_written == 1200
    lines = _lines(output)
    assert lines[: len(week1)] == week1, "the rows already there are kept, first"
    # Every post tagged exactly once, with the tags a full run gives it; only duplicate_of may differ:
    # an old row keeps the duplicate_of of its own run (the post it repeats may have come in a later export).
    def without_duplicate_of(rows):
        return sorted(json.dumps({k: v for k, v in json.loads(row).items() if k != "duplicate_of"}) for row in rows)

    assert without_duplicate_of(lines) == without_duplicate_of(_lines(reference))

    before = output.read_bytes()
    third = tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=100, since_last=True)
    assert third.posts_tagged == 0 and output.read_bytes() == before


def test_since_last_refuses_another_model_or_an_edited_output(tmp_path, tagging_bundle, small_archive):
    output = tmp_path / "tags.jsonl"
    tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=600, since_last=True)
    other_model = tmp_path / "other-model"
    shutil.copytree(tagging_bundle, other_model)
    (other_model / "metadata.json").write_text((other_model / "metadata.json").read_text() + "\n")
    with pytest.raises(InputError, match="tagged with another model"):
        tag_batch([small_archive], output, model_path=other_model, since_last=True)
    output.write_text(output.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    with pytest.raises(InputError, match="changed since its since-last state"):
        tag_batch([small_archive], output, model_path=tagging_bundle, since_last=True)


@pytest.mark.parametrize("name", ["tags.jsonl", "tags.csv", "tags.parquet"])
def test_since_last_refuses_to_append_rows_with_text_to_rows_without(tmp_path, tagging_bundle, small_archive, name):
    output = tmp_path / name
    tag_batch([_grown_export(small_archive, tmp_path / "week1", 0.5)], output, model_path=tagging_bundle,
              chunk_size=600, since_last=True, include_text=False)
    before = output.read_bytes()
    # JSON lines mixed rows with and without text, CSV named a part file, Parquet gave a traceback
    with pytest.raises(InputError, match="without the post texts"):
        tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=600, since_last=True)
    assert output.read_bytes() == before and not work_dir_for(output).exists()


def test_only_since_last_runs_keep_a_state_and_a_full_run_drops_the_one_it_outdates(tmp_path, tagging_bundle,
                                                                                    small_archive, monkeypatch):
    output = tmp_path / "tags.jsonl"
    state = state_path_for(output)
    tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=600, jobs=2)
    assert output.is_file() and not state.exists() and not work_dir_for(output).exists()

    first = tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=600, since_last=True)
    assert first.posts_tagged == 1200, "no state yet: everything is tagged"
    assert json.loads(state.read_text(encoding="utf-8"))["rows"] == 1200

    with monkeypatch.context() as patch:  # a full run interrupted before its output is written ...
        patch.setattr(classify.batch, "_assemble", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=600)
    assert state.is_file(), "... leaves the state of the output it did not replace"
    resumed = tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=600, resume=True)
    assert resumed.chunks_resumed == resumed.chunks and resumed.rows_written == 1200
    assert not state.exists(), "the resumed full run replaced the output that state described"

    again = tag_batch([small_archive], output, model_path=tagging_bundle, chunk_size=600, since_last=True)
    assert again.posts_tagged == 1200 and state.is_file()


def test_each_input_file_is_examined_once(tmp_path, tagging_bundle, small_archive, reference, format_detections):
    """The inputs are expanded (each file's head sniffed for its format) once, not once more to read them."""
    from collections import Counter

    result = tag_batch([small_archive], tmp_path / "tags.jsonl", model_path=tagging_bundle, chunk_size=100)
    assert format_detections == Counter({path.name: 1 for path in small_archive.glob("*.jsonl")})
    assert result.output.read_bytes() == reference.read_bytes()


def test_tag_command_runs_the_batch_tagger(tmp_path, tagging_bundle, small_archive, reference):
    from click.testing import CliRunner

    from classify.cli import main

    output = tmp_path / "cli.jsonl"
    args = ["tag", str(small_archive), "-o", str(output), "--model", str(tagging_bundle), "--chunk-size", "100",
            "--quiet"]
    result = CliRunner().invoke(main, args + ["--jobs", "2", "--since-last"])
    assert result.exit_code == 0, result.output
    assert "1,200 posts read" in result.output
    assert output.read_bytes() == reference.read_bytes()
    result = CliRunner().invoke(main, args + ["--engine", "dask"])
    assert result.exit_code == 2 and "--scheduler" in result.output


_SCORES_IN_A_FRESH_PROCESS = """
import sys, numpy as np
from classify.model import load_model
from classify.ingest import read_posts
posts = read_posts([sys.argv[1]]).iloc[600:700]
np.save(sys.argv[3], load_model(sys.argv[2]).predict_proba(posts["text"].tolist(), posts["lang"].tolist()))
"""


def test_a_chunk_scores_the_same_whatever_the_worker_tagged_before(tmp_path, tagging_bundle, small_archive):
    """Workers see different chunks; their caches must not change a single bit of the scores."""
    import numpy as np

    from classify.ingest import read_posts
    from classify.model import load_model

    fresh = tmp_path / "fresh.npy"
    subprocess.run([sys.executable, "-c", _SCORES_IN_A_FRESH_PROCESS, str(small_archive), str(tagging_bundle),
                    str(fresh)], check=True)
    posts = read_posts([small_archive])
    model = load_model(tagging_bundle)
    model.predict_proba(posts["text"].iloc[:600].tolist(), posts["lang"].iloc[:600].tolist())
    warm = model.predict_proba(posts["text"].iloc[600:700].tolist(), posts["lang"].iloc[600:700].tolist())
    assert np.array_equal(np.load(fresh), warm)
