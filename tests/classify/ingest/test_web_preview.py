from pathlib import Path

import pytest

from classify.errors import InputError
from classify.ingest import IngestStats, detect_format, iter_posts, read_posts
from classify.ingest import web_preview
from classify.text.normalize import normalized_bytes

FIXTURES = Path(__file__).parent / "fixtures"
PREVIEW = FIXTURES / "web_preview_ministry.txt"


def _read(path, **options):
    return list(web_preview.read(path, stats=IngestStats(), **options))


def _repeated_lines(text: str) -> list[str]:
    """Lines of substance that occur more than once in one post."""
    seen, repeated = set(), []
    for line in text.split("\n"):
        key = normalized_bytes(line)
        if len(key) >= web_preview.MIN_REPEAT_BYTES:
            if key in seen:
                repeated.append(line)
            seen.add(key)
    return repeated


def test_splits_the_fixture_into_its_six_messages():
    posts = _read(PREVIEW)
    assert [p["source"].rsplit(":", 1)[1] for p in posts] == ["1", "14", "21", "26", "33", "44"]
    assert all(p["channel"] == "web_preview_ministry" for p in posts)
    assert all(p["message_id"] is None and p["date"] is None for p in posts)


def test_forwarded_from_starts_a_message_and_names_its_origin():
    posts = _read(PREVIEW)
    assert [p["forwarded_from"] for p in posts] == [
        "Пресс-служба МИД Борелии", None, None, "Borelia Mission to the UN", None, "Пресс-служба МИД Борелии"]


def test_viewer_boilerplate_and_read_more_lines_are_dropped():
    text = "\n".join(p["text"] for p in _read(PREVIEW))
    for boilerplate in ("Media is too big", "VIEW IN TELEGRAM", "Please open Telegram", "Читать полностью",
                        "Read in full", "Слушать интервью", "views"):
        assert boilerplate not in text


def test_media_placeholders_flag_the_message_they_open():
    assert [p["has_media"] for p in _read(PREVIEW)] == [True, False, False, False, True, True]


def test_reaction_lines_give_totals_and_counts_per_emoji():
    posts = _read(PREVIEW)
    assert posts[0]["reactions_by_emoji"] == {"👍": 1200, "❤️": 15}
    assert posts[0]["reactions"] == 1215
    assert posts[4]["reactions"] == 7 and posts[4]["reactions_by_emoji"] == {"🔥": 7}
    assert posts[1]["reactions"] is None and posts[1]["reactions_by_emoji"] is None


def test_views_footer_ends_a_message():
    posts = _read(PREVIEW)
    assert posts[2]["views"] == 3400
    assert posts[2]["text"] == "Брифинг официального представителя перенесён на пятницу.\n***\nАккредитация продлится до четверга.\n***"


def test_exact_repeat_comes_out_once_with_its_head_line():
    first = _read(PREVIEW)[0]["text"].split("\n")
    assert first[0].startswith("🎙 Выступление министра")
    assert len(first) == 4
    assert _repeated_lines("\n".join(first)) == []


def test_preview_followed_by_expanded_text_keeps_the_expanded_text():
    statement = _read(PREVIEW)[3]["text"].split("\n")
    assert statement == [
        "📄 Statement at the Security Council",
        "The escalation around the nuclear power plant puts the whole region at risk.",
        "The agency reported two new drone strikes on the training centre last week.",
        "We call on all sides to allow the inspectors permanent access to the site.",
    ]


def test_truncated_repeat_is_dropped_and_the_full_lines_kept():
    interview = _read(PREVIEW)[4]["text"]
    assert interview.count("Ключевые тезисы:") == 1
    assert "• Культурные обмены и туристические поездки следует вернуть в прежний объём уже в этом году." in interview
    assert _repeated_lines(interview) == []


def test_a_completed_repeat_separates_messages_without_markers():
    calendar = _read(PREVIEW)[1]
    assert calendar["text"].startswith("🗓 Calendar of the week\nMonday:")
    assert calendar["forwarded_from"] is None


def test_channel_option_and_hashtags(tmp_path):
    path = tmp_path / "copy.txt"
    path.write_text("Forwarded from Borelia MFA\nTalks on #Arctic fisheries continue next week in Tromsø.\n👍3\n",
                    encoding="utf-8")
    [post] = iter_posts(path, channel="borelia_embassy")
    assert post["channel"] == "borelia_embassy"
    assert post["hashtags"] == ["#Arctic"]
    assert post["text"] == "Talks on #Arctic fisheries continue next week in Tromsø."


def test_the_same_message_shown_twice_is_flagged_by_the_table_builder():
    posts = read_posts(PREVIEW)
    assert posts["duplicate_of"].isna().sum() == 5
    assert posts.loc[5, "duplicate_of"] == posts.loc[0, "id"]
    assert posts.loc[0, "id"].startswith("sha1:") and posts.loc[5, "id"] == posts.loc[0, "id"] + ":2"


def test_detected_as_web_preview():
    assert detect_format(PREVIEW) == "web-preview"


def test_empty_and_boilerplate_only_files_are_errors(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        _read(empty)
    only = tmp_path / "only.txt"
    only.write_text("Read in full\n\nЧитать полностью\n", encoding="utf-8")
    with pytest.raises(InputError, match="no posts found"):
        _read(only)


def test_a_media_only_message_is_a_post_without_text(tmp_path):
    path = tmp_path / "media.txt"
    path.write_text("Forwarded from Borelia TV\nThis media is not supported in your browser\nVIEW IN TELEGRAM\n"
                    "Forwarded from Borelia MFA\nThe consulate in Bergen is closed on Monday for a national holiday.\n",
                    encoding="utf-8")
    video, notice = _read(path)
    assert (video["text"], video["has_media"], video["forwarded_from"]) == ("", True, "Borelia TV")
    assert (notice["has_media"], notice["forwarded_from"]) == (False, "Borelia MFA")


def test_wrong_encoding_names_line_and_byte(tmp_path):
    path = tmp_path / "cp1251.txt"
    path.write_bytes("Forwarded from MFA\nЗаявление министерства\n".encode("cp1251"))
    with pytest.raises(InputError) as error:
        _read(path)
    assert "cp1251.txt: line 2, byte 19" in str(error.value)
    assert "not UTF-8" in str(error.value)


@pytest.mark.shared
def test_real_web_preview_copy(shared_data):
    posts = _read(shared_data / "seed" / "channel_web_preview.txt")
    assert len(posts) == 13
    mid_ru, mfa_en = "МИД России 🇷🇺", "Russian MFA 🇷🇺"
    assert [p["forwarded_from"] for p in posts] == [
        mid_ru, None, None, "Интервидение 2025", None, mid_ru,
        mfa_en, mfa_en, mfa_en, mfa_en, mfa_en, mfa_en, mfa_en]
    assert {i: (p["reactions"], p["reactions_by_emoji"]) for i, p in enumerate(posts) if p["reactions"]} == {
        4: (3, {"👏": 3}), 11: (2, {"👍": 2}), 12: (2, {"❤": 2})}
    assert [p["has_media"] for p in posts].count(True) == 4
    for post in posts:
        assert _repeated_lines(post["text"]) == [], post["source"]
        assert "Read in full" not in post["text"] and "Читать полностью" not in post["text"]
    # the Security Council post: the preview block gave way to the expanded text with the quote
    assert posts[7]["text"].count("\n") == 7 and "“The high level of participants" in posts[7]["text"]
    assert posts[9]["text"] == posts[7]["text"]


@pytest.mark.shared
def test_real_web_preview_copy_in_the_table(shared_data):
    posts = read_posts(shared_data / "seed" / "channel_web_preview.txt")
    assert len(posts) == 13
    assert posts["duplicate_of"].notna().sum() == 1
    assert posts.loc[9, "duplicate_of"] == posts.loc[7, "id"]
    assert posts["lang"].value_counts().to_dict() == {"en": 9, "ru": 4}


def test_reactions_on_several_lines_and_a_footer_belong_to_one_message(tmp_path):
    path = tmp_path / "lines.txt"
    path.write_text("The embassy will be closed on Friday for a public holiday.\n👍 12\n❤️3\n2.5K views edited 09:41\n"
                    "Консульский приём возобновится в понедельник в обычном режиме.\n🔥1\n", encoding="utf-8")
    notice, reopening = _read(path)
    assert notice["reactions_by_emoji"] == {"👍": 12, "❤️": 3} and notice["views"] == 2500
    assert reopening["reactions"] == 1 and reopening["views"] is None
    assert reopening["source"].endswith(":5")


def test_a_time_on_a_line_of_its_own_is_text_not_a_views_footer(tmp_path):
    # the preview's footer always carries the views ("2.1K views 16:40"); a bare time is a line of the post
    path = tmp_path / "schedule.txt"
    path.write_text("Программа визита министра на следующей неделе:\n10:00\nПереговоры в министерстве\n"
                    "14:30\nПресс-конференция по итогам переговоров\n👍 25\n2.1K views 16:40\n"
                    "Консульский отдел закрыт в пятницу.\nedited 17:05\n", encoding="utf-8")
    schedule, notice = _read(path)
    assert schedule["text"] == ("Программа визита министра на следующей неделе:\n10:00\nПереговоры в министерстве\n"
                                "14:30\nПресс-конференция по итогам переговоров")
    assert schedule["reactions_by_emoji"] == {"👍": 25} and schedule["views"] == 2100
    assert notice["text"] == "Консульский отдел закрыт в пятницу."


def test_emoji_and_number_lines_of_a_post_are_text_not_reactions(tmp_path):
    # "🇷🇺 2025", "📈 40": figures of a post look like reaction counts, but a reaction line holds
    # emoji Telegram offers as reactions (👍 ❤️ 🔥 ...)
    path = tmp_path / "figures.txt"
    path.write_text("Итоги года в цифрах:\n🇷🇺 2025\n📈 40\nТоварооборот вырос на 40 процентов.\n❤️ 4 🦆2\n"
                    "Следующая публикация канала.\n🏆 1\n", encoding="utf-8")
    figures, following = _read(path)
    assert figures["text"] == "Итоги года в цифрах:\n🇷🇺 2025\n📈 40\nТоварооборот вырос на 40 процентов."
    assert figures["reactions_by_emoji"] == {"❤️": 4, "🦆": 2}  # 🦆: a channel's custom reaction, beside ❤️
    assert following["text"] == "Следующая публикация канала." and following["reactions"] == 1


def test_a_post_opening_like_the_previous_one_keeps_its_first_line(tmp_path):
    # two posts under the same heading line, no marker between them: the second heading is no
    # truncated repeat of the first post (a repeat cut short ends the message, or ends mid-line)
    lines = ["Брифинг официального представителя МИД Тестании",
             "Переговоры с соседними странами пройдут на следующей неделе в столице.",
             "Брифинг официального представителя МИД Тестании",
             "Консульские службы продолжат работу в обычном режиме до конца месяца."]
    path = tmp_path / "headings.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert "\n".join(post["text"] for post in _read(path)) == "\n".join(lines)


def test_a_short_sentence_opening_like_a_read_more_link_is_kept(tmp_path):
    # "Далее выступил посол." is a sentence of the post; "Читать полностью" / "Смотреть интервью"
    # are the captions of links to the full text, which end with no full stop
    path = tmp_path / "sentences.txt"
    path.write_text("Министры провели переговоры в столице Тестании.\nДалее выступил посол.\nWatch closely.\n"
                    "Смотреть интервью\nЧитать полностью\n👍 3\n", encoding="utf-8")
    (post,) = _read(path)
    assert post["text"] == "Министры провели переговоры в столице Тестании.\nДалее выступил посол.\nWatch closely."
