import json
import random
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from classify.errors import InputError
from classify.ingest import (POST_COLUMNS, IngestStats, detect_format, iter_posts, post_chunks, posts_frame, read_posts,
                             write_posts)
from classify.ingest import table
from classify.ingest.table import _SeenTexts

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "examples" / "sample_export" / "result.json"
FIXTURES = Path(__file__).parent / "fixtures"


def test_sample_export_is_complete_and_typed():
    stats = IngestStats()
    posts = read_posts(SAMPLE, stats=stats)
    assert list(posts.columns) == list(POST_COLUMNS)
    assert {name: str(dtype) for name, dtype in posts.dtypes.items()} == {
        name: dtype for name, (dtype, _) in POST_COLUMNS.items()}
    assert len(posts) == 31 and stats.posts == 31
    assert stats.service_messages == 2
    assert posts["id"].is_unique
    assert (posts["id"] == posts["channel"] + "/" + posts["message_id"].astype(str)).all()
    assert set(posts["lang"]) == {"ru", "en", "other"}
    assert posts.loc[posts["text"] == "", "lang"].tolist() == ["other"]  # the media-only post
    assert stats.summary() == "31 posts, 1 duplicates flagged, 2 service messages ignored"


def test_bilingual_pairs_get_their_languages():
    posts = read_posts(SAMPLE).set_index("message_id")
    assert posts.loc[3, "lang"] == "ru" and posts.loc[4, "lang"] == "en"
    assert posts.loc[12, "lang"] == "ru" and posts.loc[13, "lang"] == "en"


def test_duplicate_is_flagged_not_dropped():
    posts = read_posts(SAMPLE)
    flagged = posts[posts["duplicate_of"].notna()]
    assert len(flagged) == 1
    original = posts[posts["id"] == flagged["duplicate_of"].iloc[0]]
    assert original["text"].iloc[0] == flagged["text"].iloc[0]
    assert original.index[0] < flagged.index[0]
    assert len(read_posts(SAMPLE, drop_duplicates=True)) == 30


def test_duplicates_are_found_across_inputs_and_formats():
    posts = read_posts([FIXTURES / "plain_posts.csv", FIXTURES / "plain_posts.jsonl", FIXTURES / "telethon_dump.jsonl"])
    by_id = posts.set_index("id")["duplicate_of"]
    assert by_id["a-3"] == "a-1"  # same text but for the final punctuation
    assert by_id["Деловая сводка/77"] == "Северный вестник/501"
    assert by_id.notna().sum() == 2


def test_iter_posts_streams_complete_dicts():
    stream = iter_posts(SAMPLE)
    first = next(stream)
    assert set(first) == set(POST_COLUMNS)
    assert first["id"] == "МИД Борелии | Borelia MFA/3"
    assert sum(1 for _ in stream) == 30


def test_post_chunks_match_read_posts():
    chunks = list(post_chunks(SAMPLE, chunk_size=7))
    assert [len(chunk) for chunk in chunks] == [7, 7, 7, 7, 3]
    whole = pd.concat(chunks, ignore_index=True)
    pd.testing.assert_frame_equal(whole, read_posts(SAMPLE))


def test_inputs_folders_and_globs(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    shutil.copy(SAMPLE, export / "result.json")
    assert len(read_posts(export)) == 31  # folder with result.json
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    for name in ("plain_posts.csv", "plain_posts.jsonl"):
        shutil.copy(FIXTURES / name, dumps / name)
    assert len(read_posts(dumps)) == 5  # a folder of input files
    assert len(read_posts(str(dumps / "*.jsonl"))) == 2
    with pytest.raises(InputError, match="no files match"):
        read_posts(str(tmp_path / "*.parquet"))
    with pytest.raises(InputError, match="no such file or folder"):
        read_posts(tmp_path / "missing.json")
    (tmp_path / "void").mkdir()
    with pytest.raises(InputError, match="empty folder"):
        read_posts(tmp_path / "void")


def test_format_detection_and_forcing(tmp_path):
    assert detect_format(SAMPLE) == "desktop-json"
    assert detect_format(FIXTURES / "desktop_html") == "desktop-html"
    unknown = tmp_path / "data.bin"
    unknown.write_bytes(b"\x00\x01\x02")
    with pytest.raises(InputError, match="cannot tell the input format"):
        detect_format(unknown)
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        read_posts(SAMPLE, format="pdf")
    # a .txt dump of JSON records is read as records, not as one web-preview post of raw JSON
    dump = tmp_path / "dump.txt"
    dump.write_text('{"id": "n1", "text": "Переговоры в Осло продолжатся в понедельник."}\n', encoding="utf-8")
    assert detect_format(dump) == "table"
    assert read_posts(dump)["id"].tolist() == ["n1"]
    assert read_posts(dump, format="table")["id"].tolist() == ["n1"]
    copied = tmp_path / "copied.txt"
    copied.write_text("[Фото] Переговоры в Осло продолжатся в понедельник.\n1.2K views 14:03\n", encoding="utf-8")
    assert detect_format(copied) == "web-preview"
    assert detect_format(FIXTURES / "web_preview_ministry.txt") == "web-preview"


def test_html_export_folder_and_its_pages_are_read_once():
    folder = FIXTURES / "desktop_html"
    by_folder = read_posts(folder)
    by_pages = read_posts(str(folder / "messages*.html"))
    assert len(by_folder) > 0
    pd.testing.assert_frame_equal(by_folder, by_pages)


def test_channel_option_reaches_the_readers_that_take_it():
    posts = read_posts([FIXTURES / "web_preview_ministry.txt", SAMPLE], channel="borelia")
    assert posts["channel"].iloc[0] == "borelia"
    assert posts["channel"].iloc[-1] == "МИД Борелии | Borelia MFA"


def test_chat_types_reach_the_desktop_reader():
    account = FIXTURES / "desktop_json_account" / "result.json"
    default, channels, every = (read_posts(account, chat_types=c) for c in (None, "channels", "all"))
    pd.testing.assert_frame_equal(default, channels)
    assert len(every) > len(channels)
    assert set(channels["channel"]) < set(every["channel"])
    assert len(read_posts(SAMPLE, chat_types="channels")) == 31


def test_chat_types_are_checked():
    with pytest.raises(ValueError, match="chat_types"):
        read_posts(SAMPLE, chat_types="groups")


def test_ids_without_message_ids_are_hashes_of_channel_and_text(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text('{"text": "Talks in Oslo continue."}\n{"text": "talks in oslo continue"}\n'
                    '{"text": "Talks in Oslo continue.", "channel": "other"}\n', encoding="utf-8")
    posts = read_posts(path)
    first, again, elsewhere = posts["id"].tolist()
    assert first.startswith("sha1:") and len(first) == 45
    assert again == first + ":2" and posts["duplicate_of"].iloc[1] == first
    assert elsewhere != first and posts["duplicate_of"].iloc[2] == first


def test_skipped_records_are_counted(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text('{"id": 1, "text": "Talks in Oslo."}\n{"id": 2, "text": \n', encoding="utf-8")
    stats = IngestStats()
    assert len(read_posts(path, skip_bad=True, stats=stats)) == 1
    assert stats.summary() == ("1 posts, 0 duplicates flagged, 0 service messages ignored, 1 records skipped: "
                               "1 x invalid JSON (unexpected end of data: line 2 column 1 (char 19)) "
                               f"(first: {path}: line 2)")


def test_summary_groups_skipped_records_by_reason_with_their_first_position():
    stats = IngestStats()
    for line, reason in [(2, "invalid JSON"), (5, "no 'text' field"), (9, "invalid JSON"), (11, "a"), (12, "b")]:
        stats.skip(f"f.jsonl: line {line}", reason)
    assert stats.summary(shown=2).endswith(
        "5 records skipped: 2 x invalid JSON (first: f.jsonl: line 2); 1 x no 'text' field (first: f.jsonl: line 5); "
        "2 more reasons")


@pytest.mark.parametrize("max_in_memory", [None, 50])
def test_seen_texts_agree_with_a_dictionary_over_many_chunks(max_in_memory):
    rng = random.Random(7)
    # 1 << 63 and up: hashes that SQLite, with signed integers, must store and find too
    keys = [rng.choice([0, *range(1, 400)]) * 11400714819323198485 % (1 << 64) for _ in range(5000)]
    assert any(key >= 1 << 63 for key in keys)
    seen, expected, first_ref = _SeenTexts(max_in_memory), [], {}
    for ref, key in enumerate(keys):
        expected.append(-1 if key == 0 or key not in first_ref else first_ref[key])
        if key:
            first_ref.setdefault(key, ref)
    got = []
    for start in range(0, len(keys), 333):
        chunk = np.array(keys[start:start + 333], dtype=np.uint64)
        got.extend(seen.first_refs(chunk, np.arange(start, start + len(chunk), dtype=np.int64)).tolist())
    assert got == expected
    assert len(seen._runs) < 8  # runs are merged as they grow
    assert (seen._on_disk is not None) == (max_in_memory is not None)


def test_a_duplicate_index_moved_to_disk_flags_the_same_posts(monkeypatch):
    def in_chunks_of_four():
        return pd.concat(post_chunks(SAMPLE, chunk_size=4), ignore_index=True)

    expected = in_chunks_of_four()
    monkeypatch.setattr(table, "MAX_TEXTS_IN_MEMORY", 3)
    assert_frame_equal(in_chunks_of_four(), expected)
    assert expected["duplicate_of"].notna().any()


@pytest.mark.parametrize("suffix", ["parquet", "jsonl", "csv"])
def test_write_posts_round_trip(tmp_path, suffix):
    out = tmp_path / f"posts.{suffix}"
    # chunks of 2: the first chunk has no reactions, no forwards, no media: all-null columns
    rows = write_posts(SAMPLE, out, chunk_size=2)
    assert rows == 31
    expected = read_posts(SAMPLE)
    if suffix == "parquet":
        back = pd.read_parquet(out)
        assert back["id"].tolist() == expected["id"].tolist()
        assert back["date"].tolist() == expected["date"].tolist()
        reactions = back.loc[0, "reactions_by_emoji"]
        assert dict(reactions) == expected.loc[0, "reactions_by_emoji"]
        assert list(back.loc[0, "hashtags"]) == expected.loc[0, "hashtags"]
    elif suffix == "jsonl":
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [r["id"] for r in records] == expected["id"].tolist()
        assert records[0]["reactions_by_emoji"] == expected.loc[0, "reactions_by_emoji"]
        assert records[0]["date"] == "2025-01-11T13:37:00+00:00"
    else:
        back = pd.read_csv(out)
        assert back["text"].fillna("").tolist() == expected["text"].tolist()


def test_write_posts_drop_duplicates_and_bad_output_name(tmp_path):
    assert write_posts(SAMPLE, tmp_path / "posts.jsonl", drop_duplicates=True) == 30
    with pytest.raises(InputError, match="output format"):
        write_posts(SAMPLE, tmp_path / "posts.xlsx")


def _plain_frame(posts: list[dict]) -> pd.DataFrame:
    """The post table built with pandas' own conversions, one column at a time."""
    columns = {}
    for name, (dtype, _) in POST_COLUMNS.items():
        values = [post.get(name) for post in posts]
        if dtype.startswith("datetime64"):
            columns[name] = pd.Series(pd.to_datetime(pd.Series(values, dtype=object), utc=True)).astype(dtype)
        elif dtype == "object":
            columns[name] = pd.Series(values, dtype=object)
        else:
            columns[name] = pd.Series(pd.array(values, dtype=dtype))
    return pd.DataFrame(columns)


def test_posts_frame_equals_pandas_conversions_with_or_without_every_key():
    posts = list(iter_posts([SAMPLE, FIXTURES / "telethon_dump.jsonl", FIXTURES / "plain_posts.csv"]))
    assert any(post["edited"] for post in posts) and any(post["reactions"] for post in posts)
    expected = _plain_frame(posts)
    pd.testing.assert_frame_equal(posts_frame(posts), expected)
    sparse = [{name: value for name, value in post.items() if value is not None} for post in posts]
    pd.testing.assert_frame_equal(posts_frame(sparse), expected)  # posts lacking keys: the per-column path
    never_edited = [dict(post, edited=None) for post in posts]
    pd.testing.assert_frame_equal(posts_frame(never_edited), _plain_frame(never_edited))
    assert len(posts_frame([])) == 0 and list(posts_frame([]).dtypes.astype(str)) == [
        dtype for dtype, _ in POST_COLUMNS.values()]


def test_chunks_without_languages_differ_only_in_lang():
    with_languages = pd.concat(post_chunks([SAMPLE], chunk_size=7), ignore_index=True)
    without = pd.concat(post_chunks([SAMPLE], chunk_size=7, languages=False), ignore_index=True)
    assert without["lang"].isna().all() and with_languages["lang"].notna().all()
    pd.testing.assert_frame_equal(without.drop(columns="lang"), with_languages.drop(columns="lang"))


def test_posts_frame_refuses_fractional_integers_as_pandas_does():
    post = next(iter_posts([SAMPLE]))
    for views in (3.0, True, "5", 7):
        assert posts_frame([dict(post, views=views)])["views"].tolist() == pd.array([views], dtype="Int64").tolist()
    with pytest.raises(TypeError):
        pd.array([3.5], dtype="Int64")
    with pytest.raises(TypeError):
        posts_frame([dict(post, views=3.5)])


def test_posts_frame_reads_a_zero_timestamp_as_the_epoch_as_pandas_does():
    post = next(iter_posts([SAMPLE]))
    frame = posts_frame([dict(post, edited=0)])
    assert frame["edited"].tolist() == pd.to_datetime(pd.Series([0], dtype=object), utc=True).tolist()
    assert posts_frame([dict(post, edited=None)])["edited"].isna().all()


def test_folder_of_export_folders_reads_each_export(tmp_path):
    (tmp_path / "ChatExport_2024-05-01").mkdir()
    shutil.copy(SAMPLE, tmp_path / "ChatExport_2024-05-01" / "result.json")
    shutil.copytree(FIXTURES / "desktop_html", tmp_path / "ChatExport_2024-06-01")
    (tmp_path / "ChatExport_2024-06-01" / "photos").mkdir()  # media folders inside an export are not inputs
    (tmp_path / "notes").mkdir()  # nor is a folder that holds no export
    shutil.copy(FIXTURES / "plain_posts.jsonl", tmp_path / "extra.jsonl")
    expected = read_posts([tmp_path / "ChatExport_2024-05-01", tmp_path / "ChatExport_2024-06-01",
                           tmp_path / "extra.jsonl"])
    assert len(expected) > 31
    assert_frame_equal(read_posts(tmp_path), expected)


@pytest.mark.parametrize("content, problem", [
    ("Переговоры в Осло.\n".encode("utf-16"), r"byte 0: not UTF-8 text \(UTF-16 byte order mark\)"),
    ("Переговоры в Осло.\n".encode("cp1251"), r"byte 0: not UTF-8 text \(byte 0xcf\)"),
], ids=["utf-16", "cp1251"])
def test_text_in_another_encoding_is_named_as_such_not_as_an_unknown_format(tmp_path, content, problem):
    for name in ("posts.txt", "result.json"):
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InputError, match=rf"{name}: {problem}; save the file as UTF-8"):
            detect_format(path)
    binary = tmp_path / "posts.jsonl.gz"
    binary.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xcb\xc8\x04\x00")
    with pytest.raises(InputError, match="cannot tell the input format"):
        detect_format(binary)


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_a_post_table_reads_back_as_the_same_posts(tmp_path, suffix):
    table_path = tmp_path / f"posts{suffix}"
    write_posts(SAMPLE, table_path)
    assert detect_format(table_path) == "telethon"
    original, again = read_posts(SAMPLE), read_posts(table_path)
    assert original["links"].map(len).sum() > 0 and original["reactions_by_emoji"].notna().any()
    assert_frame_equal(original.drop(columns="source"), again.drop(columns="source"))
    assert again["source"].iloc[0].startswith(str(table_path))


def test_a_file_that_is_not_parquet_inside_is_an_error_naming_it(tmp_path):
    path = tmp_path / "posts.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 16)
    with pytest.raises(InputError, match=r"posts\.parquet: record 0: unreadable Parquet file"):
        read_posts(path)


def _desktop_chat(name: str, chat_id: int, texts: list[str]) -> dict:
    return {"name": name, "type": "public_channel", "id": chat_id, "messages": [
        {"id": number, "type": "message", "date": "2025-04-01T10:00:00", "date_unixtime": str(1743501600 + number),
         "from": name, "from_id": f"channel{chat_id}", "text": text}
        for number, text in enumerate(texts, start=1)]}


def test_chats_of_one_name_and_different_ids_keep_their_posts_apart(tmp_path):
    account = tmp_path / "account" / "result.json"
    account.parent.mkdir()
    account.write_text(json.dumps({"about": "", "chats": {"about": "", "list": [
        _desktop_chat("Новости", 1700000111, ["Порт Мурманск принял первый конвой сезона.", "Общий текст двух каналов."]),
        _desktop_chat("Новости", 1700000222, ["Министр провёл переговоры в Осло.", "Общий текст двух каналов."]),
    ]}}, ensure_ascii=False), encoding="utf-8")
    dump = tmp_path / "dump.jsonl"  # the second channel again, as a Telethon dump names it: -100 and its id
    dump.write_text(json.dumps({"channel": "Новости", "chat_id": -1001700000222, "message_id": 3,
                                "date": "2025-04-02T10:00:00+00:00", "text": "Переговоры продолжатся завтра."},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    stats = IngestStats()
    posts = read_posts([account, dump], stats=stats)
    assert posts["id"].tolist() == ["Новости/1", "Новости/2", "Новости (id 1700000222)/1",
                                    "Новости (id 1700000222)/2", "Новости (id 1700000222)/3"]
    assert posts["duplicate_of"].tolist()[3] == "Новости/2"  # same text in two channels: still a duplicate
    assert "chat_id" not in posts.columns and all("chat_id" not in post for post in iter_posts(account))
    assert stats.summary().endswith("1 chat renamed apart from an earlier chat of the same name: "
                                    "'Новости (id 1700000222)'")
    alone = IngestStats()
    assert read_posts(dump, stats=alone)["id"].tolist() == ["Новости/3"]  # nothing to keep apart from
    assert "renamed" not in alone.summary()
    odd = tmp_path / "odd.jsonl"  # a chat id that is an object: compared as its text, not a crash
    odd.write_text(json.dumps({"channel": "Вестник", "chat_id": {"channel_id": 5}, "message_id": 1,
                               "text": "Текст."}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert read_posts(odd)["id"].tolist() == ["Вестник/1"]


def test_root_of_a_full_account_html_export_names_its_chat_folders(tmp_path):
    root = tmp_path / "DataExport_2025-03-01"
    chat = root / "chats" / "chat_01"
    shutil.copytree(FIXTURES / "desktop_html", chat)
    (root / "lists").mkdir()
    (root / "lists" / "chats.html").write_text("<html><body>Chats</body></html>", encoding="utf-8")
    (root / "export_results.html").write_text("<html><body>Exported data</body></html>", encoding="utf-8")
    with pytest.raises(InputError, match=r"full-account HTML export.*chats"):
        read_posts(root)
    assert len(read_posts(root / "chats")) == len(read_posts(chat))


def test_a_chat_exported_as_html_and_json_is_read_once_from_its_json(tmp_path):
    folder = tmp_path / "ChatExport_2025-03-01"
    shutil.copytree(FIXTURES / "desktop_html", folder)
    shutil.copy(SAMPLE, folder / "result.json")
    from_json = read_posts(folder / "result.json")
    pd.testing.assert_frame_equal(read_posts(str(folder / "*.*")), from_json)
    pd.testing.assert_frame_equal(read_posts([folder / "messages.html", folder / "result.json"]), from_json)


def test_an_output_the_next_run_would_read_is_refused_from_the_first_run(tmp_path):
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    shutil.copy(FIXTURES / "plain_posts.jsonl", dumps / "plain_posts.jsonl")
    with pytest.raises(InputError, match="inside an input folder"):
        write_posts([dumps], dumps / "posts.jsonl")
    assert sorted(p.name for p in dumps.iterdir()) == ["plain_posts.jsonl"]
    with pytest.raises(InputError, match="inside an input folder"):
        write_posts([dumps / "plain_posts.jsonl"], dumps / "plain_posts.jsonl")
    # An export folder reads only its export, so a table written beside it is not read again.
    export = tmp_path / "ChatExport"
    export.mkdir()
    shutil.copy(SAMPLE, export / "result.json")
    first = write_posts([export], export / "posts.jsonl")
    assert write_posts([export], export / "posts.jsonl") == first
