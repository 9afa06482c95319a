import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from classify.errors import InputError
from classify.ingest import desktop_html, desktop_json
from classify.ingest._base import IngestStats
from classify.ingest.schema import POST_COLUMN_NAMES

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "desktop_html"
CHANNEL = "МИД Велории / MFA of Veloria"


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def read(path, **options):
    stats = IngestStats()
    posts = list(desktop_html.read(path, stats=stats, **options))
    return posts, stats


@pytest.fixture(scope="module")
def export():
    posts, stats = read(EXPORT)
    return {post["message_id"]: post for post in posts}, stats


def copy_export(tmp_path, edit=None, page="messages.html"):
    """A copy of the fixture export, with ``edit(html) -> html`` applied to one page."""
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    if edit:
        target = folder / page
        target.write_text(edit(target.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def minimal_page(number: int, message_id: int, text: str, channel=CHANNEL) -> str:
    return f"""<!DOCTYPE html>
<html>
 <head>
  <meta charset="utf-8"/>
<title>Exported Data</title>
 </head>
 <body onload="CheckLocation();">
  <div class="page_wrap">
   <div class="page_header">
    <div class="content">
     <div class="text bold">
{channel} 
     </div>
    </div>
   </div>
   <div class="page_body chat_page">
    <div class="history">
     <div class="message default clearfix" id="message{message_id}">
      <div class="body">
       <div class="pull_right date details" title="0{number % 9 + 1}.03.2024 10:00:00 UTC+03:00">
10:00
       </div>
       <div class="from_name">
{channel} 
       </div>
       <div class="text">
{text}
       </div>
      </div>
     </div>
    </div>
   </div>
  </div>
 </body>
</html>
"""


def test_sniff_finds_export_folders_and_pages():
    assert desktop_html.sniff(EXPORT, b"")
    page = EXPORT / "messages2.html"
    assert desktop_html.sniff(page, page.read_bytes()[:65536])
    assert not desktop_html.sniff(FIXTURES / "desktop_json_single", b"")
    assert not desktop_html.sniff(Path("index.html"), b'<html><div class="page_header"></div></html>')


def test_posts_of_all_pages_in_order_and_service_blocks_counted(export):
    posts, stats = export
    assert list(posts) == [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13]
    assert stats.service_messages == 6  # 2 service messages and 4 day separators
    assert stats.skipped == []
    for post in posts.values():
        assert set(post) == set(POST_COLUMN_NAMES) - {"id", "lang", "duplicate_of"}
        assert post["channel"] == CHANNEL


def test_any_page_of_the_export_reads_the_whole_chat():
    posts, _ = read(EXPORT / "messages2.html")
    assert [p["message_id"] for p in posts] == [2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13]


def test_pages_are_read_in_numeric_order(tmp_path):
    for number in range(1, 12):
        name = "messages.html" if number == 1 else f"messages{number}.html"
        (tmp_path / name).write_text(minimal_page(number, number * 10, f"post {number}"), encoding="utf-8")
    posts, _ = read(tmp_path)
    assert [p["message_id"] for p in posts] == [n * 10 for n in range(1, 12)]
    assert posts[10]["source"] == f"{tmp_path / 'messages11.html'}#0"


def test_text_is_flattened_like_the_json_export(export):
    posts, _ = export
    from_json = {p["message_id"]: p for p in desktop_json.read(
        FIXTURES / "desktop_json_single" / "result.json", stats=IngestStats())}
    for message_id in (2, 3, 11):
        assert posts[message_id]["text"] == from_json[message_id]["text"]
    assert posts[5]["text"] == "Посольство напоминает о новых правилах въезда.\nThe Embassy reminds travellers of the new entry rules."


def test_links_and_hashtags_leave_out_mentions_mail_phone_and_emoji(export):
    posts, _ = export
    assert posts[3]["links"] == ["https://mfa.veloria.example/ru/briefing/2024-03-01",
                                 "https://veloria.example/press/118"]
    assert posts[3]["hashtags"] == ["#брифинг", "#Veloria"]
    assert posts[2]["links"] == [] and posts[2]["hashtags"] == []


def test_dates_are_converted_to_utc(export):
    posts, _ = export
    assert posts[2]["date"] == utc(2024, 3, 1, 8, 0, 0)
    assert posts[7]["date"] == utc(2024, 3, 2, 11, 46, 40)


@pytest.mark.parametrize("title, expected", [
    ("01.03.2024 11:00:00 UTC-05:30", utc(2024, 3, 1, 16, 30, 0)),
    ("01.03.2024 11:00:00 UTC", utc(2024, 3, 1, 11, 0, 0)),
    ("01.03.2024 11:00:00", utc(2024, 3, 1, 11, 0, 0)),  # old exports: no offset, read as UTC
])
def test_date_title_offsets(tmp_path, title, expected):
    folder = copy_export(tmp_path, lambda html: html.replace("01.03.2024 11:00:00 UTC+03:00", title))
    posts, _ = read(folder)
    assert posts[0]["date"] == expected


@pytest.mark.parametrize("title, expected", [
    ("01.03.2024 11:00:00 GMT+01:00", utc(2024, 3, 1, 10, 0, 0)),
    ("01.03.2024 11:00:00 GMT-03:00", utc(2024, 3, 1, 14, 0, 0)),
    ("01.03.2024 11:00:00 GMT", utc(2024, 3, 1, 11, 0, 0)),
    ("01.03.2024 11:00:00 UTC\u221205:00", utc(2024, 3, 1, 16, 0, 0)),
])
def test_date_titles_written_in_the_exporters_language(tmp_path, title, expected):
    # Telegram Desktop names the offset in its system's language: UTC+03:00 in English,
    # GMT+01:00 in German or Russian, some languages with the minus sign U+2212
    folder = copy_export(tmp_path, lambda html: html.replace("01.03.2024 11:00:00 UTC+03:00", title))
    posts, _ = read(folder)
    assert posts[0]["date"] == expected


def test_forwarded_origin_also_for_joined_forwards(export):
    posts, _ = export
    assert posts[5]["forwarded_from"] == "Анна Соколова"
    # message 6 is joined to 5 and its forwarded block omits the repeated name
    assert posts[6]["forwarded_from"] == "Анна Соколова"
    assert posts[6]["text"] == "Регистрация на консульский приём открыта."
    assert posts[7]["forwarded_from"] is None
    assert posts[3]["forwarded_from"] is None  # joined but not forwarded


def test_joined_messages_are_full_posts(export):
    posts, _ = export
    assert posts[3]["date"] == utc(2024, 3, 1, 8, 10, 0)
    assert posts[12]["text"] == "Ответ на публикацию посольства."


def test_replies_on_the_same_page_other_pages_and_other_chats(export):
    posts, _ = export
    assert posts[7]["reply_to_message_id"] == 3
    assert posts[13]["reply_to_message_id"] == 2
    assert posts[12]["reply_to_message_id"] is None
    assert posts[2]["reply_to_message_id"] is None


def test_media_posts(export):
    posts, _ = export
    assert (posts[4]["text"], posts[4]["has_media"], posts[4]["media_type"]) == ("", True, "photo")
    assert (posts[9]["text"], posts[9]["media_type"]) == ("", "sticker")
    assert (posts[10]["text"], posts[10]["media_type"]) == ("", "poll")
    assert posts[11]["media_type"] == "video_file" and posts[11]["text"].startswith("Видео")
    assert posts[2]["has_media"] is False and posts[2]["media_type"] is None


def test_reactions_total_and_per_emoji(export):
    posts, _ = export
    assert posts[3]["reactions"] == 165
    assert posts[3]["reactions_by_emoji"] == {"👍": 120, "❤": 45}
    assert posts[4]["reactions_by_emoji"] == {"🔥": 31}
    assert posts[2]["reactions"] is None and posts[2]["reactions_by_emoji"] is None


def test_reactions_shown_as_reactor_pictures_count_the_pictures(tmp_path):
    userpics = ('<span class="emoji">\n🔥\n</span><span class="userpics">'
                '<div class="userpic userpic1"><div class="initials">А</div></div>'
                '<div class="userpic userpic2"><div class="initials">Б</div></div></span>')
    folder = copy_export(tmp_path, lambda html: html.replace(
        '<span class="emoji">\n🔥\n         </span>\n\n         <span class="count">\n31\n         </span>', userpics))
    posts, _ = read(folder)
    assert {p["message_id"]: p for p in posts}[4]["reactions_by_emoji"] == {"🔥": 2}


def test_custom_emoji_reaction_without_text_is_keyed_by_its_file(tmp_path):
    custom = '<span class="emoji"><img src="../../stickers/5368324170671202286.webp"/></span>'
    folder = copy_export(tmp_path, lambda html: html.replace(
        '<span class="emoji">\n🔥\n         </span>', custom))
    posts, _ = read(folder)
    assert {p["message_id"]: p for p in posts}[4]["reactions_by_emoji"] == {"custom:5368324170671202286": 31}


def test_edits_views_and_forwards_are_not_in_html_exports(export):
    posts, _ = export
    assert all(p["edited"] is None and p["views"] is None and p["forwards"] is None for p in posts.values())


def test_source_names_page_and_block_position(export):
    posts, _ = export
    assert posts[2]["source"] == f"{EXPORT / 'messages.html'}#2"
    assert posts[9]["source"] == f"{EXPORT / 'messages2.html'}#2"


def test_html_page_that_is_not_an_export(tmp_path):
    page = tmp_path / "messages.html"
    page.write_text("<html><body><h1>Ministry news</h1><p>Hello</p></body></html>", encoding="utf-8")
    with pytest.raises(InputError, match="not a Telegram Desktop HTML export page") as info:
        read(page)
    assert info.value.path == str(page)


def test_other_html_file_names_are_refused(tmp_path):
    page = tmp_path / "index.html"
    page.write_text(minimal_page(1, 1, "x"), encoding="utf-8")
    with pytest.raises(InputError, match="expected messages.html"):
        read(page)


def test_empty_page(tmp_path):
    (tmp_path / "messages.html").write_bytes(b"")
    with pytest.raises(InputError) as info:
        read(tmp_path)
    assert info.value.path == str(tmp_path / "messages.html")


def test_folder_without_pages_or_missing_path(tmp_path):
    with pytest.raises(InputError, match="no messages.html"):
        read(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "export" / "messages.html")


def test_missing_page_is_an_error_or_recorded_with_skip_bad(tmp_path):
    folder = copy_export(tmp_path)
    shutil.copy(folder / "messages2.html", folder / "messages3.html")
    (folder / "messages2.html").unlink()
    with pytest.raises(InputError, match="messages2.html"):
        read(folder)
    posts, stats = read(folder, skip_bad=True)
    assert len(posts) == 11
    assert stats.skipped == [(str(folder), "export pages missing: messages2.html")]


def test_page_of_another_chat_is_refused(tmp_path):
    (tmp_path / "messages.html").write_text(minimal_page(1, 1, "a"), encoding="utf-8")
    (tmp_path / "messages2.html").write_text(minimal_page(2, 2, "b", channel="Veloria Today"), encoding="utf-8")
    with pytest.raises(InputError, match="another chat"):
        read(tmp_path)


@pytest.mark.parametrize("edit, reason", [
    (lambda html: html.replace('title="02.03.2024 12:30:00 UTC+03:00">\n12:30\n       </div>\n\n       <div class="from_name">',
                               'title="">\n12:30\n       </div>\n\n       <div class="from_name">'), "bad date"),
    (lambda html: html.replace('id="message5"', 'id="message_five"'), "bad message id"),
])
def test_malformed_message_names_page_and_position(tmp_path, edit, reason):
    folder = copy_export(tmp_path, edit)
    with pytest.raises(InputError, match=reason) as info:
        read(folder)
    assert info.value.path == str(folder / "messages.html")
    assert info.value.location.startswith("message #6")
    posts, stats = read(folder, skip_bad=True)
    assert [p["message_id"] for p in posts] == [2, 3, 4, 6, 7, 9, 10, 11, 12, 13]
    assert len(stats.skipped) == 1 and reason in stats.skipped[0][1]


def test_unknown_option_is_refused():
    with pytest.raises(TypeError, match="colour"):
        read(EXPORT, colour="red")
    assert len(read(EXPORT, chat_types="channels")[0]) == 11


def test_page_cut_short_is_an_error_not_a_shorter_chat(tmp_path):
    folder = copy_export(tmp_path)
    page = folder / "messages.html"
    data = page.read_bytes()
    page.write_bytes(data[:data.index("Полный текст".encode())])  # inside the text of message 3
    with pytest.raises(InputError, match="truncated HTML page") as info:
        read(folder)
    assert info.value.path == str(page)
    assert info.value.location == f"byte {data.index('Полный текст'.encode())}"



def with_reactions(tmp_path, reactions: str) -> dict:
    """Post 4 of the fixture export with its reaction replaced by ``reactions`` (exporter markup)."""
    folder = copy_export(tmp_path, lambda html: re.sub(
        r'<span class="reaction">\s*<span class="emoji">\s*🔥.*?</span>\s*</span>', reactions, html,
        count=1, flags=re.S))
    return {p["message_id"]: p for p in read(folder)[0]}[4]


def test_custom_emoji_reactions_are_keyed_by_their_file_not_by_the_stand_in_emoji(tmp_path):
    # Telegram Desktop draws a custom emoji reaction as a link to its sticker file with a stand-in 👋
    # as text, or a link without target when the file was not exported; the JSON export says custom_emoji
    post = with_reactions(tmp_path, (
        '<span class="reaction"><span class="emoji">\n<a href = "../../stickers/5368324170671202286.webp">👋</a>\n'
        '</span><span class="count">\n7\n</span></span>'
        '<span class="reaction"><span class="emoji">\n<a href="" onclick="return ShowNotLoadedEmoji();">👋</a>\n'
        '</span><span class="count">\n2\n</span></span>'
        '<span class="reaction"><span class="emoji">\n👋\n</span><span class="count">\n3\n</span></span>'))
    assert post["reactions_by_emoji"] == {"custom:5368324170671202286": 7, "custom": 2, "👋": 3}
    assert post["reactions"] == 12



def test_paid_reactions_are_keyed_paid_like_the_json_export(tmp_path):
    post = with_reactions(tmp_path, (
        '<span class="reaction paid"><span class="emoji">\n⭐\n</span><span class="count">\n5\n</span></span>'
        '<span class="reaction"><span class="emoji">\n⭐\n</span><span class="count">\n1\n</span></span>'))
    assert post["reactions_by_emoji"] == {"paid": 5, "⭐": 1}


def test_phone_calls_are_service_messages_as_in_the_json_export(tmp_path):
    # the HTML exporter draws a call of a personal chat as a message holding a media_call block;
    # the JSON export writes it as a service message (action phone_call), not a post
    call = ('<div class="media_wrap clearfix">\n<div class="media clearfix pull_left media_call success">\n'
            '<div class="fill pull_left">\n</div>\n<div class="body">\n<div class="title bold">\nIvan Petrov\n'
            '</div>\n<div class="status details">\nOutgoing (95 seconds)\n</div>\n</div>\n</div>\n</div>')
    page = minimal_page(1, 8, "@@").replace('<div class="text">\n@@\n       </div>', call)
    (tmp_path / "messages.html").write_text(page, encoding="utf-8")
    posts, stats = read(tmp_path)
    assert posts == [] and stats.service_messages == 1


def test_checklists_are_todo_lists_as_in_the_json_export(tmp_path):
    # the HTML exporter draws a checklist in a media_poll block, with "To-do List" where a poll says
    # "Anonymous poll" or "Final results"; the JSON export's todo_list gives media_type todo_list
    checklist = ('<div class="media_wrap clearfix">\n<div class="media_poll">\n<div class="question bold">\n'
                 'План визита\n</div>\n<div class="details">\nTo-do List\n</div>\n<div class="answer">\n'
                 '- Встреча с министром\n</div>\n</div>\n</div>')
    page = minimal_page(1, 8, "@@").replace('<div class="text">\n@@\n       </div>', checklist)
    (tmp_path / "messages.html").write_text(page, encoding="utf-8")
    posts, _ = read(tmp_path)
    assert [(post["text"], post["has_media"], post["media_type"]) for post in posts] == [("", True, "todo_list")]


def test_messages_of_a_group_before_its_migration_have_negative_ids(tmp_path):
    # a supergroup made from a basic group: the exporter shifts the old group's message ids by
    # -1000000000 (message-999999950), in the block ids and in the reply links to them
    reply = """     <div class="message default clearfix" id="message12">
      <div class="body">
       <div class="pull_right date details" title="02.03.2024 10:05:00 UTC+03:00">
10:05
       </div>
       <div class="reply_to details">
In reply to <a href="#go_to_message-999999950" onclick="return GoToMessage(-999999950)">this message</a>
       </div>
       <div class="text">
Продолжаем обсуждение в супергруппе.
       </div>
      </div>
     </div>
"""
    page = minimal_page(1, -999999950, "Сообщение из старой группы.", channel="Клуб дипломатов")
    closing = "    </div>\n   </div>\n  </div>\n </body>"
    (tmp_path / "messages.html").write_text(page.replace(closing, reply + closing), encoding="utf-8")
    posts, _ = read(tmp_path)
    assert [(post["message_id"], post["reply_to_message_id"]) for post in posts] == [(-999999950, None),
                                                                                      (12, -999999950)]
