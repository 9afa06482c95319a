"""JSON lines read as Arrow columns (telethon.read_columns) give the same post table as record by record."""
import json

import pandas as pd
import pytest

from classify.errors import InputError
from classify.ingest import IngestStats, iter_posts, posts_frame, read_posts, telethon
from classify.ingest._base import PostColumns


def _write_lines(path, records) -> None:
    lines = [record if isinstance(record, str) else json.dumps(record, ensure_ascii=False) for record in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _kinds(path, **options) -> list[str]:
    return ["columns" if isinstance(block, PostColumns) else "records"
            for block in telethon.read_columns(path, stats=IngestStats(), **options)]


def _same_as_record_by_record(path, **options) -> pd.DataFrame:
    """read_posts (which takes columns where it can) against the posts converted one by one."""
    expected = posts_frame(list(iter_posts(path, **options)))
    got = read_posts(path, **options)
    pd.testing.assert_frame_equal(got, expected)
    return got


def _post(number: int, **fields) -> dict:
    return {"channel": "Северный вестник", "message_id": 700 + number,
            "date": "2025-03-01T08:00:00+00:00", "text": f"Сообщение номер {number} о переговорах в Осло.", **fields}


def test_flat_dump_is_read_as_columns_with_the_same_posts(tmp_path):
    path = tmp_path / "flat.jsonl"
    _write_lines(path, [
        _post(1, date="2025-03-01T11:30:00+03:00", views=1500, forwards=3, category="politics"),
        _post(2, date="2025-03-01T08:31:00Z", views=None, extra={"nested": [1, 2]}),
        _post(3, date="2025-03-01 08:32:00.250000", text="**Порт** открыт: [подробнее](https://port.example/1) #Арктика"),
        _post(4, date=None, text=""),
        _post(5, text="Сообщение номер 1 о переговорах в Осло!"),  # a duplicate of post 1 once normalised
        _post(6, channel="Южный курьер", message_id=-5, text="👍"),
        _post(7, message_id=2 ** 41, text="Meeting in Oslo: https://t.me/mfa_example/12 and www.mfa.example"),
        _post(8),
    ])
    assert _kinds(path) == ["columns"]
    table = _same_as_record_by_record(path)
    assert table["id"].tolist()[:2] == ["Северный вестник/701", "Северный вестник/702"]
    assert table["date"][0] == pd.Timestamp("2025-03-01T08:30:00Z")  # +03:00 read as UTC
    assert table["date"].isna().tolist() == [False, False, False, True, False, False, False, False]
    assert table["views"].tolist()[:2] == [1500, pd.NA] and table["forwards"][0] == 3
    assert table["links"][2] == ["https://port.example/1"] and table["hashtags"][2] == ["#Арктика"]
    assert table["duplicate_of"][4] == "Северный вестник/701"
    assert table["id"][5] == "Южный курьер/-5"
    assert table["source"][7] == f"{path}:8"


def test_every_post_in_the_same_table_with_worker_processes(tmp_path):
    path = tmp_path / "flat.jsonl"
    _write_lines(path, [_post(number % 9) for number in range(40)])  # repeats: duplicates across batches
    expected = _same_as_record_by_record(path)
    pd.testing.assert_frame_equal(read_posts(path, jobs=2), expected)


@pytest.mark.parametrize("records, channel", [
    ([{"sender_id": -1001234, "message_id": 1, "text": "один"}, {"sender_id": -1001234, "message_id": 2, "text": "два"}],
     "-1001234"),
    ([{"message_id": 1, "text": "один"}, {"message_id": 2, "text": "два"}], "named"),
])
def test_channel_from_the_sender_id_or_the_file_name(tmp_path, records, channel):
    path = tmp_path / "named.jsonl"
    _write_lines(path, records)
    assert _kinds(path) == ["columns"]
    assert _same_as_record_by_record(path)["channel"].tolist() == [channel, channel]


@pytest.mark.parametrize("ids", [[11, 12], ["post-a", "post-b"]])
def test_plain_table_keeps_its_ids(tmp_path, ids):
    path = tmp_path / "table.jsonl"
    _write_lines(path, [{"id": ids[0], "text": "первый"}, {"id": ids[1], "text": "второй", "label": "x"}])
    assert _kinds(path) == ["columns"]
    assert _same_as_record_by_record(path)["id"].tolist() == [str(post_id) for post_id in ids]


@pytest.mark.parametrize("odd_record", [
    _post(9, message_id="709"),  # a number written as text
    _post(9, views=12.0),
    _post(9, text=None),
    _post(9, channel=""),
    _post(9, reply_to_message_id=701),  # a field only the record reader converts
    _post(9, chat_id=555),
    _post(9, date="1740816000"),  # Unix time written as text
])
def test_blocks_the_column_reader_cannot_take_are_read_record_by_record(tmp_path, odd_record):
    for records in ([_post(1), odd_record], [odd_record, _post(1)]):
        path = tmp_path / "odd.jsonl"
        _write_lines(path, records)
        assert _kinds(path) == ["records"]
        _same_as_record_by_record(path)


def test_blocks_are_taken_one_by_one(tmp_path, monkeypatch):
    monkeypatch.setattr(telethon, "JSONL_BLOCK_BYTES", 300)
    path = tmp_path / "mixed.jsonl"
    records = [_post(number) for number in range(12)]
    records[5]["reply_to_message_id"] = 701
    records[7]["text"] = "Длинное сообщение. " * 40  # a line longer than a block
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    lines.insert(9, "")  # a blank line: line numbers must not slip
    path.write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode("utf-8"))  # with a byte order mark
    kinds = _kinds(path)
    assert "columns" in kinds and "records" in kinds and kinds[0] == "columns"
    table = _same_as_record_by_record(path)
    assert table["source"].tolist()[-1] == f"{path}:13"


def test_errors_in_a_flat_block_are_the_record_readers(tmp_path):
    truncated = tmp_path / "truncated.jsonl"
    truncated.write_text(json.dumps(_post(1)) + "\n" + json.dumps(_post(2))[:30], encoding="utf-8")
    with pytest.raises(InputError, match="line 2: truncated JSON"):
        read_posts(truncated)
    not_utf8 = tmp_path / "cp1251.jsonl"
    line = json.dumps(_post(1), ensure_ascii=False).encode("utf-8")
    not_utf8.write_bytes(line + b"\n" + line[:-1] + b', "note": "' + "заметка".encode("cp1251") + b'"}\n')
    with pytest.raises(InputError, match=rf"line 2, byte {len(line) + 1 + len(line) + 10}\b.*not UTF-8"):
        read_posts(not_utf8)


def test_a_file_of_blank_lines_has_no_records(tmp_path):
    path = tmp_path / "blank.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="no records"):
        read_posts(path)
