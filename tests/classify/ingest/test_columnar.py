"""The columnar fast path gives the per-record path's table, or steps aside (same errors)."""
import json
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from classify.errors import InputError
from classify.ingest import IngestStats, read_posts
from classify.ingest.columnar import columnar_posts

FIXTURES = Path(__file__).parent / "fixtures"

RECORDS = [
    {"channel": "Вестник Севера", "sender_id": -1001234, "message_id": 10, "date": "2025-03-01T08:00:00+00:00",
     "text": "Правительство утвердило новый план развития портов, и это решение ещё обсуждают эксперты.",
     "category": "economy"},
    {"channel": "Вестник Севера", "message_id": 11, "date": "2025-03-01T09:30:15Z",
     "text": "**Правительство** утвердило новый план развития портов, и это решение еще обсуждают эксперты!",
     "views": 1200, "forwards": 3},
    {"channel": "", "sender_id": -1005555, "message_id": 12, "date": "2025-03-01T12:00:00+03:00",
     "text": "The ministry said that the talks with their partners were useful and would continue in May.",
     "extra": {"nested": [1, 2]}},
    {"channel": "Morning Wire", "message_id": 13, "date": "2025-03-02 07:05:09.250",
     "text": "Read more: [full statement](https://mfa.example/st/13) #talks #MFA www.example.org/a."},
    {"channel": "Morning Wire", "message_id": 14, "date": "2025-03-02T07:06:00.123456-02:30",
     "text": "@editor спасибо: подробности в эфире и на сайте, смотрите выпуск в 18:00 по Москве"},
    {"channel": "Morning Wire", "message_id": 15, "date": "", "text": ""},
    {"channel": "Morning Wire", "message_id": 16, "text": "👍🔥"},
    {"channel": "Morning Wire", "message_id": 17, "date": "2025-03-02T10:00:00+00:00",
     "text": "İstanbul görüşmeleri yarın devam edecek, bakanlık açıklama yaptı."},
    {"channel": "Morning Wire", "id": "mw-extra", "date": "2025-03-02T11:00:00+00:00",
     "text": "Ukraine і Польща підписали угоду про співпрацю в енергетиці."},
    {"channel": "Morning Wire", "message_id": 18, "date": "2025-03-02T12:00:00+00:00",
     "text": "READ MORE: [FULL STATEMENT](https://mfa.example/st/13) #talks #MFA www.example.org/a."},
    {"channel": "Morning Wire", "message_id": 19, "date": "2025-03-02T13:00:00+00:00",
     "text": "Минфин: доходы бюджета выросли на 4% за квартал, а расходы остались на уровне прошлого года."},
]


def _write(tmp_path, name, lines) -> Path:
    path = tmp_path / name
    path.write_text("".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) + "\n"
                            for line in lines), encoding="utf-8")
    return path


def _assert_same_table(paths, **options):
    fast_stats, exact_stats = IngestStats(), IngestStats()
    fast = read_posts(paths, stats=fast_stats, **options)
    exact = read_posts(paths, stats=exact_stats, columnar=False, **options)
    assert_frame_equal(fast, exact, check_exact=True)
    assert fast_stats == exact_stats
    return fast


def test_fast_path_gives_the_exact_table(tmp_path):
    path = _write(tmp_path, "dump.jsonl", RECORDS)
    assert columnar_posts(path) is not None  # the fast path is taken, not the fallback
    posts = _assert_same_table(path)
    assert posts["duplicate_of"].isna().iloc[0] and posts["duplicate_of"].iloc[1] == "Вестник Севера/10"
    assert posts["duplicate_of"].iloc[9] == "Morning Wire/13"
    assert posts["channel"].iloc[2] == "-1005555" and posts["id"].iloc[8] == "mw-extra"
    assert set(posts["lang"]) == {"ru", "en", "other"}


def test_plain_table_and_several_inputs(tmp_path):
    plain = _write(tmp_path, "plain.jsonl", [{"id": "a1", "text": RECORDS[0]["text"]},
                                             {"id": "7", "text": "Short one"}])
    dump = _write(tmp_path, "dump.jsonl", RECORDS)
    assert columnar_posts([plain, dump]) is not None
    posts = _assert_same_table([plain, dump])
    assert posts["duplicate_of"].iloc[2] == "a1"  # across inputs
    _assert_same_table([plain, dump], channel="named")


@pytest.mark.parametrize("fixture", ["telethon_dump.jsonl", "plain_posts.jsonl", "telethon_messages.json"])
def test_project_fixtures_same_table(fixture):
    _assert_same_table(FIXTURES / fixture)
    _assert_same_table(FIXTURES / fixture, drop_duplicates=True)


@pytest.mark.parametrize("lines", [
    [RECORDS[0], "\n", RECORDS[2]],  # a blank line: numbering by file line
    [RECORDS[0], {"channel": "x", "message_id": 2, "text": "no date", "reactions": {"👍": 2}}],
    [RECORDS[0], {"channel": "x", "message_id": 2.0, "text": "a float id"}],
    [{"id": "a", "text": "string and integer ids"}, {"id": 7, "text": "in one column"}],
    [RECORDS[0], {"channel": "x", "message_id": 3, "date": 1740816000, "text": "an epoch date"}],
    [RECORDS[0], {"channel": "x", "message_id": 4, "date": "2025-03-01T08:00:00.5+00:00", "text": "5 digits"}],
    [RECORDS[0], {"channel": True, "message_id": 5, "text": "a boolean channel"}],
    [RECORDS[0], {"channel": "x", "text": "no id: a text hash"}],
    [RECORDS[0], {"channel": "x", "message_id": 6, "text": None}],
    [RECORDS[0], {"channel": "x", "message_id": 7, "message": "Telethon's field name"}],
    ["\ufeff" + json.dumps(RECORDS[0]) + "\n"],
])
def test_unmapped_input_goes_the_exact_way(tmp_path, lines):
    path = _write(tmp_path, "odd.jsonl", lines)
    assert columnar_posts(path) is None
    _assert_same_table(path)


@pytest.mark.parametrize("bad, location", [
    ('{"channel": "x", "message_id": 2, "text": "cut', "line 2"),
    ('{"channel": "x", "message_id": 2, "text": "ok"} trailing\n', "line 2"),
    ('{"channel": "x", "message_id": 2, "text": NaN}\n', "line 2"),
    ('{"channel": "x", "message_id": 2, "date": "2025-13-01T00:00:00", "text": "bad month"}\n', "line 2"),
    ('{"channel": "x", "message_id": 2, "text": 5}\n', "line 2"),
    ('{"channel": "x", "message_id": "two", "text": "bad id"}\n', "line 2"),
])
def test_bad_line_raises_the_exact_error(tmp_path, bad, location):
    path = _write(tmp_path, "bad.jsonl", [RECORDS[0], bad])
    assert columnar_posts(path) is None
    with pytest.raises(InputError) as exact:
        read_posts(path, columnar=False)
    with pytest.raises(InputError) as fast:
        read_posts(path)
    assert str(fast.value) == str(exact.value) and location in str(fast.value)


def test_not_utf8_raises_the_exact_error(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(RECORDS[0]).encode() + b"\n" + '{"id": 1, "text": "caf\xe9"}\n'.encode("latin-1"))
    assert columnar_posts(path) is None
    with pytest.raises(InputError, match="not UTF-8") as fast:
        read_posts(path)
    with pytest.raises(InputError) as exact:
        read_posts(path, columnar=False)
    assert str(fast.value) == str(exact.value)


def test_shared_dump_same_table(shared_data):
    path = shared_data / "telegram_ru_news" / "posts.jsonl"
    assert columnar_posts(path) is not None
    _assert_same_table(path)
