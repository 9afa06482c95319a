"""Reader for Telegram Desktop HTML exports (``messages.html``, ``messages2.html``, ...).

``path`` is the export folder of one chat or any page in it; the pages are read
one at a time, in numeric order, with lxml. What is read from each
``div.message.default``:

* ``message_id`` from ``id="message123"`` (negative for the messages of a basic group
  before it became a supergroup, as in the JSON export); ``channel`` from the page header;
* ``date`` from the ``title`` of ``div.pull_right.date.details``
  (``dd.MM.yyyy HH:mm:ss UTC+03:00``, ``GMT+01:00`` in some of the exporter's
  languages), converted to UTC. Old exports have no
  offset in the title: their wall time is read as if it were UTC. The offset is the
  one of the exporter's zone in *standard* time whatever the date (Telegram Desktop
  prints ``QTimeZone::StandardTime``'s name), so where that zone keeps summer time,
  summer messages come out one hour late; the JSON export's ``date_unixtime`` is exact;
* ``text`` from ``div.text``: ``<br>`` becomes a newline, tags are dropped;
  ``links`` are the hrefs of web links in it (not mentions, e-mail, phone or
  custom-emoji anchors), ``hashtags`` the ``ShowHashtag`` anchors;
* ``forwarded_from`` from the ``from_name`` of ``div.forwarded.body``; a forwarded
  message joined to the previous one (no ``from_name`` of its own) keeps the
  previous message's origin (the exporter omits repeated names in a run of
  ``joined`` messages);
* ``reply_to_message_id`` from the ``GoToMessage(ID)`` / ``#go_to_messageID`` link
  (a reply to another chat has no link and gives null);
* ``has_media`` / ``media_type`` from ``div.media_wrap``;
* reactions from ``.reactions .reaction``: the ``.emoji`` text and the ``.count``
  (or the number of reactor pictures when the count is not printed); a custom emoji
  is keyed ``custom:<sticker file name>`` as the JSON reader keys it by its id, a paid
  (star) reaction ``paid`` as there.

The HTML export carries no view counts, forward counts or edit times: those
fields are null. A page that does not end with ``</html>`` was cut short (an interrupted export or
copy) and is an error. ``div.message.service`` blocks (service messages and the day
separators) and phone calls (drawn as a message with a ``media_call`` block) are counted
in ``stats.service_messages``. ``source`` is
``<page file>#<n>``, ``n`` the message's position among the page's message blocks.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from lxml import etree

from classify.errors import InputError
from classify.ingest._base import IngestStats

_PAGE = re.compile(r"^messages(\d*)\.html$")
# the offset's name follows the exporter's language: UTC+03:00, GMT+01:00, UTC\u221205:00 (a minus sign)
_DATE = re.compile(r"(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2}):(\d{2})"
                   r"(?: (?:UTC|GMT)(?:([+\-\u2212])(\d{1,2}):?(\d{2}))?)?")
_REPLY = re.compile(r"GoToMessage\((-?\d+)\)|go_to_message(-?\d+)")
# negative: messages of a basic group before it became a supergroup (ids shifted by -1000000000)
_MESSAGE_ID = re.compile(r"message(-?\d+)")
_VIA_BOT = re.compile(r"\s+via @\S+$")
_UTC = timezone.utc
_KNOWN_OPTIONS = {"chat_types", "include_chats"}
# generic media blocks: the title tells more than the class
_MEDIA_TITLES = {"Photo": "photo", "Sticker": "sticker", "Video file": "video_file", "Animation": "animation",
                 "Video message": "video_message", "Voice message": "voice_message",
                 "Self-destructing photo": "photo", "Self-destructing video": "video_file"}
_CHECKLIST = "To-do List"
"""what a checklist says under its title, where a poll says "Anonymous poll" (both are media_poll blocks)"""
_CALL_MEDIA = "call"
"""media_type of a phone call: drawn as a message, but a service message (no post), as in the JSON export"""
_MEDIA_WRAPS = {"photo_wrap": "photo", "video_file_wrap": "video_file", "animated_wrap": "animation",
                "sticker_wrap": "sticker", "media_poll": "poll", "media_giveaway": "giveaway"}
# lxml's HTML parser with plain elements: lxml.html's element classes cost a lookup per node
_PARSER = etree.HTMLParser(encoding="utf-8")


def sniff(path: Path, head: bytes) -> bool:
    """An export folder with ``messages.html`` or a ``messages*.html`` page of one."""
    path = Path(path)
    if path.is_dir():
        pages = _pages_in(path)
        if not pages:
            return False
        with open(pages[0], "rb") as handle:
            head = handle.read(64 * 1024)
    elif not _PAGE.match(path.name):
        return False
    return b'class="page_header"' in head and (b'class="history"' in head or b'class="message ' in head)


def _pages_in(folder: Path) -> list[Path]:
    found = []
    for page in folder.iterdir():
        match = _PAGE.match(page.name)
        if match and page.is_file():
            found.append((int(match.group(1) or 1), page))
    return [page for _, page in sorted(found)]


def _content(element) -> str:
    return "".join(element.itertext())


def _classes(element) -> list[str]:
    return element.get("class", "").split()


def _parse_date(title: str) -> datetime:
    """``01.03.2024 11:00:00 UTC+03:00`` -> aware UTC datetime (ValueError when malformed)."""
    match = _DATE.fullmatch(title.strip())
    if not match:
        raise ValueError(f"expected 'dd.mm.yyyy HH:MM:SS UTC+hh:mm', got {title!r:.60}")
    day, month, year, hour, minute, second, sign, off_hours, off_minutes = match.groups()
    local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=_UTC)
    if sign is None:
        return local
    offset = timedelta(hours=int(off_hours), minutes=int(off_minutes))
    return local - offset if sign == "+" else local + offset  # "-" or U+2212


def _is_link(anchor, text: str) -> bool:
    href = anchor.get("href") or ""
    if not href or href.startswith(("mailto:", "tel:", "javascript:", "#")):
        return False
    if text.startswith("@") and href.endswith("/" + text[1:]):  # a @mention
        return False
    return href == text or "://" in href or href.startswith("tg:")


def _flatten(element, parts: list, links: list, hashtags: list) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        tag = child.tag
        if tag == "br":
            parts.append("\n")
        elif isinstance(tag, str):  # comments and processing instructions carry no text
            start = len(parts)
            _flatten(child, parts, links, hashtags)
            if tag == "a":
                text = "".join(parts[start:])
                if "ShowHashtag" in (child.get("onclick") or ""):
                    hashtags.append(text)
                elif _is_link(child, text):
                    links.append(child.get("href"))
        if child.tail:
            parts.append(child.tail)


def _text(div) -> tuple[str, list, list]:
    parts: list = []
    links: list = []
    hashtags: list = []
    _flatten(div, parts, links, hashtags)
    text = "".join(parts)
    # the exporter writes "\n<text>\n<indent>" inside the div
    if text.startswith("\n"):
        text = text[1:]
    return re.sub(r"\n[ \t]*$", "", text), links, hashtags


def _media_type(wrap) -> str:
    for element in wrap.iter():
        if not isinstance(element.tag, str):
            continue
        for cls in _classes(element):
            if cls == "media_poll":
                details = _children_by_class(element).get("details")
                if details is not None and _content(details).strip() == _CHECKLIST:
                    return "todo_list"
            if cls in _MEDIA_WRAPS:
                return _MEDIA_WRAPS[cls]
            if cls.startswith("media_") and cls != "media_wrap":
                title = next((t for t in element.iter() if "title" in _classes(t)), None)
                title_text = _content(title).strip() if title is not None else ""
                return _MEDIA_TITLES.get(title_text, cls[len("media_"):])
    return "unknown"


def _custom_emoji_key(emoji) -> str | None:
    """``custom:<sticker file name>`` when a reaction's ``.emoji`` holds a custom emoji, else None.

    The exporter draws a custom emoji as a link to its sticker file (a link without target when the
    file was not exported) around a stand-in 👋, or older exports as a picture of it: the text is not
    the reaction. Plain emoji are bare text."""
    for element in emoji.iter("a", "img"):
        ref = element.get("href") or element.get("src")
        return f"custom:{Path(ref).stem}" if ref else "custom"
    return None


def _reactions(container) -> tuple[int, dict]:
    by_emoji: dict = {}
    for reaction in container.iter():
        if not isinstance(reaction.tag, str) or "reaction" not in _classes(reaction):
            continue
        emoji = count = None
        pictures = 0
        for part in reaction.iter():
            if not isinstance(part.tag, str):
                continue
            classes = _classes(part)
            if "emoji" in classes:
                emoji = _custom_emoji_key(part) or _content(part).strip()
            elif "count" in classes:
                count = int(_content(part).strip())
            elif "userpic" in classes:
                pictures += 1
        key = "paid" if "paid" in _classes(reaction) else emoji or "unknown"  # paid: drawn as a ⭐
        by_emoji[key] = by_emoji.get(key, 0) + (count if count is not None else max(pictures, 1))
    return sum(by_emoji.values()), by_emoji


class _BadMessage(ValueError):
    pass


def _children_by_class(element) -> dict:
    found: dict = {}
    for child in element:
        if isinstance(child.tag, str):
            for cls in _classes(child):
                found.setdefault(cls, child)
    return found


def _message(block, state: dict, channel: str, source: str) -> dict:
    """Post dict of one ``div.message.default``; ``state`` carries the previous message's forward origin."""
    raw_id = block.get("id", "")
    id_match = _MESSAGE_ID.fullmatch(raw_id)
    if id_match is None:
        raise _BadMessage(f"missing or bad message id {raw_id!r:.40}")
    body = _children_by_class(block).get("body")
    if body is None:
        raise _BadMessage("message without a body")
    parts = _children_by_class(body)
    date_div = parts.get("date")
    try:
        date = _parse_date(date_div.get("title", ""))
    except (AttributeError, ValueError) as error:
        raise _BadMessage(f"missing or bad date: {error}") from None
    forwarded_from = None
    content = parts
    forwarded = next((child for child in body if isinstance(child.tag, str)
                      and {"forwarded", "body"} <= set(_classes(child))), None)
    if forwarded is not None:
        content = _children_by_class(forwarded)
        name_div = content.get("from_name")
        if name_div is not None:
            forwarded_from = _VIA_BOT.sub("", (name_div.text or "").strip())
        else:
            forwarded_from = state.get("forwarded_from")
    state["forwarded_from"] = forwarded_from
    text, links, hashtags = _text(content["text"]) if "text" in content else ("", [], [])
    reply_to = None
    reply_div = content.get("reply_to", parts.get("reply_to"))
    if reply_div is not None:
        for anchor in reply_div.iter("a"):
            match = _REPLY.search((anchor.get("onclick") or "") + " " + (anchor.get("href") or ""))
            if match:
                reply_to = int(match.group(1) or match.group(2))
    media = content.get("media_wrap", parts.get("media_wrap"))
    reactions = by_emoji = None
    if "reactions" in parts:
        try:
            reactions, by_emoji = _reactions(parts["reactions"])
        except ValueError:
            raise _BadMessage("reaction count is not a number") from None
    return {
        "channel": channel,
        "message_id": int(id_match.group(1)),
        "date": date,
        "text": text,
        "forwarded_from": forwarded_from,
        "reply_to_message_id": reply_to,
        "edited": None,
        "reactions": reactions,
        "reactions_by_emoji": by_emoji,
        "views": None,
        "forwards": None,
        "links": links,
        "hashtags": hashtags,
        "has_media": media is not None,
        "media_type": _media_type(media) if media is not None else None,
        "source": source,
    }


def _page_channel(page: Path, root) -> tuple[str, object]:
    header = next((el for el in root.iter("div") if "page_header" in _classes(el)), None)
    history = next((el for el in root.iter("div") if "history" in _classes(el)), None)
    if header is None or history is None:
        raise InputError(page, "not a Telegram Desktop HTML export page (no page header or message history)")
    title = next((el for el in header.iter("div") if {"text", "bold"} <= set(_classes(el))), None)
    name = _content(title).strip() if title is not None else ""
    if not name:
        raise InputError(page, "the page header has no chat name")
    return name, history


def _export_pages(path: Path) -> list[Path]:
    if not path.exists():
        raise InputError(path, "no such file or folder")
    folder = path if path.is_dir() else path.parent
    if not path.is_dir() and not _PAGE.match(path.name):
        raise InputError(path, "not a Telegram Desktop HTML export page (expected messages.html, messages2.html, ...)")
    pages = _pages_in(folder)
    if not pages:
        raise InputError(folder, "no messages.html in this folder (for a full-account HTML export, "
                                 "give the folder of one chat, e.g. chats/chat_001)")
    return pages


def _check_complete(page: Path) -> None:
    """The exporter ends every page with ``</html>``; lxml would quietly read a page cut short."""
    with open(page, "rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(size - 64, 0))
        if not handle.read().rstrip().lower().endswith(b"</html>"):
            raise InputError(page, "truncated HTML page (it does not end with </html>)", location=f"byte {size}")


def read(path, *, stats: IngestStats, skip_bad: bool = False, **options) -> Iterator[dict]:
    """Yield one post dict per message of a Telegram Desktop HTML export (see the module doc).

    ``chat_types`` / ``include_chats`` are accepted for symmetry with the JSON
    reader and ignored: an HTML chat folder holds one chat and does not say its type.
    """
    unknown = set(options) - _KNOWN_OPTIONS
    if unknown:
        raise TypeError(f"desktop_html.read got unknown option(s): {', '.join(sorted(unknown))}")
    pages = _export_pages(Path(path))
    numbers = [int(_PAGE.match(page.name).group(1) or 1) for page in pages]
    missing = sorted(set(range(1, numbers[-1] + 1)) - set(numbers))
    if missing:
        names = ", ".join("messages.html" if n == 1 else f"messages{n}.html" for n in missing)
        if not skip_bad:
            raise InputError(pages[0].parent, f"export pages missing: {names}")
        stats.skip(str(pages[0].parent), f"export pages missing: {names}")
    channel = None
    for page in pages:
        try:
            root = etree.parse(str(page), _PARSER).getroot()
        except (OSError, ValueError, etree.LxmlError) as error:
            raise InputError(page, f"cannot parse HTML: {error}") from None
        if root is None:
            raise InputError(page, "empty file: no HTML content")
        _check_complete(page)
        name, history = _page_channel(page, root)
        if channel is None:
            channel = name
        elif name != channel:
            raise InputError(page, f"page of another chat ({name!r}, expected {channel!r})")
        state: dict = {}  # the exporter starts every page without a previous message
        position = -1
        for block in history:
            if not isinstance(block.tag, str):
                continue
            classes = _classes(block)
            if "message" not in classes:
                continue
            position += 1
            if "service" in classes:
                stats.service_messages += 1
                continue
            if "default" not in classes:
                reason = f"unknown message block class {' '.join(classes)!r}"
            else:
                try:
                    post = _message(block, state, channel, f"{page}#{position}")
                except _BadMessage as error:
                    reason = str(error)
                else:
                    if post["media_type"] == _CALL_MEDIA:
                        stats.service_messages += 1
                    else:
                        yield post
                    continue
            location = f"message #{position} ({block.get('id') or 'no id'})"
            if not skip_bad:
                raise InputError(page, reason, location=location)
            stats.skip(f"{page}: {location}", reason)
