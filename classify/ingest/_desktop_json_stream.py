"""Streaming the message objects out of a Telegram Desktop ``result.json`` (used by ``desktop_json``).

Every stream yields ``(chat metadata, message object)`` pairs and turns JSON
errors into :class:`InputError` with the byte offset.

Pretty-printed exports (Telegram Desktop's own layout, or ``json.dump(indent=1)``
of it) only put newlines between tokens, so the indentation tells the nesting:
a message object at indentation ``i`` ends with a newline, exactly ``i`` spaces
and ``}``, and nothing inside it starts a line that way. Such files are cut into
messages on those bytes and each message is decoded by orjson, the fastest path.
Any surprise (a decode error, a truncated array, other formatting) hands the
array to ijson, which resumes after the messages already yielded and reports
errors with their offset. Other layouts are streamed by ijson alone.
"""
from __future__ import annotations

import json
from codecs import BOM_UTF8
import re
from pathlib import Path
from typing import Iterator

import ijson

from classify.errors import InputError

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a core dependency; ijson alone still works
    orjson = None

_BUF_SIZE = 256 * 1024
_SPLIT_BLOCK = 4 << 20
_SCAN_BLOCK = 1 << 20
_MAX_MESSAGE_BYTES = 64 << 20  # far above any message; guards memory if the layout guess is wrong
_CHAT_LISTS = ("chats.list.item", "left_chats.list.item")
_ROUTED_PREFIX = "m"
# single-chat export: messages at 2 spaces; full-account export: chats at 3, their keys at 4, messages at 5
_SINGLE_MESSAGES = re.compile(rb'\n "messages": \[')
_ACCOUNT_START = b'{\n "about": '
_CHAT_ITEM = b'\n   {\n    "'
_CHAT_MESSAGES = b'\n    "messages": ['
_CHAT_END = b"\n   }"
_CHAT_KEY = re.compile(rb'\n    "(name|type|id)": ("(?:[^"\\\n]|\\.)*"|null|-?\d+)')
_HEADER_WINDOW = 64 * 1024


def backend():
    """ijson's C backend when built, else its best available one."""
    try:
        return ijson.get_backend("yajl2_c")
    except ImportError:  # pure-Python fallback: correct, several times slower
        return ijson


class _CountingReader:
    """File wrapper remembering how many bytes were read and the last chunk, for error offsets."""

    def __init__(self, raw, start: int = 0):
        self._raw = raw
        self.offset = start
        self.chunk = b""
        self.chunk_start = start

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self.chunk_start, self.chunk = self.offset, data
            self.offset += len(data)
        return data


class _ArrayReader(_CountingReader):
    """The bytes of one pretty-printed array, from its ``[`` through the ``]`` closing it."""

    def __init__(self, raw, start: int, closing: bytes):
        raw.seek(start)
        super().__init__(raw, start)
        self._closing = closing
        self._tail = b""
        self.end: int | None = None

    def read(self, size: int = -1) -> bytes:
        if self.end is not None or size == 0:
            return b""
        data = self._raw.read(size if size > 0 else _BUF_SIZE)
        if not data:
            return data
        combined = self._tail + data
        found = combined.find(self._closing)
        if found >= 0:
            data = data[:found + len(self._closing) - len(self._tail)]
            self.end = self.offset + len(data)
        else:
            self._tail = combined[-(len(self._closing) - 1):]
        self.chunk_start, self.chunk = self.offset, data
        self.offset += len(data)
        return data


def _error_offset(message: str | bytes, reader: _CountingReader) -> str:
    """Byte position of a yajl syntax error, recovered from the context it prints."""
    lines = message.split(b"\n" if isinstance(message, bytes) else "\n")
    if len(lines) < 2:
        return f"bytes {reader.chunk_start}-{reader.offset}"
    context = lines[1] if isinstance(lines[1], bytes) else lines[1].encode("utf-8", "replace")
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


def _first_non_utf8(reader: _CountingReader) -> str:
    """Byte position of the first byte that is not UTF-8 in the chunk just read."""
    chunk, start = reader.chunk, 0
    while reader.chunk_start and start < min(3, len(chunk)) and 0x80 <= chunk[start] < 0xC0:
        start += 1  # the end of a character begun in the previous chunk
    try:
        chunk[start:].decode("utf-8")
    except UnicodeDecodeError as error:
        if error.end < len(chunk) - start:  # not just a character cut by the chunk's end
            return f"byte {reader.chunk_start + start + error.start}"
    return f"bytes {reader.chunk_start}-{reader.offset}"


def json_error(path, error: Exception, reader: _CountingReader) -> InputError:
    # yajl's message is bytes when the context it quotes is not UTF-8; ijson's Python backend
    # wraps the UnicodeDecodeError itself
    detail = error.args[0] if error.args else ""
    if isinstance(detail, UnicodeDecodeError) or isinstance(detail, bytes) and b"invalid bytes in UTF8" in detail:
        return InputError(path, "not UTF-8 text; save the file as UTF-8 (no characters were replaced)",
                          location=_first_non_utf8(reader))
    message = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(error)
    first = message.split("\n", 1)[0].strip() or type(error).__name__
    if "premature EOF" in message or "Incomplete JSON" in message:
        if reader.offset == 0 or not reader.chunk.strip() and reader.chunk_start == 0:
            return InputError(path, "empty file: no JSON content")
        return InputError(path, "truncated JSON (unexpected end of file)", location=f"byte {reader.offset}")
    return InputError(path, f"invalid JSON ({first})",
                      location=_error_offset(detail if isinstance(detail, bytes) else message, reader))


def _seek_json(raw) -> int:
    """Seek to the JSON text, past a UTF-8 byte order mark (editors such as Notepad add one); its offset."""
    raw.seek(0)
    start = len(BOM_UTF8) if raw.read(len(BOM_UTF8)) == BOM_UTF8 else 0
    raw.seek(start)
    return start


def scan_layout(path, parser) -> tuple[str, dict]:
    """('single', chat metadata) or ('account', {}) from the keys before the message arrays."""
    meta: dict = {}
    with open(path, "rb") as raw:
        reader = _CountingReader(raw, _seek_json(raw))
        try:
            for prefix, event, value in parser.parse(reader, buf_size=64 * 1024):
                if prefix == "" and event not in ("start_map", "map_key"):
                    raise InputError(path, "not a Telegram Desktop export: the JSON root is not an object")
                if prefix in ("name", "type", "id") and event != "map_key":
                    meta[prefix] = value
                elif prefix == "messages" and event == "start_array":
                    return "single", meta
                elif prefix in ("chats", "left_chats") and event == "start_map":
                    return "account", {}
        except ijson.JSONError as error:
            raise json_error(path, error, reader) from None
    raise InputError(path, "not a Telegram Desktop export: no 'messages' list and no 'chats' section")


# ``\xHH`` preceded by an even number of backslashes (an odd number escapes the backslash itself)
_TDESKTOP_ESCAPE = re.compile(rb"(?<!\\)((?:\\\\)*)\\x([0-9A-Fa-f]{2})")


def _tdesktop_escapes_to_json(data: bytes) -> bytes:
    """``data`` with Telegram Desktop's ``\\xHH`` string escapes spelt the JSON way, ``\\u00HH``."""
    return _TDESKTOP_ESCAPE.sub(rb"\1\\u00\2", data) if b"\\x" in data else data


class _NotPretty(Exception):
    """The bytes do not follow the pretty-printed layout (or are cut short)."""


class _Span:
    end: int | None = None


def _split_array(raw, start: int, indent: bytes, span: _Span) -> Iterator[dict]:
    """Message objects of the array at ``start``, cut on their closing lines and decoded by orjson."""
    outer = indent[:-1]
    raw.seek(start)
    head = raw.read(len(indent) + 3)
    for empty in (b"[]", b"[\n" + outer + b"]"):
        if head.startswith(empty):
            span.end = start + len(empty)
            return
    opening = b"[\n" + indent + b"{"
    if not head.startswith(opening):
        raise _NotPretty
    separator = b"\n" + indent + b"},\n" + indent + b"{"
    closing = b"\n" + indent + b"}\n" + outer + b"]"
    loads = orjson.loads
    position = start + len(opening)  # file offset of carry[0]
    raw.seek(position)
    carry = b""
    while True:
        block = raw.read(_SPLIT_BLOCK)
        buffer = carry + block if carry else block
        end = buffer.find(closing)
        if end >= 0:
            pieces, carry = buffer[:end].split(separator), None
        elif not block or len(buffer) > _MAX_MESSAGE_BYTES:  # cut short, or not this layout after all
            raise _NotPretty
        else:
            pieces = buffer.split(separator)
            carry = pieces.pop()
            position += len(buffer) - len(carry)
        for piece in pieces:
            try:
                message = loads(b"{" + piece + b"}")
            except orjson.JSONDecodeError:
                message = _loads_with_tdesktop_escapes(b"{" + piece + b"}")
            yield message
        if carry is None:
            span.end = position + end + len(closing)
            return


def _loads_with_tdesktop_escapes(data: bytes) -> dict:
    """orjson's decoding of a message that failed to decode as it stands: Telegram Desktop writes the
    control characters other than tab, CR and LF as ``\\xHH``, which JSON does not allow (tdesktop
    issue 27571). Anything else wrong hands the array over to ijson."""
    repaired = _tdesktop_escapes_to_json(data)
    if repaired is not data:
        try:
            return orjson.loads(repaired)
        except orjson.JSONDecodeError:
            pass
    raise _NotPretty


def _array_messages(raw, path, parser, start: int, indent: bytes, span: _Span) -> Iterator[dict]:
    """Messages of one pretty-printed array: split and orjson, else ijson resuming where that stopped."""
    done = 0
    if orjson is not None:
        try:
            for msg in _split_array(raw, start, indent, span):
                done += 1
                yield msg
            return
        except _NotPretty:
            pass
    reader = _ArrayReader(raw, start, b"\n" + indent[:-1] + b"]")
    try:
        for index, msg in enumerate(parser.items(reader, "item", buf_size=_BUF_SIZE, use_float=True)):
            if index >= done:
                yield msg
    except ijson.JSONError as error:
        raise json_error(path, error, reader) from None
    if reader.end is None:
        raise InputError(path, "truncated JSON (unexpected end of file)", location=f"byte {reader.offset}")
    span.end = reader.end


def _check_tail(raw, path, pos: int) -> None:
    """After the last message array only closing brackets may follow: else the file was cut."""
    size = Path(path).stat().st_size
    raw.seek(max(size - 16, pos))
    if not raw.read().rstrip().endswith(b"}"):
        raise InputError(path, "truncated JSON (unexpected end of file)", location=f"byte {size}")


def single_chat(raw, path, parser, meta: dict) -> Iterator[tuple[dict, dict]]:
    """Messages of a single-chat export."""
    start = _seek_json(raw)
    head = raw.read(64 * 1024)
    match = _SINGLE_MESSAGES.search(head) if head.startswith(b'{\n "') else None
    if match:
        span = _Span()
        for msg in _array_messages(raw, path, parser, start + match.end() - 1, b"  ", span):
            yield meta, msg
        _check_tail(raw, path, span.end)
        return
    raw.seek(start)
    reader = _CountingReader(raw, start)
    try:
        for msg in parser.items(reader, "messages.item", buf_size=_BUF_SIZE, use_float=True):
            yield meta, msg
    except ijson.JSONError as error:
        raise json_error(path, error, reader) from None


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
    """``(position of the chat's '[', chat metadata)`` of the next chat object at or after ``pos``.

    A chat is an object at 3 spaces whose key ``"messages"`` (at 4 spaces) comes
    before the object closes; its ``name``, ``type`` and ``id`` are the one-line
    keys before it, in any order and among any others.
    """
    while True:
        at = _find(raw, _CHAT_ITEM, pos)
        if at < 0:
            return None
        for size in (4096, _HEADER_WINDOW):  # most objects (contacts, sessions) end within a few lines
            raw.seek(at)
            window = raw.read(size)
            key = window.find(_CHAT_MESSAGES)
            end = window.find(_CHAT_END)
            if key >= 0 or end >= 0:
                break
        if key >= 0 and (end < 0 or key < end):
            meta = {name.decode(): json.loads(_tdesktop_escapes_to_json(value))
                    for name, value in _CHAT_KEY.findall(window, 0, key)}
            return at + key + len(_CHAT_MESSAGES) - 1, meta
        pos = at + 1


def account(raw, path, parser, chat_filter, left_out: dict) -> Iterator[tuple[dict, dict]]:
    """Messages of the wanted chats (``chat_filter``: set of chat types, None for all) of a full-account export;
    ``left_out`` counts the other chats by type."""
    _seek_json(raw)
    if raw.read(len(_ACCOUNT_START)) != _ACCOUNT_START:
        yield from _account_any_layout(raw, path, parser, chat_filter, left_out)
        return
    pos = 0
    index = -1
    while (found := _next_chat(raw, pos)) is not None:
        start, meta = found
        index += 1
        chat = {"chat_index": index, **meta}
        if chat_filter is None or chat["type"] in chat_filter:
            span = _Span()
            for msg in _array_messages(raw, path, parser, start, b"     ", span):
                yield chat, msg
            pos = span.end
        else:  # skipped unparsed: only find where its array closes
            left_out[chat["type"]] = left_out.get(chat["type"], 0) + 1
            raw.seek(start)
            if raw.read(2) == b"[]":
                pos = start + 2
                continue
            end = _find(raw, b"\n    ]", start)
            if end < 0:
                raise InputError(path, "truncated JSON (unexpected end of file)",
                                 location=f"byte {Path(path).stat().st_size}")
            pos = end + len(b"\n    ]")
    if index < 0:  # no chat in the expected layout: let the event stream look
        yield from _account_any_layout(raw, path, parser, chat_filter, left_out)
        return
    _check_tail(raw, path, pos)


def _account_any_layout(raw, path, parser, chat_filter, left_out: dict) -> Iterator[tuple[dict, dict]]:
    """Full-account export in any JSON layout, through ijson's event stream.

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
                    if not keep:
                        left_out[chat.get("type")] = left_out.get(chat.get("type"), 0) + 1
                elif key in ("name", "type", "id"):
                    chat[key] = event_tuple[2]

    reader = _CountingReader(raw, _seek_json(raw))
    try:
        events = parser.parse(reader, buf_size=_BUF_SIZE, use_float=True)
        for msg in parser.items(route(events), _ROUTED_PREFIX):
            yield chat, msg
    except ijson.JSONError as error:
        raise json_error(path, error, reader) from None
