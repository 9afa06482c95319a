import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from classify.errors import InputError
from classify.ingest import IngestStats, detect_format, iter_posts, read_posts
from classify.ingest import telethon

FIXTURES = Path(__file__).parent / "fixtures"
DUMP = FIXTURES / "telethon_dump.jsonl"
UTC = timezone.utc


def _read(path, **options):
    stats = options.pop("stats", None) or IngestStats()
    return list(telethon.read(path, stats=stats, **options))


def _write(tmp_path, name, data) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_dump_fields():
    first, reply, photo, repost, plain = _read(DUMP)
    assert first["links"] is None and first["hashtags"] is None  # in the text: left to the table builder
    first_completed = next(iter_posts(DUMP))
    assert (first["channel"], first["message_id"]) == ("Северный вестник", 501)
    assert first["date"] == datetime(2025, 2, 3, 8, 15, tzinfo=UTC)
    assert first["text"].startswith("**Порт Мурманск** принял")  # markdown kept as written
    assert first_completed["links"] == ["https://vestnik.example/news/501", "https://vestnik.example/review"]
    assert first_completed["hashtags"] == ["#Арктика", "#экономика"]
    assert (first["views"], first["forwards"]) == (15200, 41)
    assert (first["reactions"], first["reactions_by_emoji"]) == (135, {"👍": 120, "🔥": 15})
    assert first["source"] == f"{DUMP}:1"
    assert "id" not in first  # the table builder makes '<channel>/<message_id>'
    assert reply["date"] == datetime(2025, 2, 3, 9, 40, 12, tzinfo=UTC)  # "Z" suffix
    assert reply["reply_to_message_id"] == 501
    assert reply["edited"] == datetime(2025, 2, 3, 10, 0, tzinfo=UTC)
    assert (photo["text"], photo["has_media"], photo["media_type"]) == ("", True, "photo")
    assert repost["forwarded_from"] == "Северный вестник"
    assert repost["source"] == f"{DUMP}:5"  # the blank line 4 is skipped, numbering is by file line
    assert plain["views"] == 2100 and plain["reactions"] is None


def test_telethon_to_dict_json_list():
    statement, reply = _read(FIXTURES / "telethon_messages.json")
    assert (statement["channel"], statement["message_id"]) == ("1555666777", 9001)
    assert statement["text"].startswith("Ministry statement")
    assert statement["forwarded_from"] == "1444555666"
    assert statement["reactions_by_emoji"] == {"👍": 30, "custom:5368324170671202286": 4, "paid": 2}
    assert statement["reactions"] == 36
    assert (statement["has_media"], statement["media_type"]) == (True, "photo")
    assert statement["source"].endswith("telethon_messages.json#0")
    assert reply["reply_to_message_id"] == 9001 and reply["has_media"] is False


def test_plain_tables_keep_their_ids():
    csv_posts = _read(FIXTURES / "plain_posts.csv")
    assert [p["id"] for p in csv_posts] == ["a-1", "a-2", "a-3"]
    assert csv_posts[1]["text"] == ("The delegation visited Svalbard to discuss fisheries and scientific cooperation."
                                    "\n\nTalks will continue in April.")
    assert [p["channel"] for p in csv_posts] == ["press", "press", "digest"]
    assert [p["source"].rsplit(":", 1)[1] for p in csv_posts] == ["2", "3", "6"]
    jsonl_posts = _read(FIXTURES / "plain_posts.jsonl")
    assert [p["id"] for p in jsonl_posts] == ["q17", "18"]
    assert jsonl_posts[0]["channel"] == "plain_posts"  # file name when the table has no channel


def test_layout_detection():
    assert detect_format(DUMP) == "telethon"
    assert detect_format(FIXTURES / "telethon_messages.json") == "telethon"
    assert detect_format(FIXTURES / "plain_posts.csv") == "table"
    assert detect_format(FIXTURES / "plain_posts.jsonl") == "table"


def test_forced_table_layout_keeps_message_ids_out_of_the_id(tmp_path):
    path = _write(tmp_path, "t.jsonl", '{"id": "x1", "message_id": 5, "text": "Talks in Oslo on fisheries quotas."}\n')
    [post] = _read(path, layout="table")
    assert post["id"] == "x1" and post["message_id"] is None


def test_tsv_is_read_with_tabs(tmp_path):
    path = _write(tmp_path, "posts.tsv", "id\ttext\n1\tГуманитарный конвой прибыл в город, распределение помощи начнётся завтра.\n")
    [post] = _read(path)
    assert post["id"] == "1" and post["text"].startswith("Гуманитарный конвой")


# --- bad input ---------------------------------------------------------------

def test_truncated_last_line_names_the_line(tmp_path):
    path = _write(tmp_path, "cut.jsonl", DUMP.read_text(encoding="utf-8").split("\n")[0] + "\n"
                  + '{"channel": "X", "message_id": 9, "text": "Пере')
    with pytest.raises(InputError) as error:
        _read(path)
    assert str(error.value).startswith(f"{path}: line 2: truncated JSON")


def test_invalid_json_line_names_the_line_and_can_be_skipped(tmp_path):
    lines = DUMP.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1].replace('"views": 9100,', '"views": 9100,,')
    path = _write(tmp_path, "bad.jsonl", "\n".join(lines))
    with pytest.raises(InputError, match=r"bad\.jsonl: line 2: invalid JSON"):
        _read(path)
    stats = IngestStats()
    posts = _read(path, skip_bad=True, stats=stats)
    assert [p["message_id"] for p in posts] == [501, 503, 77, 78]
    assert stats.skipped == [(f"{path}: line 2", stats.skipped[0][1])]
    assert "1 records skipped: 1 x invalid JSON" in stats.summary()


def test_cp1251_bytes_are_an_error_with_line_and_byte_offset(tmp_path):
    first = '{"id": 1, "text": "Talks in Oslo."}\n'
    path = _write(tmp_path, "cp1251.jsonl", first.encode() + '{"id": 2, "text": "Переговоры"}\n'.encode("cp1251"))
    with pytest.raises(InputError) as error:
        _read(path, skip_bad=True)  # an encoding problem is the whole file's: never skipped
    message = str(error.value)
    assert f"{path}: line 2, byte {len(first) + 19}" in message and "not UTF-8" in message


def test_cp1251_csv_is_an_error_with_line_and_byte_offset(tmp_path):
    path = _write(tmp_path, "cp1251.csv", b"id,text\n" + "1,Переговоры в Осло\n".encode("cp1251"))
    with pytest.raises(InputError, match=r"cp1251\.csv: line 2, byte 10: not UTF-8"):
        _read(path)


def test_csv_without_text_column_names_the_columns_found(tmp_path):
    path = _write(tmp_path, "notext.csv", "id,body,channel\n1,Переговоры,press\n")
    with pytest.raises(InputError) as error:
        _read(path)
    assert "no 'text' column (columns found: id, body, channel)" in str(error.value)


def test_csv_row_with_wrong_field_count(tmp_path):
    path = _write(tmp_path, "short.csv", "id,text,channel\n1,Переговоры в Осло,press\n2\n")
    with pytest.raises(InputError, match=r"short\.csv: line 3: 1 fields where the header has 3"):
        _read(path)
    assert [p["id"] for p in _read(path, skip_bad=True)] == ["1"]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_files_are_errors(tmp_path, content):
    path = _write(tmp_path, "empty.jsonl", content)
    with pytest.raises(InputError, match="empty file"):
        _read(path)


def test_empty_csv_and_json_list(tmp_path):
    with pytest.raises(InputError, match="empty file"):
        _read(_write(tmp_path, "header_only.csv", "id,text\n"))
    with pytest.raises(InputError, match="empty file"):
        _read(_write(tmp_path, "none.json", "[]"))


def test_record_without_text(tmp_path):
    path = _write(tmp_path, "notext.jsonl", '{"id": 1, "text": "Talks in Oslo."}\n{"id": 2, "body": "x"}\n')
    with pytest.raises(InputError, match=r"line 2: no 'text' field \(fields: id, body\)"):
        _read(path)
    assert len(_read(path, skip_bad=True)) == 1


@pytest.mark.parametrize("field, value, problem", [
    ("date", '"yesterday"', "date is not a date"),
    ("views", '"many"', "views is not an integer"),
    ("message_id", "1.5", "message_id is not an integer"),
    ("text", "42", "text is not a string"),
    ("reactions", '"lots"', "reactions not understood"),
])
def test_bad_values_name_the_line(tmp_path, field, value, problem):
    record = {"channel": '"c"', "message_id": "1", "date": '"2025-01-01T00:00:00+00:00"', "text": '"Переговоры"'}
    record[field] = value
    path = _write(tmp_path, "bad.jsonl", "{" + ", ".join(f'"{k}": {v}' for k, v in record.items()) + "}\n")
    with pytest.raises(InputError, match=rf"bad\.jsonl: line 1: {problem}"):
        _read(path)


def test_json_list_errors(tmp_path):
    truncated = _write(tmp_path, "cut.json", '[{"id": 1, "text": "Talks in Oslo."}, {"id": 2, "te')
    with pytest.raises(InputError, match=r"cut\.json: byte \d+ or before: truncated JSON"):
        _read(truncated)
    not_object = _write(tmp_path, "list.json", '[{"id": 1, "text": "Talks in Oslo."}, "just a string"]')
    with pytest.raises(InputError, match=r"list\.json: record 1: expected an object"):
        _read(not_object)


def test_table_builder_ids_and_duplicates_for_a_dump():
    posts = read_posts(DUMP)
    assert posts["id"].tolist() == ["Северный вестник/501", "Северный вестник/502", "Северный вестник/503",
                                    "Деловая сводка/77", "Деловая сводка/78"]
    # the repost differs only by markdown: the same normalised text
    assert posts["duplicate_of"].tolist()[3] == "Северный вестник/501"
    assert posts["lang"].tolist() == ["ru", "en", "other", "ru", "ru"]


def test_layout_of_a_first_record_longer_than_the_sniffed_head(tmp_path):
    long_text = "Переговоры в Осло. " * 5000  # ~100 KB, more than the 64 KiB head
    path = _write(tmp_path, "long.json", f'[{{"message_id": 7, "channel": "c", "text": "{long_text}"}}]')
    assert detect_format(path) == "telethon"
    assert read_posts(path)["id"].tolist() == ["c/7"]


def test_bare_records_read_like_records_with_empty_optional_fields(tmp_path):
    bare = {"channel": "Северный вестник", "message_id": 7, "date": "2025-02-03T08:15:00+00:00",
            "text": "Порт принял первый конвой сезона #Арктика https://port.example/news/7", "category": "news"}
    spelt_out = dict(bare, forwarded_from=None, reply_to_msg_id=None, edit_date=None, reactions=None, views="",
                     forwards=None, media=None, media_type=None, has_media=None)
    path = _write(tmp_path, "dump.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in (bare, spelt_out)))
    first, second = _read(path)
    assert first["source"].endswith("dump.jsonl:1") and second["source"].endswith("dump.jsonl:2")
    assert {**first, "source": None} == {**second, "source": None}
    completed = next(iter_posts(path))
    assert completed["links"] == ["https://port.example/news/7"] and completed["hashtags"] == ["#Арктика"]
    assert first["has_media"] is False and first["views"] is None and first["edited"] is None


def test_json_list_with_a_byte_order_mark(tmp_path):
    path = _write(tmp_path, "bom.json", b"\xef\xbb\xbf" + '[\n{"id": 1, "text": "Переговоры в Осло."}\n]\n'.encode())
    assert detect_format(path) == "table"
    assert [post["text"] for post in _read(path)] == ["Переговоры в Осло."]
    broken = _write(tmp_path, "broken.json", b"\xef\xbb\xbf[{\"id\": 1,, \"text\": \"x\"}]")
    with pytest.raises(InputError, match=r"broken\.json: byte \d+ or before: .* before the first record"):
        _read(broken)


def test_semicolon_separated_csv_as_spreadsheets_save_it(tmp_path):
    path = _write(tmp_path, "excel.csv", b"\xef\xbb\xbf" + 'id;text;date\r\n1;"Переговоры; итоги";2025-01-01\r\n'
                  '2;"Вторая\r\nстрока";2025-01-02\r\n'.encode())
    posts = _read(path)
    assert [(p["id"], p["text"]) for p in posts] == [("1", "Переговоры; итоги"), ("2", "Вторая\r\nстрока")]
    assert posts[1]["date"] == datetime(2025, 1, 2, tzinfo=UTC)
    assert [p["id"] for p in _read(_write(tmp_path, "commas.csv", 'id,text\n1,"a; b; c"\n'))] == ["1"]


def test_telethon_text_url_entities_give_their_links(tmp_path):
    record = {"_": "Message", "id": 9005, "peer_id": {"_": "PeerChannel", "channel_id": 1555666777},
              "date": "2025-03-02T06:00:00+00:00",
              "message": "Full statement on the website, mirror: https://mirror.example/9005 #diplomacy",
              "entities": [{"_": "MessageEntityTextUrl", "offset": 15, "length": 11, "url": "https://mfa.example/9005"},
                           {"_": "MessageEntityUrl", "offset": 39, "length": 27},
                           {"_": "MessageEntityHashtag", "offset": 67, "length": 10}]}
    [post] = _read(_write(tmp_path, "dump.jsonl", json.dumps(record) + "\n"))
    assert post["links"] == ["https://mirror.example/9005", "https://mfa.example/9005"]
    assert post["hashtags"] == ["#diplomacy"]
    assert post["text"] == record["message"]


def test_unix_time_written_as_text_is_a_date(tmp_path):
    path = _write(tmp_path, "epoch.csv", "id,text,date,edit_date\n1,Переговоры в Осло.,1714554000, 1714557600\n")
    [post] = _read(path)
    assert post["date"] == datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    assert post["edited"] == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    with pytest.raises(InputError, match="date is not a date: '17145540'"):
        _read(_write(tmp_path, "short.csv", "id,text,date\n1,Переговоры в Осло.,17145540\n"))


def test_csv_header_names_with_spaces_after_the_commas(tmp_path):
    [post] = _read(_write(tmp_path, "spaced.csv", "id, text, date\n7,Переговоры в Осло.,2025-01-01\n"))
    assert (post["id"], post["text"], post["date"]) == ("7", "Переговоры в Осло.", datetime(2025, 1, 1, tzinfo=UTC))
    dump = _write(tmp_path, "dump.csv", "channel, message_id, text\nВестник,501,Переговоры в Осло.\n")
    assert detect_format(dump) == "telethon"
    assert read_posts(dump)["id"].tolist() == ["Вестник/501"]


def test_csv_quote_left_open_is_an_error_not_one_field_holding_the_rest(tmp_path):
    path = _write(tmp_path, "open.csv", 'id,text\n1,"Переговоры"\n2,"Встреча в Осло\n3,Визит\n4,Итоги\n')
    with pytest.raises(InputError, match=r"open\.csv: line 3: unreadable CSV \(unexpected end of data\)"):
        _read(path)
    quoted = _write(tmp_path, "quoted.csv", 'id,text\n1,Он сказал "да" вчера\n2,"Две\nстроки"\n')
    assert [p["text"] for p in _read(quoted)] == ['Он сказал "да" вчера', "Две\nстроки"]


def test_a_link_preview_is_not_media_as_in_desktop_exports(tmp_path):
    """Telegram Desktop exports do not mark a link preview as media; a dump of the same post must not either."""
    base = {"channel": "Вестник", "date": "2025-03-02T06:00:00+00:00",
            "text": "Заявление министерства: https://mfa.example/statements/12"}
    previews = [{"media_type": "webpage"}, {"media_type": "web_page"}, {"media_type": "MessageMediaWebPage"},
                {"media": {"_": "MessageMediaWebPage", "webpage": {"_": "WebPage", "id": 5,
                                                                   "url": "https://mfa.example/statements/12"}}},
                {"media": {"_": "MessageMediaWebPage", "webpage": {"_": "WebPagePending", "id": 6}}},
                {"media": "MessageMediaWebPage"}, {"media": "MessageMediaType.WEB_PAGE"},  # str() of Pyrogram's enum
                {"media_type": "webpage", "has_media": True}, {"media_type": "webpage", "has_media": "true"}]
    media = [({"media_type": "photo"}, "photo"), ({"media": {"_": "MessageMediaPhoto"}}, "photo"),
             ({"media": {"_": "MessageMediaDocument", "video": True}}, "document"),
             ({"media": {"_": "MessageMediaPoll"}}, "poll"), ({"media": {"_": "MessageMediaGeo"}}, "geo"),
             ({"media": "MessageMediaType.VIDEO"}, "MessageMediaType.VIDEO"), ({"has_media": True}, None)]
    records = [dict(base, message_id=number, **extra)
               for number, extra in enumerate(previews + [extra for extra, _ in media], start=1)]
    path = _write(tmp_path, "dump.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    posts = list(iter_posts(path))
    assert [(p["has_media"], p["media_type"]) for p in posts[: len(previews)]] == [(False, None)] * len(previews)
    assert [(p["has_media"], p["media_type"]) for p in posts[len(previews):]] == [(True, kind) for _, kind in media]
    assert all(p["links"] == ["https://mfa.example/statements/12"] for p in posts)

    table = _write(tmp_path, "posts.csv", "id,text,has_media,media_type\n"
                   "1,Заявление: https://mfa.example/statements/12,true,webpage\n2,Фото дня,true,photo\n")
    preview, photo = iter_posts(table)
    assert (preview["has_media"], preview["media_type"], preview["links"]) == (
        False, None, ["https://mfa.example/statements/12"])
    assert (photo["has_media"], photo["media_type"]) == (True, "photo")


def test_telethon_service_messages_are_counted_not_refused(tmp_path):
    records = [
        {"_": "Message", "id": 7, "peer_id": {"_": "PeerChannel", "channel_id": 1777000111},
         "date": "2025-03-01T10:00:00+00:00", "message": "Делегация прибыла в Минск."},
        {"_": "MessageService", "id": 8, "peer_id": {"_": "PeerChannel", "channel_id": 1777000111},
         "date": "2025-03-01T10:05:00+00:00", "action": {"_": "MessageActionPinMessage"}},
    ]
    path = _write(tmp_path, "service.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    stats = IngestStats()
    posts = _read(path, stats=stats)
    assert [post["message_id"] for post in posts] == [7]
    assert stats.service_messages == 1


def test_group_dump_posts_belong_to_the_chat_not_to_their_authors(tmp_path):
    records = [{"_": "Message", "id": n, "peer_id": {"_": "PeerChat", "chat_id": 555},
                "from_id": {"_": "PeerUser", "user_id": author}, "sender_id": author,
                "date": "2025-03-01T10:00:00+00:00", "message": f"Сообщение {n}"}
               for n, author in ((1, 111), (2, 222))]
    path = _write(tmp_path, "group.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    assert [post["channel"] for post in _read(path)] == ["555", "555"]


def test_a_reply_to_another_chat_is_not_a_reply_to_this_chat_s_message(tmp_path):
    header = {"_": "MessageReplyHeader", "reply_to_msg_id": 3}
    records = [{"_": "Message", "id": n, "peer_id": {"_": "PeerChannel", "channel_id": 1777000111},
                "date": "2025-03-01T10:00:00+00:00", "message": f"Ответ {n}", "reply_to": reply}
               for n, reply in ((4, header), (5, {**header, "reply_to_peer_id": {"_": "PeerChannel",
                                                                                 "channel_id": 1999000222}}))]
    path = _write(tmp_path, "replies.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    assert [post["reply_to_message_id"] for post in _read(path)] == [3, None]


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_table_with_ids_of_its_own_beside_message_ids_keeps_its_ids(tmp_path, suffix):
    rows = [{"id": f"case-{n}", "channel": "mfa_borelia", "message_id": n, "date": "2025-03-01T10:00:00+00:00",
             "text": f"Посол вызван в МИД: сообщение {n}."} for n in (5, 6)]
    if suffix == "jsonl":
        data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        data = "id,channel,message_id,date,text\n" + "".join(
            f"{row['id']},{row['channel']},{row['message_id']},{row['date']},{row['text']}\n" for row in rows)
    path = _write(tmp_path, f"cases.{suffix}", data)
    posts = read_posts(path)  # JSON lines as Arrow columns
    assert [post["id"] for post in _read(path)] == ["case-5", "case-6"]  # record by record
    assert posts["id"].tolist() == ["case-5", "case-6"]
    assert posts["message_id"].tolist() == [5, 6]
