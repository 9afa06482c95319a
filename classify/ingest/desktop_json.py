"""Reader for Telegram Desktop JSON exports (``result.json``).

Two layouts are read, both streamed with ijson (the C backend when installed),
so memory stays flat for exports of several gigabytes:

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
  if they were UTC (they may be off by the exporter's UTC offset).
* ``reactions`` is the sum of ``reactions[].count``; ``reactions_by_emoji`` keys
  are the emoji, ``custom:<document_id>`` for custom emoji and ``paid`` for paid
  reactions. Both are null when the message has no ``reactions`` field.
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

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import ijson

from classify.errors import InputError
from classify.ingest._base import IngestStats
from classify.ingest.entities import flatten_parts, reaction_key, scan_plain

CHANNEL_TYPES = frozenset({"public_channel", "private_channel"})
_BUF_SIZE = 256 * 1024
_SINGLE_PREFIX = "messages.item"
_CHAT_LISTS = ("chats.list.item", "left_chats.list.item")
_ROUTED_PREFIX = "m"

# keys that carry media, in the order Telegram Desktop writes them, with the media_type they imply
_MEDIA_KEYS = (
    ("photo", "photo"), ("file", "file"), ("poll", "poll"), ("location_information", "location"),
    ("place_name", "venue"), ("contact_information", "contact"), ("game_title", "game"),
    ("invoice_information", "invoice"), ("giveaway_information", "giveaway"),
    ("giveaway_results", "giveaway_results"), ("paid_stars_amount", "paid_media"),
)
_MEDIA_KEY_SET = frozenset(key for key, _ in _MEDIA_KEYS) | {"media_type"}
_HEAD_SINGLE = re.compile(rb'"type"\s*:\s*"[a-z_]*"\s*,\s*"id"\s*:\s*-?\d+\s*,\s*"messages"\s*:\s*\[')
_HEAD_ACCOUNT_KEYS = (b'"personal_information"', b'"chats"', b'"left_chats"', b'"profile_pictures"',
                      b'"frequent_contacts"', b'"contacts"')
_UTC = timezone.utc
# Pretty-printed exports (Telegram Desktop's own layout, or json.dump(indent=1) of it) put a
# newline only between tokens, so indentation tells the nesting: chats are list items at
# 3 spaces, their keys at 4, and a chat's messages array closes with "\n    ]".
_ACCOUNT_START = b'{\n "about": '
_CHAT_ITEM = b'\n   {\n    "'
_CHAT_HEADER = re.compile(rb'\n   \{\n(?:    "name": ("(?:[^"\\\n]|\\.)*"|null),\n)?    "type": ("[^"\\\n]*"|null),\n'
                          rb'    "id": (-?\d+),\n    "messages": \[')
_CHAT_MESSAGES_END = b"\n    ]"
_SCAN_BLOCK = 1 << 20


def _backend():
    try:
        return ijson.get_backend("yajl2_c")
    except ImportError:  # pure-Python fallback: correct, several times slower
        return ijson


def sniff(path: Path, head: bytes) -> bool:
    """A JSON file that opens like a Telegram Desktop export (single chat or full account)."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start.startswith(b"{"):
        return False
    if _HEAD_SINGLE.search(start):
        return True
    return start[1:].lstrip().startswith(b'"about"') and any(key in start for key in _HEAD_ACCOUNT_KEYS)


class _CountingReader:
    """File wrapper remembering how many bytes were read and the last chunk, for error offsets."""

    def __init__(self, raw):
        self._raw = raw
        self.offset = 0
        self.chunk = b""
        self.chunk_start = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self.chunk_start = self.offset
            self.chunk = data
            self.offset += len(data)
        return data


def _error_offset(message: str, reader: _CountingReader) -> str:
    """Byte position of a yajl syntax error, recovered from the context it prints."""
    lines = message.split("\n")
    if len(lines) < 2:
        return f"bytes {reader.chunk_start}-{reader.offset}"
    context = lines[1].encode("utf-8", "replace")
    chunk = reader.chunk.replace(b"\n", b" ").replace(b"\r", b" ")
    # yajl pads the context so its error offset (just past the offending byte) sits at
    # column 40: 40-k spaces when the offset is k < 30 bytes into the chunk, else
    # 10 spaces and the 30 bytes before it
    for pad in range(11, 41):
        text = context[pad:]
        if (context[:pad].strip() == b"" and len(text) == min(70 - pad, len(chunk))
                and chunk.startswith(text)):
            return f"byte {reader.chunk_start + max(40 - pad - 1, 0)}"
    text = context[10:]
    found = chunk.find(text) if text.strip() else -1
    if found >= 0:
        return f"byte {reader.chunk_start + found + 29}"
    return f"bytes {reader.chunk_start}-{reader.offset}"


def _json_error(path, error: Exception, reader: _CountingReader) -> InputError:
    message = str(error)
    first = message.split("\n", 1)[0].strip() or type(error).__name__
    if "premature EOF" in message or "Incomplete JSON" in message:
        if reader.offset == 0 or not reader.chunk.strip() and reader.chunk_start == 0:
            return InputError(path, "empty file: no JSON content")
        return InputError(path, "truncated JSON (unexpected end of file)", location=f"byte {reader.offset}")
    return InputError(path, f"invalid JSON ({first})", location=_error_offset(message, reader))


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


def _scan_layout(path, backend) -> tuple[str, dict]:
    """('single', chat metadata) or ('account', {}) from the keys before the message arrays."""
    meta: dict = {}
    with open(path, "rb") as raw:
        reader = _CountingReader(raw)
        try:
            for prefix, event, value in backend.parse(reader, buf_size=64 * 1024):
                if prefix == "" and event not in ("start_map", "map_key"):
                    raise InputError(path, "not a Telegram Desktop export: the JSON root is not an object")
                if prefix in ("name", "type", "id") and event != "map_key":
                    meta[prefix] = value
                elif prefix == "messages" and event == "start_array":
                    return "single", meta
                elif prefix in ("chats", "left_chats") and event == "start_map":
                    return "account", {}
        except ijson.JSONError as error:
            raise _json_error(path, error, reader) from None
    raise InputError(path, "not a Telegram Desktop export: no 'messages' list and no 'chats' section")


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
        raise _BadMessage("missing message id" if message_id is None else f"message id is not an integer: {message_id!r:.40}")
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
    text = msg.get("text")
    if text is None:
        text = msg.get("text_entities", "")
    if type(text) is str:
        links, hashtags = scan_plain(text) if text else ([], [])
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
    return {
        "channel": channel,
        "message_id": message_id,
        "date": date,
        "text": text,
        "forwarded_from": msg.get("forwarded_from"),
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


def _messages_single(raw, path, backend, meta: dict) -> Iterator[tuple[dict, dict]]:
    reader = _CountingReader(raw)
    try:
        for msg in backend.items(reader, _SINGLE_PREFIX, buf_size=_BUF_SIZE, use_float=True):
            yield meta, msg
    except ijson.JSONError as error:
        raise _json_error(path, error, reader) from None


class _ArrayReader(_CountingReader):
    """One chat's messages array of a pretty-printed full-account export, from its '[' to its ']'."""

    def __init__(self, raw, start: int):
        super().__init__(raw)
        raw.seek(start)
        self.offset = start
        self.end: int | None = None
        self._tail = b""

    def read(self, size: int = -1) -> bytes:
        if self.end is not None or size == 0:
            return b""
        data = self._raw.read(size if size > 0 else _BUF_SIZE)
        if not data:
            return data
        combined = self._tail + data
        found = combined.find(_CHAT_MESSAGES_END)
        if found >= 0:
            data = data[:found + len(_CHAT_MESSAGES_END) - len(self._tail)]
            self.end = self.offset + len(data)
        else:
            self._tail = combined[-(len(_CHAT_MESSAGES_END) - 1):]
        self.chunk_start, self.chunk = self.offset, data
        self.offset += len(data)
        return data


def _find(raw, needle: bytes, pos: int) -> int:
    """Absolute position of ``needle`` at or after ``pos``, -1 when absent (reads in blocks)."""
    while True:
        raw.seek(pos)
        block = raw.read(_SCAN_BLOCK)
        found = block.find(needle)
        if found >= 0:
            return pos + found
        if len(block) < _SCAN_BLOCK:
            return -1
        pos += len(block) - len(needle) + 1


def _next_chat(raw, pos: int):
    while True:
        at = _find(raw, _CHAT_ITEM, pos)
        if at < 0:
            return None
        raw.seek(at)
        match = _CHAT_HEADER.match(raw.read(4096))
        if match:
            return at, match
        pos = at + 1


def _messages_account_pretty(raw, path, backend, chat_filter) -> Iterator[tuple[dict, dict]]:
    """Messages of the wanted chats of a pretty-printed full-account export.

    Each chat's messages array is found by its indentation and handed alone to
    ijson's C parser; the arrays of unwanted chats are skipped unparsed.
    """
    size = path.stat().st_size
    truncated = InputError(path, "truncated JSON (unexpected end of file)", location=f"byte {size}")
    pos = 0
    index = -1
    while (found := _next_chat(raw, pos)) is not None:
        at, match = found
        index += 1
        chat = {"chat_index": index, "name": json.loads(match[1]) if match[1] else None,
                "type": json.loads(match[2]), "id": int(match[3])}
        start = at + match.end() - 1
        raw.seek(start + 1)
        if raw.read(1) == b"]":
            pos = start + 2
            continue
        if chat_filter is None or chat["type"] in chat_filter:
            reader = _ArrayReader(raw, start)
            try:
                for msg in backend.items(reader, "item", buf_size=_BUF_SIZE, use_float=True):
                    yield chat, msg
            except ijson.JSONError as error:
                raise _json_error(path, error, reader) from None
            if reader.end is None:
                raise truncated
            pos = reader.end
        else:
            end = _find(raw, _CHAT_MESSAGES_END, start)
            if end < 0:
                raise truncated
            pos = end + len(_CHAT_MESSAGES_END)
    raw.seek(max(size - 16, pos))
    if not raw.read().rstrip().endswith(b"}"):
        raise truncated


def _messages_account(raw, path, backend, chat_filter) -> Iterator[tuple[dict, dict]]:
    """Messages of the wanted chats of a full-account export in any JSON layout.

    ijson's C builder assembles the messages; a small router in front of it follows
    the chat objects, drops the messages of unwanted chats and renames the item
    prefix of both chat lists to one prefix for the builder. Every event passes
    through Python, so this is about half the speed of the pretty-printed path.
    """
    chat: dict = {}

    def route(events):
        nonlocal chat
        messages_prefix = item_prefix = None
        keep = False
        for event_tuple in events:
            prefix = event_tuple[0]
            if messages_prefix is not None:
                if prefix == item_prefix:
                    if keep:
                        yield _ROUTED_PREFIX, event_tuple[1], event_tuple[2]
                elif prefix == messages_prefix:
                    messages_prefix = None
                elif keep:
                    yield event_tuple
                continue
            if prefix in _CHAT_LISTS:
                if event_tuple[1] == "start_map":
                    chat = {"chat_index": chat.get("chat_index", -1) + 1}
                continue
            base, _, key = prefix.rpartition(".")
            if base in _CHAT_LISTS and event_tuple[1] != "map_key":
                if key == "messages" and event_tuple[1] == "start_array":
                    messages_prefix, item_prefix = prefix, prefix + ".item"
                    keep = chat_filter is None or chat.get("type") in chat_filter
                elif key in ("name", "type", "id"):
                    chat[key] = event_tuple[2]

    reader = _CountingReader(raw)
    try:
        events = backend.parse(reader, buf_size=_BUF_SIZE, use_float=True)
        for msg in backend.items(route(events), _ROUTED_PREFIX):
            yield chat, msg
    except ijson.JSONError as error:
        raise _json_error(path, error, reader) from None


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
    if path.stat().st_size == 0:
        raise InputError(path, "empty file: no JSON content")
    backend = _backend()
    layout, meta = _scan_layout(path, backend)
    chat_filter = _chat_filter(chat_types, include_chats)
    source_prefix = f"{path}#"
    current_chat = None
    chat_position = 0
    channel = ""
    with open(path, "rb") as raw:
        if layout == "single":
            stream = _messages_single(raw, path, backend, meta)
        elif raw.read(len(_ACCOUNT_START)) == _ACCOUNT_START:
            stream = _messages_account_pretty(raw, path, backend, chat_filter)
        else:
            stream = _messages_account(raw, path, backend, chat_filter)
        raw.seek(0)
        for chat, msg in stream:
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
                    yield _post(msg, channel, f"{source_prefix}{chat_position}")
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
