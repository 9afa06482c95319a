import importlib.util
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from classify.errors import InputError
from classify.ingest import _desktop_json_stream as stream
from classify.ingest import desktop_json
from classify.ingest import iter_posts
from classify.ingest._base import IngestStats
from classify.ingest.schema import POST_COLUMN_NAMES

FIXTURES = Path(__file__).parent / "fixtures"
SINGLE = FIXTURES / "desktop_json_single" / "result.json"
ACCOUNT = FIXTURES / "desktop_json_account" / "result.json"
CHANNEL = "МИД Велории / MFA of Veloria"
REPO = Path(__file__).resolve().parents[3]


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def read(path, **options):
    stats = IngestStats()
    posts = list(desktop_json.read(path, stats=stats, **options))
    return posts, stats


@pytest.fixture(scope="module")
def single():
    posts, stats = read(SINGLE)
    return {post["message_id"]: post for post in posts}, stats


def write_variant(tmp_path, mutate, name="result.json"):
    data = json.loads(SINGLE.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def test_sniff_accepts_both_layouts_and_rejects_other_json():
    assert desktop_json.sniff(SINGLE, SINGLE.read_bytes()[:65536])
    assert desktop_json.sniff(ACCOUNT, ACCOUNT.read_bytes()[:65536])
    assert not desktop_json.sniff(Path("x.json"), b'[{"message_id": 1, "text": "hi"}]')
    assert not desktop_json.sniff(Path("x.jsonl"), b'{"id": 1, "text": "hi"}\n{"id": 2, "text": "ho"}\n')
    assert not desktop_json.sniff(Path("x.json"), b'{"about": "something", "items": []}')


def test_every_message_is_a_post_except_service_messages(single):
    posts, stats = single
    assert sorted(posts) == [2, 3, 4, 5, 6, 8, 9, 10, 11, 12]
    assert stats.service_messages == 2
    assert stats.skipped == []
    for post in posts.values():
        assert set(post) == set(POST_COLUMN_NAMES) - {"id", "lang", "duplicate_of"} | {"chat_id"}
        assert post["channel"] == CHANNEL and post["chat_id"] == 1870001234


def test_entities_are_flattened_to_the_exact_text(single):
    posts, _ = single
    assert posts[3]["text"] == (
        "Брифинг официального представителя МИД\n\nСанкции против Велории неэффективны, заявила "
        "Анна Соколова. Черновик Визит в Мерению 🕊\nПолный текст: на сайте, зеркало: "
        "https://veloria.example/press/118\n#брифинг #Veloria $VLR @mfa_veloria /subscribe\n"
        "Аккредитация: press@mfa.veloria.example, +00 495 000-00-00, карта 0000 0000 0000 0000\n"
        "ref 2024/118\nПункт 1.\nПункт 2.\nМы открыты к диалогу."
    )
    assert posts[3]["links"] == ["https://mfa.veloria.example/ru/briefing/2024-03-01",
                                 "https://veloria.example/press/118"]
    assert posts[3]["hashtags"] == ["#брифинг", "#Veloria"]
    assert posts[11]["text"] == "Видео: брифинг целиком / full briefing video"
    plain = next(post for post in iter_posts(SINGLE) if post["message_id"] == 2)  # text a string: scanned
    assert plain["links"] == [] and plain["hashtags"] == []


def test_text_entities_are_used_when_text_is_absent(single):
    posts, _ = single
    assert posts[10]["text"] == "Minister Karel Ivo met the Ambassador of Merenia. #diplomacy"
    assert posts[10]["hashtags"] == ["#diplomacy"]


def test_plain_string_text_still_yields_links_and_hashtags(tmp_path):
    def mutate(data):
        data["messages"][1]["text"] = "Details: https://mfa.veloria.example/a/1. #Veloria"
        del data["messages"][1]["text_entities"]
    path = write_variant(tmp_path, mutate)
    posts, _ = read(path)
    assert posts[0]["links"] is None and posts[0]["hashtags"] is None  # left to the table builder
    completed = list(iter_posts(path))
    assert completed[0]["links"] == ["https://mfa.veloria.example/a/1"]
    assert completed[0]["hashtags"] == ["#Veloria"]


def test_dates_come_from_unixtime_in_utc_not_the_local_date_string(single):
    posts, _ = single
    # "date" says 11:00 (the exporter's local time, UTC+3); date_unixtime is 08:00 UTC
    assert posts[2]["date"] == utc(2024, 3, 1, 8, 0, 0)
    assert posts[2]["date"].tzinfo is not None


def test_local_date_string_is_the_fallback_when_unixtime_is_missing(tmp_path):
    def mutate(data):
        del data["messages"][1]["date_unixtime"]
    posts, _ = read(write_variant(tmp_path, mutate))
    assert posts[0]["date"] == utc(2024, 3, 1, 11, 0, 0)


def test_edited_time_in_utc(single):
    posts, _ = single
    assert posts[3]["edited"] == utc(2024, 3, 1, 11, 20, 0)
    assert posts[2]["edited"] is None


def test_reactions_total_and_per_emoji(single):
    posts, _ = single
    assert posts[3]["reactions"] == 184
    assert posts[3]["reactions_by_emoji"] == {"👍": 120, "❤": 45, "custom:5368324170671202286": 12, "paid": 7}
    assert posts[4]["reactions"] == 31 and posts[4]["reactions_by_emoji"] == {"🔥": 31}
    assert posts[2]["reactions"] is None and posts[2]["reactions_by_emoji"] is None


def test_media_only_posts_are_kept_with_empty_text(single):
    posts, _ = single
    assert (posts[4]["text"], posts[4]["has_media"], posts[4]["media_type"]) == ("", True, "photo")
    assert (posts[8]["text"], posts[8]["media_type"]) == ("", "sticker")
    assert (posts[9]["text"], posts[9]["media_type"]) == ("", "poll")
    assert posts[11]["has_media"] and posts[11]["media_type"] == "video_file"
    assert posts[2]["has_media"] is False and posts[2]["media_type"] is None


def test_forwarded_and_replies(single):
    posts, _ = single
    assert posts[5]["forwarded_from"] == "Посольство Велории в Осталии"
    assert posts[5]["text"].endswith("The Embassy reminds travellers of the new entry rules.")
    assert posts[2]["forwarded_from"] is None
    assert posts[6]["reply_to_message_id"] == 3
    assert posts[12]["reply_to_message_id"] is None  # the replied message is in another chat


def test_views_are_kept_when_present(tmp_path, single):
    posts, _ = single
    assert posts[2]["views"] is None

    def mutate(data):
        data["messages"][1]["views"] = 1500
    variant, _ = read(write_variant(tmp_path, mutate))
    assert variant[0]["views"] == 1500


def test_source_names_file_and_message_position(single):
    posts, _ = single
    assert posts[2]["source"] == f"{SINGLE}#1"
    assert posts[12]["source"] == f"{SINGLE}#11"


def test_full_account_export_reads_channels_by_default():
    posts, stats = read(ACCOUNT)
    assert [(p["channel"], p["message_id"]) for p in posts] == [
        (CHANNEL, 40), (CHANNEL, 41), ("Velorian Archive", 2)]
    assert stats.service_messages == 1
    assert posts[2]["source"] == f"{ACCOUNT}#chat3/1"
    assert stats.chats_left_out == {"public_supergroup": 1, "personal_chat": 1}
    assert "2 chats left out by chat type (personal_chat 1, public_supergroup 1)" in stats.summary()


def test_full_account_export_all_chats_or_chosen_types():
    posts, stats = read(ACCOUNT, chat_types="all")
    assert [(p["channel"], p["message_id"]) for p in posts] == [
        (CHANNEL, 40), (CHANNEL, 41), ("Клуб дипломатов", 901), ("Ivan Petrov", 5), ("Velorian Archive", 2)]
    assert stats.service_messages == 2
    groups, _ = read(ACCOUNT, include_chats={"public_supergroup"})
    assert [(p["channel"], p["message_id"]) for p in groups] == [("Клуб дипломатов", 901)]


def test_single_chat_export_is_read_whatever_its_type(tmp_path):
    def mutate(data):
        data["type"] = "private_supergroup"
    path = write_variant(tmp_path, mutate)
    assert len(read(path)[0]) == 10
    assert len(read(path, chat_types="channels")[0]) == 10


def test_unknown_option_is_refused():
    with pytest.raises(TypeError, match="encodingg"):
        read(SINGLE, encodingg="utf-8")


def test_truncated_json_names_the_file_and_byte_offset(tmp_path):
    data = SINGLE.read_bytes()
    cut = data.index(b'"id": 6') + 3
    path = tmp_path / "result.json"
    path.write_bytes(data[:cut])
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.path == str(path)
    assert info.value.location == f"byte {cut}"
    assert "truncated" in str(info.value)


def test_invalid_json_names_the_byte_offset(tmp_path):
    data = SINGLE.read_bytes()
    broken = data.index(b'"type": "message"', data.index(b'"id": 9'))
    path = tmp_path / "result.json"
    path.write_bytes(data[:broken] + b"," + data[broken:])
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.location == f"byte {broken}"
    assert "invalid JSON" in str(info.value)


def test_invalid_json_offset_in_a_later_chunk(tmp_path):
    big = json.loads(SINGLE.read_text(encoding="utf-8"))
    filler = big["messages"][1]
    big["messages"] = [dict(filler, id=i) for i in range(2, 3000)]
    data = json.dumps(big, ensure_ascii=False, indent=1).encode("utf-8")
    broken = data.index(b'"id": 2500')
    path = tmp_path / "result.json"
    path.write_bytes(data[:broken] + b"@" + data[broken:])
    assert broken > 256 * 1024
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.location == f"byte {broken}"


@pytest.mark.parametrize("content", [b"", b"  \n "])
def test_empty_file(tmp_path, content):
    path = tmp_path / "result.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match="empty file"):
        read(path)


@pytest.mark.parametrize("content", [b'{"posts": [{"id": 1}]}', b'[{"id": 1, "text": "x"}]', b'"text"'])
def test_json_that_is_not_an_export(tmp_path, content):
    path = tmp_path / "data.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match="not a Telegram Desktop export") as info:
        read(path)
    assert info.value.path == str(path)


@pytest.mark.parametrize("mutate, reason", [
    (lambda m: m.pop("id"), "missing message id"),
    (lambda m: m.update(date_unixtime="yesterday"), "bad date"),
    (lambda m: m.update(text=42), "text must be a string or a list"),
    (lambda m: m.update(text=["ok", {"type": "bold"}]), "text part must be"),
    (lambda m: m.update(reactions=[{"type": "emoji", "emoji": "👍"}]), "malformed reactions"),
])
def test_malformed_message_is_an_error_naming_chat_and_position(tmp_path, mutate, reason):
    path = write_variant(tmp_path, lambda data: mutate(data["messages"][5]))
    with pytest.raises(InputError, match=reason) as info:
        read(path)
    assert info.value.location.startswith(f"chat {CHANNEL!r}, message #5")


def test_malformed_messages_are_skipped_and_recorded_with_skip_bad(tmp_path):
    def mutate(data):
        data["messages"][5]["date_unixtime"] = "soon"
        data["messages"][8].pop("id")
        data["messages"].append("not a message")
    posts, stats = read(write_variant(tmp_path, mutate), skip_bad=True)
    assert sorted(p["message_id"] for p in posts) == [2, 3, 4, 5, 8, 10, 11, 12]
    assert [reason for _, reason in stats.skipped] == [
        "bad date (date_unixtime='soon', date='2024-03-02T14:46:40')", "missing message id",
        "message is not an object"]
    assert "message #5 (id 6)" in stats.skipped[0][0]


def test_unsupported_messages_are_recorded_not_raised(tmp_path):
    def mutate(data):
        data["messages"].insert(2, {"id": 99, "type": "unsupported"})
    posts, stats = read(write_variant(tmp_path, mutate))
    assert len(posts) == 10
    assert len(stats.skipped) == 1 and "id 99" in stats.skipped[0][0]


def _generator():
    spec = importlib.util.spec_from_file_location("make_desktop_export", REPO / "benchmarks" / "make_desktop_export.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("account", [False, True])
def test_benchmark_generator_output_reads_back_with_expected_counts(tmp_path, account):
    make = _generator()
    path = tmp_path / "result.json"
    counts = make.make_export(path, size_mb=0.3, seed=7, account=account)
    assert path.stat().st_size == counts["bytes"]
    posts, stats = read(path)
    assert len(posts) == counts["channel_posts"] > 100
    assert stats.skipped == []
    if not account:
        assert len(posts) + stats.service_messages == counts["messages"]
    assert any(p["reactions_by_emoji"] for p in posts) and any(p["forwarded_from"] for p in posts)
    assert any(p["has_media"] and p["text"] == "" for p in posts)
    again = tmp_path / "again.json"
    make.make_export(again, size_mb=0.3, seed=7, account=account)
    assert again.read_bytes() == path.read_bytes()


def test_invalid_json_near_the_start_of_the_file(tmp_path):
    path = tmp_path / "result.json"
    path.write_bytes(b'{\n "name": @"x", "messages": []}')
    with pytest.raises(InputError) as info:
        read(path)
    assert info.value.location == "byte 11"


@pytest.mark.parametrize("backend", ["yajl2_c", "python"])
def test_ijson_alone_gives_the_same_posts(monkeypatch, single, backend):
    import ijson

    monkeypatch.setattr(stream, "orjson", None)
    monkeypatch.setattr(stream, "backend", lambda: ijson.get_backend(backend))
    posts, stats = read(SINGLE)
    assert {p["message_id"]: p for p in posts} == single[0]
    assert stats.service_messages == single[1].service_messages
    account, _ = read(ACCOUNT)
    assert [p["message_id"] for p in account] == [40, 41, 2]


@pytest.mark.parametrize("indent", [None, 1, 2])
def test_account_export_in_other_json_layouts_gives_the_same_posts(tmp_path, indent):
    data = json.loads(ACCOUNT.read_text(encoding="utf-8"))
    data["chats"]["list"].insert(1, {"name": "Пустой канал", "type": "private_channel", "id": 7, "messages": []})
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=indent), encoding="utf-8")
    expected, expected_stats = read(ACCOUNT, chat_types="all")
    posts, stats = read(path, chat_types="all")
    for post in expected:  # the empty chat inserted at position 1 shifts the later chats by one
        chat, _, position = post["source"].rpartition("#chat")[2].partition("/")
        post["source"] = f"{path}#chat{int(chat) + (int(chat) >= 1)}/{position}"
    assert posts == expected
    assert stats.service_messages == expected_stats.service_messages
    assert read(path)[1].chats_left_out == {"public_supergroup": 1, "personal_chat": 1}


def test_truncated_account_export_names_the_end_of_the_file(tmp_path):
    data = ACCOUNT.read_bytes()
    # inside a skipped chat, inside a read chat, after the last chat
    for cut in (data.index("Кто идёт".encode()), data.index("Архивная".encode()), len(data) - 5):
        path = tmp_path / "result.json"
        path.write_bytes(data[:cut])
        with pytest.raises(InputError, match="truncated") as info:
            read(path)
        assert info.value.location == f"byte {cut}"


@pytest.mark.parametrize("indent", [None, 2, 4])
def test_single_chat_export_in_other_json_layouts_gives_the_same_posts(tmp_path, indent, single):
    path = tmp_path / "result.json"
    path.write_text(json.dumps(json.loads(SINGLE.read_text(encoding="utf-8")), ensure_ascii=False, indent=indent),
                    encoding="utf-8")
    posts, stats = read(path)
    expected = {key: dict(post, source=post["source"].replace(str(SINGLE), str(path)))
                for key, post in single[0].items()}
    assert {p["message_id"]: p for p in posts} == expected
    assert stats.service_messages == 2


def test_fast_path_hands_over_to_ijson_without_losing_or_repeating_messages(monkeypatch, single):
    import orjson

    class FailsOnFifthMessage:
        JSONDecodeError = orjson.JSONDecodeError
        calls = 0

        def loads(self, data):
            self.calls += 1
            if self.calls == 5:
                raise orjson.JSONDecodeError("refused", "", 0)
            return orjson.loads(data)

    flaky = FailsOnFifthMessage()
    monkeypatch.setattr(stream, "orjson", flaky)
    posts, stats = read(SINGLE)
    assert flaky.calls == 5
    assert {p["message_id"]: p for p in posts} == single[0]
    assert stats.service_messages == 2


@pytest.mark.parametrize("fixture", [SINGLE, ACCOUNT])
def test_windows_line_endings_are_read_too(tmp_path, fixture):
    path = tmp_path / "result.json"
    path.write_bytes(fixture.read_bytes().replace(b"\n", b"\r\n"))
    posts, _ = read(path)
    expected, _ = read(fixture)
    assert [p["text"] for p in posts] == [p["text"] for p in expected]


def test_missing_file_or_a_folder(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "result.json")
    with pytest.raises(InputError, match="not a file"):
        read(tmp_path)


def test_account_export_chats_with_other_keys_and_key_order(tmp_path):
    data = json.loads(ACCOUNT.read_text(encoding="utf-8"))
    channel = data["chats"]["list"][0]
    data["chats"]["list"][0] = {"id": channel["id"], "type": channel["type"], "topics": {"enabled": False},
                                "name": channel["name"], "messages": channel["messages"]}
    path = tmp_path / "result.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    posts, _ = read(path)
    assert [(p["channel"], p["message_id"]) for p in posts] == [
        (CHANNEL, 40), (CHANNEL, 41), ("Velorian Archive", 2)]


def test_control_characters_written_as_tdesktop_x_escapes_are_read(tmp_path):
    # Telegram Desktop writes control characters as "\xHH", which is not JSON (tdesktop issue 27571)
    def mutate(data):
        data["messages"][1]["text"] = "Заявление\u000bМИД \\x41 \u0001"

    path = write_variant(tmp_path, mutate)
    raw = path.read_bytes()
    for control in (b"0b", b"01"):
        raw = raw.replace(b"\\u00" + control, b"\\x" + control.upper())
    path.write_bytes(raw)
    assert b"\\x0B" in raw and b"\\\\x41" in raw
    posts, _ = read(path)
    assert posts[0]["text"] == "Заявление\u000bМИД \\x41 \u0001"
    assert len(posts) == 10
    account = json.loads(ACCOUNT.read_text(encoding="utf-8"))
    account["chats"]["list"][0]["name"] = "Канал\u001f"
    account["chats"]["list"][0]["messages"][0]["text"] = "Министр\u000b"
    path = tmp_path / "account.json"
    path.write_bytes(json.dumps(account, ensure_ascii=False, indent=1).encode().replace(b"\\u001f", b"\\x1F")
                     .replace(b"\\u000b", b"\\x0B"))
    posts, _ = read(path)
    assert (posts[0]["channel"], posts[0]["text"]) == ("Канал\u001f", "Министр\u000b")


@pytest.mark.parametrize("backend", ["yajl2_c", "python"])
def test_bytes_that_are_not_utf8_are_named_with_their_offset(tmp_path, monkeypatch, backend):
    import ijson

    monkeypatch.setattr(stream, "backend", lambda: ijson.get_backend(backend))
    raw = json.dumps(json.loads(SINGLE.read_text(encoding="utf-8")), ensure_ascii=False, indent=1).encode()
    marker = "Statement by the Ministry".encode()
    raw = raw.replace(marker, "Заявление".encode("cp1251") + marker[9:], 1)
    path = tmp_path / "result.json"
    path.write_bytes(raw)
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value).endswith("not UTF-8 text; save the file as UTF-8 (no characters were replaced)")
    assert info.value.location == f"byte {raw.index(marker[9:]) - 9}"


def test_checklist_messages_are_media_like_polls(tmp_path):
    def mutate(data):
        data["messages"][1]["todo_list"] = {"title": "Повестка визита", "others_can_append": False,
                                            "others_can_complete": False, "answers": []}

    posts, _ = read(write_variant(tmp_path, mutate))
    assert (posts[0]["has_media"], posts[0]["media_type"]) == (True, "todo_list")


def test_forward_from_an_unnamed_origin_stays_a_forward(tmp_path):
    def mutate(data):
        data["messages"][1]["forwarded_from"] = None  # what the exporter writes for a deleted account

    posts, _ = read(write_variant(tmp_path, mutate))
    assert posts[0]["forwarded_from"] == "Deleted Account"
    assert all(post["forwarded_from"] is None for post in posts if post["message_id"] in (3, 4))


@pytest.mark.parametrize("fixture", [SINGLE, ACCOUNT])
@pytest.mark.parametrize("indent", [1, None])
def test_byte_order_mark_before_the_json(tmp_path, fixture, indent):
    # editors such as Notepad save UTF-8 with a byte order mark
    text = json.dumps(json.loads(fixture.read_text(encoding="utf-8")), ensure_ascii=False, indent=indent)
    plain, marked = tmp_path / "plain.json", tmp_path / "marked.json"
    plain.write_bytes(text.encode())
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert desktop_json.sniff(marked, marked.read_bytes()[:65536])
    expected, _ = read(plain)
    posts, _ = read(marked)
    assert posts == [dict(post, source=post["source"].replace(str(plain), str(marked))) for post in expected]
    cut = tmp_path / "cut.json"
    cut.write_bytes(marked.read_bytes()[:-40])
    with pytest.raises(InputError, match="truncated"):
        read(cut)


@pytest.mark.parametrize("edited", ["1970-01-01T03:00:00", "1969-12-31T19:00:00", "1970-01-01T00:00:00"])
def test_epoch_edit_date_of_old_exports_means_not_edited(tmp_path, edited):
    # exporters of 2018-2020 wrote no *_unixtime fields, and for a message never edited an "edited"
    # of the Unix epoch in their local time (1970-01-01T03:00:00 at UTC+3)
    def mutate(data):
        for message in data["messages"]:
            message.pop("date_unixtime", None)
            message.pop("edited_unixtime", None)
            message["edited"] = edited
        data["messages"][2]["edited"] = "2024-03-01T14:20:00"
    posts, _ = read(write_variant(tmp_path, mutate))
    by_id = {post["message_id"]: post for post in posts}
    assert by_id[3]["edited"] == utc(2024, 3, 1, 14, 20, 0)
    assert all(post["edited"] is None for number, post in by_id.items() if number != 3)


def test_edit_unixtime_zero_means_not_edited(tmp_path):
    def mutate(data):
        data["messages"][1]["edited"] = "1970-01-01T03:00:00"
        data["messages"][1]["edited_unixtime"] = "0"
    posts, _ = read(write_variant(tmp_path, mutate))
    assert posts[0]["message_id"] == 2 and posts[0]["edited"] is None


def test_a_venue_is_a_venue_though_it_also_has_a_location(tmp_path):
    # Telegram Desktop writes place_name, address and location_information for a venue,
    # location_information alone for a map point
    def mutate(data):
        data["messages"][1].update({"place_name": "Дом приёмов МИД", "address": "Набережная, 1",
                                    "location_information": {"latitude": 59.93, "longitude": 30.31}})
        data["messages"][2]["location_information"] = {"latitude": 59.94, "longitude": 30.32}

    posts, _ = read(write_variant(tmp_path, mutate))
    assert [post["media_type"] for post in posts[:2]] == ["venue", "location"]


def test_a_live_location_is_told_from_a_map_point_as_in_the_html_export(tmp_path):
    def mutate(data):
        data["messages"][1].update({"location_information": {"latitude": 59.93, "longitude": 30.31},
                                    "live_location_period_seconds": 900})

    posts, _ = read(write_variant(tmp_path, mutate))
    assert posts[0]["media_type"] == "live_location"
