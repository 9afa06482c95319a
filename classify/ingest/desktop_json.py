"""Reader for Telegram Desktop JSON exports (``result.json``).

Two layouts are read, both streamed so memory stays flat for exports of several
gigabytes (pretty-printed files are cut into messages decoded by orjson, other
layouts and any irregularity go through ijson's C parser; see ``_desktop_json_stream``):

* single-chat export: root ``{"name", "type", "id", "messages": [...]}``;
* full-account export: ``{"about", ..., "chats": {"list": [chat, ...]},
  "left_chats": {"list": [...]}}``, each chat shaped like a single-chat export.

Options of :func:`read`:

``chat_types``
    which chats of a full-account export to read: ``"channels"`` (the default:
    ``public_channel`` and ``private_channel``), ``"all"``, or a collection of
    Telegram chat types. ``include_chats`` is an alias. A single-chat export is
    read whatever its type: the user chose that chat when exporting it.

Field notes:

* ``date`` and ``edited`` come from ``date_unixtime`` / ``edited_unixtime`` (UTC).
  The ``date`` / ``edited`` strings are the exporter's local wall time *without an
  offset*; they are used only when the unixtime field is missing, and then read as
  if they were UTC (they may be off by the exporter's UTC offset). An edit time at the
  Unix epoch means no edit (null): exporters of 2018-2020 wrote ``"edited":
  "1970-01-01T03:00:00"`` (the epoch at UTC+3) for every message never edited.
* ``reactions`` is the sum of ``reactions[].count``; ``reactions_by_emoji`` keys
  are the emoji, ``custom:<document_id>`` for custom emoji and ``paid`` for paid
  reactions. Both are null when the message has no ``reactions`` field.
* ``forwarded_from`` is ``"Deleted Account"`` when the export writes ``null`` for a forward
  whose origin has no name (a deleted account or channel), as the HTML export prints it: the
  post stays marked as a forward.
* ``reply_to_message_id`` is set only for replies inside the same chat
  (a ``reply_to_peer_id`` means the replied message lives in another chat).
* ``source`` is ``<file>#<n>`` for a single-chat export and ``<file>#chat<k>/<n>``
  for a full-account export: ``n`` is the message's position in its chat's
  ``messages`` list (service messages included, from 0), ``k`` the chat's position
  in ``chats.list`` followed by ``left_chats.list``.
* Telegram Desktop marks messages it could not export as ``"type": "unsupported"``;
  they carry no date or text and are recorded in ``stats.skipped``.

>>> from classify.ingest._base import IngestStats
>>> stats = IngestStats()
>>> posts = list(read("result.json", stats=stats))          # doctest: +SKIP
"""
from __future__ import annotations

import re
from codecs import BOM_UTF8
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from classify.errors import InputError
from classify.ingest import _desktop_json_stream as stream
from classify.ingest._base import IngestStats
from classify.ingest.entities import flatten_parts, reaction_key

CHANNEL_TYPES = frozenset({"public_channel", "private_channel"})
UNNAMED_ORIGIN = "Deleted Account"
"""``forwarded_from`` of a forward whose origin has no name (the HTML export's words for it)"""

# keys that carry media, with the media_type they imply; the first one present wins (a venue and a
# live location also have the location_information of a map point)
_MEDIA_KEYS = (
    ("photo", "photo"), ("file", "file"), ("poll", "poll"), ("place_name", "venue"),
    ("live_location_period_seconds", "live_location"), ("location_information", "location"),
    ("contact_information", "contact"), ("game_title", "game"),
    ("invoice_information", "invoice"), ("giveaway_information", "giveaway"),
    ("giveaway_results", "giveaway_results"), ("paid_stars_amount", "paid_media"), ("todo_list", "todo_list"),
)
_MEDIA_KEY_SET = frozenset(key for key, _ in _MEDIA_KEYS) | {"media_type"}
_HEAD_SINGLE = re.compile(rb'"type"\s*:\s*"[a-z_]*"\s*,\s*"id"\s*:\s*-?\d+\s*,\s*"messages"\s*:\s*\[')
_HEAD_ACCOUNT_KEYS = (b'"personal_information"', b'"chats"', b'"left_chats"', b'"profile_pictures"',
                      b'"frequent_contacts"', b'"contacts"')
_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)
_MAX_UTC_OFFSET = timedelta(hours=14)


def sniff(path: Path, head: bytes) -> bool:
    """A JSON file that opens like a Telegram Desktop export (single chat or full account)."""
    start = head.removeprefix(BOM_UTF8).lstrip()
    if not start.startswith(b"{"):
        return False
    if _HEAD_SINGLE.search(start):
        return True
    return start[1:].lstrip().startswith(b'"about"') and any(key in start for key in _HEAD_ACCOUNT_KEYS)


def _chat_filter(chat_types, include_chats):
    """None (keep every chat) or the set of chat types to keep."""
    if chat_types is not None and include_chats is not None and chat_types != include_chats:
        raise TypeError("give chat_types or its alias include_chats, not both")
    wanted = chat_types if chat_types is not None else include_chats
    if wanted is None or wanted == "channels":
        return CHANNEL_TYPES
    if wanted == "all":
        return None
    if isinstance(wanted, str):
        return frozenset({wanted})
    return frozenset(wanted)


class _BadMessage(ValueError):
    pass


def _utc(value) -> datetime:
    return datetime.fromtimestamp(int(value), _UTC)


def _local_as_utc(value) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=_UTC)


def _reactions(items) -> tuple[int, dict]:
    by_emoji: dict = {}
    total = 0
    for item in items:
        count = item["count"]
        if type(count) is not int:
            raise _BadMessage(f"reaction count is not an integer: {count!r:.40}")
        kind = item.get("type")
        if kind is None or kind == "emoji":
            key = item.get("emoji") or item.get("reaction") or "unknown"
        else:
            key = reaction_key(kind, None, item.get("document_id"))
        by_emoji[key] = by_emoji.get(key, 0) + count
        total += count
    return total, by_emoji


def _media_type(msg: dict):
    if _MEDIA_KEY_SET.isdisjoint(msg):
        return None
    kind = msg.get("media_type")
    if kind is not None:
        return kind
    for key, media in _MEDIA_KEYS:
        if key in msg:
            return media
    return None


def _post(msg, channel: str, source: str) -> dict:
    """The post dict of one ``"type": "message"`` object; raises _BadMessage when malformed."""
    message_id = msg.get("id")
    if type(message_id) is not int:
        raise _BadMessage("missing message id" if message_id is None
                          else f"message id is not an integer: {message_id!r:.40}")
    try:
        unixtime = msg.get("date_unixtime")
        date = _utc(unixtime) if unixtime is not None else _local_as_utc(msg["date"])
    except KeyError:
        raise _BadMessage("missing date_unixtime and date") from None
    except (TypeError, ValueError, OverflowError, OSError):
        raise _BadMessage(f"bad date (date_unixtime={msg.get('date_unixtime')!r:.40}, "
                          f"date={msg.get('date')!r:.40})") from None
    edited = None
    if "edited_unixtime" in msg or "edited" in msg:
        try:
            edited = _utc(msg["edited_unixtime"]) if "edited_unixtime" in msg else _local_as_utc(msg["edited"])
        except (TypeError, ValueError, OverflowError, OSError):
            raise _BadMessage(f"bad edit date (edited_unixtime={msg.get('edited_unixtime')!r:.40}, "
                              f"edited={msg.get('edited')!r:.40})") from None
        if abs(edited - _EPOCH) <= _MAX_UTC_OFFSET:
            edited = None
    text = msg.get("text")
    if text is None:
        text = msg.get("text_entities", "")
    if type(text) is str:
        links = hashtags = None  # the table builder finds them in the text
    else:
        try:
            text, links, hashtags = flatten_parts(text)
        except TypeError as error:
            raise _BadMessage(str(error)) from None
    reactions = by_emoji = None
    if "reactions" in msg:
        try:
            reactions, by_emoji = _reactions(msg["reactions"])
        except (KeyError, TypeError, AttributeError):
            raise _BadMessage("malformed reactions") from None
    reply_to = msg.get("reply_to_message_id")
    if reply_to is not None and (type(reply_to) is not int or "reply_to_peer_id" in msg):
        reply_to = None
    media_type = _media_type(msg)
    forwarded_from = msg.get("forwarded_from")
    if forwarded_from is None and "forwarded_from" in msg:
        forwarded_from = UNNAMED_ORIGIN
    return {
        "channel": channel,
        "message_id": message_id,
        "date": date,
        "text": text,
        "forwarded_from": forwarded_from,
        "reply_to_message_id": reply_to,
        "edited": edited,
        "reactions": reactions,
        "reactions_by_emoji": by_emoji,
        "views": msg.get("views"),
        "forwards": msg.get("forwards"),
        "links": links,
        "hashtags": hashtags,
        "has_media": media_type is not None,
        "media_type": media_type,
        "source": source,
    }


def _channel_name(meta: dict, path) -> str:
    name = meta.get("name")
    if name:
        return name
    if meta.get("id") is not None:
        return str(meta["id"])
    return f"{Path(path).stem}#chat{meta.get('chat_index', 0)}"


def read(path, *, stats: IngestStats, skip_bad: bool = False, chat_types=None, include_chats=None,
         **options) -> Iterator[dict]:
    """Yield one post dict per message of a Telegram Desktop JSON export (see the module doc)."""
    if options:
        raise TypeError(f"desktop_json.read got unknown option(s): {', '.join(sorted(options))}")
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "no such file" if not path.exists() else "not a file (give the export's result.json)")
    if path.stat().st_size == 0:
        raise InputError(path, "empty file: no JSON content")
    parser = stream.backend()
    layout, meta = stream.scan_layout(path, parser)
    chat_filter = _chat_filter(chat_types, include_chats)
    source_prefix = f"{path}#"
    current_chat = None
    chat_position = 0
    channel = ""
    with open(path, "rb") as raw:
        messages = (stream.single_chat(raw, path, parser, meta) if layout == "single"
                    else stream.account(raw, path, parser, chat_filter, stats.chats_left_out))
        for chat, msg in messages:
            if chat is not current_chat:
                current_chat, chat_position = chat, 0
                channel = _channel_name(chat, path)
                if "chat_index" in chat:
                    source_prefix = f"{path}#chat{chat['chat_index']}/"
            else:
                chat_position += 1
            kind = msg.get("type") if type(msg) is dict else None
            if kind == "message":
                try:
                    post = _post(msg, channel, f"{source_prefix}{chat_position}")
                    post["chat_id"] = chat.get("id")
                    yield post
                    continue
                except _BadMessage as error:
                    reason = str(error)
            elif kind == "service":
                stats.service_messages += 1
                continue
            elif kind == "unsupported":
                stats.skip(f"{path}: {_location(channel, chat_position, msg)}",
                           "message type not supported by the exporter (no date or text exported)")
                continue
            else:
                reason = ("message is not an object" if type(msg) is not dict
                          else f"unknown message type {kind!r:.40}")
            location = _location(channel, chat_position, msg)
            if not skip_bad:
                raise InputError(path, reason, location=location)
            stats.skip(f"{path}: {location}", reason)


def _location(channel: str, position: int, msg) -> str:
    message_id = msg.get("id") if type(msg) is dict else None
    where = f"chat {channel!r}, message #{position}"
    return f"{where} (id {message_id})" if message_id is not None else where
