"""Reader for Telethon-style dumps and plain post tables (JSONL, JSON list, CSV/TSV, Parquet).

Two layouts, told apart per file by :func:`detect_layout` (or forced with ``layout=``):

``telethon``
    records with ``message_id`` (or Telethon's own ``Message.to_dict()`` shape:
    ``id`` + ``peer_id``), ``channel``/``sender_id``, ``date``, ``text`` (or
    ``message``), ``views``, ``forwards``, ... The post id is built as
    ``<channel>/<message_id>`` by the table builder.
``table``
    any records with a ``text`` column and, usually, an ``id``; the input ``id``
    is kept as the post id.

``text`` is kept as written (Telethon keeps Telegram markdown such as
``**bold**`` and ``[label](url)``); links (markdown targets and bare URLs) and
hashtags are read from it, unless the records carry them as lists (the post tables
``classify ingest`` writes, whose ``reactions_by_emoji`` are kept too), so such a table
reads back as the same posts. Unknown columns are ignored.

JSON lines are read in blocks of about 2 MB. :func:`read_columns` (what the table
builder uses) parses a block with Arrow's JSON reader straight into columns when all
its records are flat (text, message id, channel or sender id, ISO date, view and
forward counts, any fields this reader ignores); other blocks, and every error, go
through the record-by-record conversion of :func:`read`, which stays the definition.

Errors name the file and the line (JSONL, CSV) or record (JSON list): invalid
JSON, a record without text, a bad number or date raise :class:`InputError`
unless ``skip_bad``; bytes that are not UTF-8 always raise, with the byte
offset, because the whole file is then in another encoding.
"""
from __future__ import annotations

import csv
import io
from codecs import BOM_UTF8
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from classify.errors import InputError
from classify.ingest._base import IngestStats, PostColumns
from classify.ingest.entities import reaction_key, scan_plain

try:  # orjson parses JSON lines about 1.5x faster; the stdlib is the fallback
    from orjson import JSONDecodeError as _JSONError, loads as _loads
except ImportError:  # pragma: no cover
    from json import JSONDecodeError as _JSONError, loads as _loads

LAYOUTS = ("telethon", "table")
_TABLE_SUFFIXES = (".csv", ".tsv")
_JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
_PARQUET_SUFFIX = ".parquet"
_PARQUET_MAGIC = b"PAR1"
_TEXT_COLUMNS = ("text", "message")
_UTC = timezone.utc


class _BadRecord(ValueError):
    pass


# --- format detection -------------------------------------------------------

def _first_record(path: Path, head: bytes):
    """The first record in ``head`` as a dict (CSV: header names -> ''), or None when it does not parse."""
    head = head.removeprefix(BOM_UTF8)
    suffix = path.suffix.lower()
    if suffix == _PARQUET_SUFFIX:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            return dict.fromkeys(pq.read_schema(path).names, "")
        except (pa.ArrowException, OSError):
            return None
    if suffix in _TABLE_SUFFIXES:
        header = head.split(b"\n", 1)[0].decode("utf-8", "replace").strip("\r")
        names = next(csv.reader([header], delimiter=_delimiter(path, header)), [])
        return dict.fromkeys((name.strip() for name in names), "")
    start = head.lstrip()
    if start.startswith(b"["):
        # A JSON list: look at the first object only.
        start = start[1:].lstrip()
        depth, end = 0, -1
        for index, byte in enumerate(start):
            if byte == 0x7B:
                depth += 1
            elif byte == 0x7D:
                depth -= 1
                if depth == 0:
                    end = index + 1
                    break
        start = start[:end] if end > 0 else b""
    else:
        start = start.split(b"\n", 1)[0]
    try:
        record = _loads(start)
    except (_JSONError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def sniff(path: Path, head: bytes) -> bool:
    """A JSONL or CSV/TSV file (by extension: the reader then explains what is wrong with it),
    a ``.json`` file holding a list of records or one record per line, or a ``.txt`` file of
    such records with a text field."""
    if path.is_dir():
        return False
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson") + _TABLE_SUFFIXES:
        return True
    if suffix == _PARQUET_SUFFIX:
        return head.startswith(_PARQUET_MAGIC)
    if suffix == ".txt":  # JSON lines saved as .txt: records with a text, never a copied web preview
        record = _first_record(path, head)
        return record is not None and any(column in record for column in _TEXT_COLUMNS)
    if suffix != ".json":
        return False
    start = head.removeprefix(BOM_UTF8).lstrip()
    if start.startswith(b"["):
        return True
    record = _first_record(path, head)
    return record is not None and "messages" not in record


def detect_layout(path: Path, head: bytes) -> str:
    """'telethon' when the first record carries a Telegram message id, else 'table'."""
    record = _first_record(path, head)
    if record is None:  # a first record longer than the head: look for the telling keys
        return "telethon" if b'"message_id"' in head or b'"peer_id"' in head else "table"
    return "telethon" if "message_id" in record or _is_telethon_message(record) else "table"


def _is_telethon_message(record: dict) -> bool:
    return "peer_id" in record or record.get("_") == "Message"


# --- field conversion -------------------------------------------------------

def _integer(record: dict, *names):
    for name in names:
        value = record.get(name)
        if value is None or value == "":
            continue
        if type(value) is int:
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise _BadRecord(f"{name} is not an integer: {value!r:.40}")
    return None


def _datetime(record: dict, *names):
    for name in names:
        value = record.get(name)
        if value is None or value == "":
            continue
        if isinstance(value, datetime):  # Parquet timestamps
            return value if value.tzinfo else value.replace(tzinfo=_UTC)
        try:
            if isinstance(value, str):  # the usual case first
                value = value.strip()
                if value.endswith("Z"):
                    value = value[:-1] + "+00:00"
                parsed = datetime.fromisoformat(value)
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=_UTC)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return datetime.fromtimestamp(value, _UTC)
        except (ValueError, OverflowError, OSError):
            pass
        if isinstance(value, str) and value.isascii() and value.isdigit() and 9 <= len(value) <= 11:
            return datetime.fromtimestamp(int(value), _UTC)  # Unix time written as text: CSV cells, Desktop's strings
        raise _BadRecord(f"{name} is not a date: {value!r:.40}")
    return None


def _reactions(value):
    """(total, {emoji: count}) from an int, {emoji: count}, a list of {emoji/reaction, count}
    or Telethon's ``MessageReactions`` dict."""
    if value is None or value == "":
        return None, None
    if isinstance(value, str):
        try:
            value = _loads(value) if value.strip()[:1] in ("{", "[") else int(value)
        except (_JSONError, ValueError):
            raise _BadRecord(f"reactions not understood: {value!r:.40}") from None
    if type(value) is int:
        return value, None
    if isinstance(value, dict) and "results" in value:
        value = value["results"]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = []
        for item in value:
            if not isinstance(item, dict):
                raise _BadRecord(f"reaction not understood: {item!r:.40}")
            emoji = item.get("emoji") or item.get("emoticon") or item.get("reaction")
            if isinstance(emoji, dict):  # Telethon ReactionEmoji / ReactionCustomEmoji / ReactionPaid
                kind = {"ReactionCustomEmoji": "custom_emoji", "ReactionPaid": "paid"}.get(emoji.get("_"), "emoji")
                emoji = reaction_key(kind, emoji.get("emoticon"), emoji.get("document_id"))
            items.append((emoji or "unknown", item.get("count")))
    else:
        raise _BadRecord(f"reactions not understood: {value!r:.40}")
    by_emoji: dict = {}
    for emoji, count in items:
        if type(count) is not int:
            raise _BadRecord(f"reaction count is not an integer: {count!r:.40}")
        by_emoji[str(emoji)] = by_emoji.get(str(emoji), 0) + count
    return sum(by_emoji.values()), by_emoji


def _forwarded_from(record: dict):
    value = record.get("forwarded_from", record.get("fwd_from"))
    if value is None or value == "" or isinstance(value, str):
        return value or None
    if isinstance(value, dict):  # Telethon MessageFwdHeader
        source = value.get("from_name") or value.get("from_id")
        if isinstance(source, dict):
            source = next((v for k, v in source.items() if k.endswith("_id")), None)
        return None if source is None else str(source)
    return str(value)


def _is_link_preview(kind) -> bool:
    """Whether a media kind is a web page preview: webpage, web_page, MessageMediaWebPage, MessageMediaType.WEB_PAGE."""
    return str(kind).rsplit(".", 1)[-1].lower().removeprefix("messagemedia").replace("_", "") == "webpage"


def _media(record: dict):
    """(has_media, media_type); a link preview is no media, as in Telegram Desktop exports (its link is in links)."""
    kind = record.get("media_type") or None
    media = record.get("media")
    if isinstance(media, dict) and kind is None:  # Telethon: {"_": "MessageMediaPhoto", ...}
        kind = str(media.get("_", "media")).removeprefix("MessageMedia").lower() or "media"
    elif isinstance(media, str) and media and kind is None:
        kind = media
    if kind is not None and _is_link_preview(kind):
        return False, None
    flag = record.get("has_media")
    if isinstance(flag, str):
        flag = flag.strip().lower() in ("1", "true", "yes")
    return bool(flag or kind or (media and media not in ("", "0", "false", "False"))), kind


def _text_url_entities(entities) -> list[str]:
    """The URLs behind linked words: Telethon's ``Message.to_dict()`` keeps ``message`` as plain text and
    puts them in ``entities`` (``MessageEntityTextUrl``), where no scan of the text can find them."""
    if not isinstance(entities, list):
        return []
    return [entity["url"] for entity in entities if isinstance(entity, dict)
            and entity.get("_") == "MessageEntityTextUrl" and isinstance(entity.get("url"), str)]


def _strings_list(value) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def _channel(record: dict, default: str, chat_id):
    """The chat's name, else its id (``chat_id``, from :func:`_chat_id`), else the sender's id, else ``default``."""
    for name in ("channel", "channel_name", "chat", "username"):
        value = record.get(name)
        if value is not None and value != "":
            return str(value)
    if chat_id is not None:
        return str(chat_id)
    # A channel's own posts carry its id as sender; in a group the sender is the author, so the chat comes first.
    sender = record.get("sender_id")
    return default if sender is None or sender == "" else str(sender)


def _chat_id(record: dict):
    """The chat's id when the record gives one beside the chat's name (never the sender's id:
    in a group that is the author)."""
    for name in ("chat_id", "channel_id"):
        value = record.get(name)
        if value is not None and value != "":
            return value
    peer = record.get("peer_id")
    if isinstance(peer, dict):
        return next((v for k, v in peer.items() if k.endswith("_id")), None)
    return None


# Every field read by the converters of forwards, replies, edits, reactions, counts and media.
_OPTIONAL_FIELDS = frozenset({"forwarded_from", "fwd_from", "reply_to", "reply_to_message_id", "reply_to_msg_id",
                              "edited", "edit_date", "reactions", "views", "forwards", "media_type", "media",
                              "has_media", "entities"})


def _post(record, layout_name: str, channel: str, source: str) -> dict:
    if not isinstance(record, dict):
        raise _BadRecord(f"expected an object with a text field, got {type(record).__name__}")
    text = record.get("text")
    if text is None:
        text = record.get("message")
        if text is None and "text" not in record and "message" not in record:
            raise _BadRecord(f"no 'text' field (fields: {', '.join(map(str, record)) or 'none'})")
    if text is None:
        text = ""
    elif not isinstance(text, str):
        raise _BadRecord(f"text is not a string: {text!r:.40}")
    post_id = None
    if layout_name == "table":
        message_id = None
        raw_id = record.get("id")
        if raw_id is not None and raw_id != "":
            post_id = str(raw_id)
    else:
        message_id = _integer(record, "message_id") if "message_id" in record else (
            _integer(record, "id") if _is_telethon_message(record) else None)
        # Beside a message_id (or in a table without one), "id" is the table's own id: kept as the post id.
        if ("message_id" in record or message_id is None) and record.get("id") not in (None, ""):
            post_id = str(record["id"])
    links, hashtags = record.get("links"), record.get("hashtags")
    if not (_strings_list(links) and _strings_list(hashtags)):  # else a post table keeps what its reader found
        links = hashtags = None  # the table builder finds them in the text
    if _OPTIONAL_FIELDS.isdisjoint(record):  # a bare record (ids, date, text): nothing more to convert
        forwarded_from = reply_to_message_id = edited = reactions = by_emoji = views = forwards = media_type = None
        has_media = False
    else:
        forwarded_from = _forwarded_from(record)
        reply_to = record.get("reply_to")
        if not isinstance(reply_to, dict):
            reply_to_message_id = _integer(record, "reply_to_message_id", "reply_to_msg_id")
        elif reply_to.get("reply_to_peer_id") is not None:  # another chat's message: as in Desktop exports, no id
            reply_to_message_id = None
        else:
            reply_to_message_id = _integer(reply_to, "reply_to_msg_id")
        edited = _datetime(record, "edited", "edit_date")
        by_emoji = record.get("reactions_by_emoji")
        reactions, by_emoji = _reactions(by_emoji if isinstance(by_emoji, dict) else record.get("reactions"))
        views, forwards = _integer(record, "views"), _integer(record, "forwards")
        has_media, media_type = _media(record)
        entity_links = _text_url_entities(record.get("entities"))
        if entity_links:  # after those written in the text
            if links is None:
                links, hashtags = scan_plain(text)
            links = links + entity_links
    chat_id = _chat_id(record)
    post = {
        "channel": _channel(record, channel, chat_id),
        "message_id": message_id,
        "date": _datetime(record, "date"),
        "text": text,
        "forwarded_from": forwarded_from,
        "reply_to_message_id": reply_to_message_id,
        "edited": edited,
        "reactions": reactions,
        "reactions_by_emoji": by_emoji,
        "views": views,
        "forwards": forwards,
        "links": links,
        "hashtags": hashtags,
        "has_media": has_media,
        "media_type": media_type,
        "source": source,
    }
    if post_id is not None:
        post["id"] = post_id
    if chat_id is not None:
        post["chat_id"] = chat_id
    return post


# --- file readers -----------------------------------------------------------

def _not_utf8(path, error: UnicodeDecodeError, line_number: int, line_offset: int) -> InputError:
    return InputError(path, f"not UTF-8 text (byte 0x{error.object[error.start]:02x}); "
                            "save the file as UTF-8 (no characters were replaced)",
                      location=f"line {line_number}, byte {line_offset + error.start}")


JSONL_BLOCK_BYTES = 1 << 21
"""JSON lines are read in blocks of about this many bytes, each ending at a line end."""
RECORDS_PER_BLOCK = 4096
"""Posts per block :func:`read_columns` gives of files other than JSON lines."""


def _line_blocks(path: Path) -> Iterator[tuple[memoryview, int, int, int]]:
    """(block, number of its first line, byte offset of its start, line ends in it) of the file, in order.

    Every block is a view of one buffer, overwritten by the next block: reading each block into
    new memory cost as much again in page faults as parsing it (the shared dump: 5,500 faults)."""
    buffer = bytearray(JSONL_BLOCK_BYTES)
    number, offset, kept = 1, 0, 0  # kept: bytes of a line not ended yet, at the buffer's start
    with open(path, "rb") as handle:
        while True:
            if kept == len(buffer):  # a line longer than the buffer: a larger one (views of this one may live on)
                buffer = buffer + bytes(len(buffer))
            view = memoryview(buffer)
            size = kept + handle.readinto(view[kept:])
            if size == kept:
                if kept:
                    yield view[:kept], number, offset, buffer.count(b"\n", 0, kept)
                return
            cut = buffer.rfind(b"\n", 0, size) + 1
            if cut == 0:
                kept = size
                continue
            line_ends = buffer.count(b"\n", 0, cut)
            yield view[:cut], number, offset, line_ends
            number += line_ends
            offset += cut
            kept = size - cut
            buffer[:kept] = buffer[cut:size]


def _block_records(path: Path, stats: IngestStats, skip_bad: bool, block: memoryview, first_number: int,
                   first_offset: int) -> Iterator[tuple[object, str, int]]:
    """(record, location, line number) for each non-blank line of a block of JSON lines."""
    source = f"{path}:"  # formatted once: formatting a Path costs a call per line
    offset = first_offset
    for number, line in enumerate(io.BytesIO(block), first_number):
        line_offset, offset = offset, offset + len(line)
        if line_offset == 0 and line.startswith(BOM_UTF8):
            line, line_offset = line[3:], 3
        try:
            record = _loads(line)
        except _JSONError as error:
            if not line.strip():
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as bad:
                raise _not_utf8(path, bad, number, line_offset) from None
            reason = "truncated JSON (the line ends early)" if not line.endswith(b"\n") else \
                f"invalid JSON ({str(error).splitlines()[0]})"
            if not skip_bad:
                raise InputError(path, reason, location=f"line {number}") from None
            stats.skip(f"{path}: line {number}", reason)
            continue
        yield record, f"{source}{number}", number


def _jsonl_records(path: Path, stats: IngestStats, skip_bad: bool) -> Iterator[tuple[object, str, int]]:
    """(record, location, line number) for each non-blank line."""
    for block, first_number, first_offset, _ in _line_blocks(path):
        yield from _block_records(path, stats, skip_bad, block, first_number, first_offset)


def _decoded_lines(path: Path, handle) -> Iterator[str]:
    offset = 0
    for number, line in enumerate(handle, 1):
        line_offset, offset = offset, offset + len(line)
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as bad:
            raise _not_utf8(path, bad, number, line_offset) from None


def _delimiter(path: Path, header: str) -> str:
    """Tab for .tsv, else whichever of comma, tab and semicolon (spreadsheets in many locales) the header
    has most of."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    return max(",\t;", key=header.count)


def _csv_records(path: Path) -> Iterator[tuple[object, str, int]]:
    with open(path, "rb") as handle:
        lines = _decoded_lines(path, handle)
        first = next(lines, None)
        if first is None:
            return
        # strict: a quote left open must be an error, not a field that swallows the rest of the file
        rows = csv.reader(_chain(first, lines), delimiter=_delimiter(path, first), strict=True)
        try:
            header = [name.strip() for name in next(rows)]  # "id, text": the names, not the spaces
        except csv.Error as error:
            raise InputError(path, f"unreadable CSV header ({error})", location="line 1") from None
        if not any(col in header for col in _TEXT_COLUMNS):
            raise InputError(path, f"no 'text' column (columns found: {', '.join(header) or 'none'})",
                             location="line 1")
        width = len(header)
        while True:
            start = rows.line_num + 1
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as error:
                raise InputError(path, f"unreadable CSV ({error})", location=f"line {start}") from None
            if not row:
                continue
            if len(row) != width:
                yield _BadRecord(f"{len(row)} fields where the header has {width}"), f"{path}:{start}", start
                continue
            yield dict(zip(header, row)), f"{path}:{start}", start


def _chain(first: str, rest: Iterable[str]) -> Iterator[str]:
    yield first
    yield from rest


def _json_list_records(path: Path) -> Iterator[tuple[object, str, int]]:
    import ijson

    class Counting:
        def __init__(self, raw):
            self.raw, self.offset = raw, 0

        def read(self, size=-1):
            data = self.raw.read(size)
            self.offset += len(data)
            return data

    with open(path, "rb") as raw:
        if raw.read(len(BOM_UTF8)) != BOM_UTF8:
            raw.seek(0)
        reader = Counting(raw)
        reader.offset = raw.tell()
        index = -1
        try:
            for index, record in enumerate(ijson.items(reader, "item", use_float=True)):
                yield record, f"{path}#{index}", index
        except ijson.JSONError as error:
            problem = str(error).splitlines()[0]
            if "invalid bytes in UTF8" in str(error):
                problem = "not UTF-8 text; save the file as UTF-8"
            elif "Incomplete JSON" in str(error) or "premature EOF" in str(error):
                problem = "truncated JSON (unexpected end of file)"
            after = f"after record {index}" if index >= 0 else "before the first record"
            raise InputError(path, f"{problem} {after}", location=f"byte {reader.offset} or before") from None


def _parquet_records(path: Path) -> Iterator[tuple[object, str, int]]:
    """Rows of a Parquet table as dicts (map columns as dicts), in batches."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    index = 0
    try:
        table = pq.ParquetFile(path)
        maps = [field.name for field in table.schema_arrow if pa.types.is_map(field.type)]
        for batch in table.iter_batches(batch_size=4096):
            for record in batch.to_pylist():
                for name in maps:
                    if record[name] is not None:
                        record[name] = dict(record[name])
                yield record, f"{path}#{index}", index
                index += 1
    except (pa.ArrowException, OSError) as error:
        raise InputError(path, f"unreadable Parquet file ({str(error).splitlines()[0]})",
                         location=f"record {index}") from None


def _opened(path: Path, layout: str | None, channel: str | None) -> tuple[bytes, str, str]:
    """(head of the file, layout, channel of records that name none), after checking the arguments."""
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    if path.stat().st_size == 0:
        raise InputError(path, "empty file")
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    return head, layout or detect_layout(path, head), channel or path.stem


def _is_json_lines(path: Path, head: bytes) -> bool:
    suffix = path.suffix.lower()
    return (suffix not in _TABLE_SUFFIXES and suffix != _PARQUET_SUFFIX
            and not head.removeprefix(BOM_UTF8).lstrip().startswith(b"["))


def _posts(path: Path, records, layout_name: str, default_channel: str, stats: IngestStats, skip_bad: bool,
           tally: list[int]) -> Iterator[dict]:
    """The posts of ``records``; ``tally`` counts [posts, other records (skipped, service messages)]."""
    for record, source, number in records:
        if isinstance(record, dict) and record.get("_") == "MessageService":  # Telethon: a pin, a join, ...
            stats.service_messages += 1
            tally[1] += 1
            continue
        try:
            if isinstance(record, _BadRecord):
                raise record
            yield _post(record, layout_name, default_channel, source)
            tally[0] += 1
        except _BadRecord as error:
            where = f"record {number}" if "#" in source else f"line {number}"
            if not skip_bad:
                raise InputError(path, str(error), location=where) from None
            stats.skip(f"{path}: {where}", str(error))
            tally[1] += 1


def read(path, *, stats: IngestStats, skip_bad: bool = False, layout: str | None = None,
         channel: str | None = None) -> Iterator[dict]:
    """Yield one post dict per record of a Telethon dump or plain post table.

    ``channel`` names the channel of records that carry none (default: the file name).
    """
    path = Path(path)
    head, layout_name, default_channel = _opened(path, layout, channel)
    tally = [0, 0]
    yield from _posts(path, _records(path, head, stats, skip_bad), layout_name, default_channel, stats, skip_bad,
                      tally)
    if tally == [0, 0]:
        raise InputError(path, "empty file: no records")


def _records(path: Path, head: bytes, stats: IngestStats, skip_bad: bool) -> Iterator[tuple[object, str, int]]:
    """(record, location, line or record number) of a file, by its kind."""
    suffix = path.suffix.lower()
    if suffix in _TABLE_SUFFIXES:
        return _csv_records(path)
    if suffix == _PARQUET_SUFFIX:
        return _parquet_records(path)
    return _jsonl_records(path, stats, skip_bad) if _is_json_lines(path, head) else _json_list_records(path)


def read_columns(path, *, stats: IngestStats, skip_bad: bool = False, layout: str | None = None,
                 channel: str | None = None) -> Iterator[list[dict] | PostColumns]:
    """The posts of :func:`read` in blocks: each block of JSON lines whose records are all flat
    (:func:`_flat_columns`) as one :class:`PostColumns` parsed by Arrow's JSON reader, other blocks
    and other files as lists of post dicts."""
    path = Path(path)
    head, layout_name, default_channel = _opened(path, layout, channel)
    tally = [0, 0]
    if _is_json_lines(path, head):
        yield from _json_line_blocks(path, layout_name, default_channel, stats, skip_bad, tally)
    else:
        posts = _posts(path, _records(path, head, stats, skip_bad), layout_name, default_channel, stats, skip_bad,
                       tally)
        while block := list(islice(posts, RECORDS_PER_BLOCK)):
            yield block
    if tally == [0, 0]:
        raise InputError(path, "empty file: no records")


def _json_line_blocks(path: Path, layout_name: str, default_channel: str, stats: IngestStats, skip_bad: bool,
                      tally: list[int]) -> Iterator[list[dict] | PostColumns]:
    """:func:`read_columns` of a JSON-lines file, block by block; ``tally`` as in :func:`_posts`."""
    for block, first_number, first_offset, line_ends in _line_blocks(path):
        lines = line_ends + (block[-1] != ord("\n"))
        columns = _flat_columns(path, block, first_number, first_offset, lines, layout_name, default_channel)
        if columns is None:
            records = _block_records(path, stats, skip_bad, block, first_number, first_offset)
            yield list(_posts(path, records, layout_name, default_channel, stats, skip_bad, tally))
        else:
            tally[0] += len(columns)
            yield columns


# --- flat records as columns ------------------------------------------------

# Fields of flat records with the Arrow type their values must convert to (else the record-by-record
# reader takes the block). Fields absent from a block read as all null.
_FLAT_SCHEMA = pa.schema([("text", pa.string()), ("channel", pa.string()), ("message_id", pa.int64()),
                          ("date", pa.timestamp("us", tz="UTC")), ("views", pa.int64()), ("forwards", pa.int64())])
# Fields :func:`_post` reads beyond those: a block with any of them goes record by record.
_RECORD_FIELDS = (_OPTIONAL_FIELDS - {"views", "forwards"}) | {
    "message", "links", "hashtags", "_", "peer_id", "chat_id", "channel_id", "channel_name", "chat", "username"}
_ID_TYPES = (pa.string(), pa.int64())
_READ_OPTIONS = pa_json.ReadOptions(use_threads=False, block_size=JSONL_BLOCK_BYTES * 2)
_PARSE_OPTIONS = pa_json.ParseOptions(explicit_schema=_FLAT_SCHEMA, unexpected_field_behavior="infer")


def _flat_columns(path: Path, block: memoryview, first_number: int, first_offset: int, lines: int, layout_name: str,
                  default_channel: str) -> PostColumns | None:
    """The block's posts as columns when every record is flat: an object with a text (a string) and,
    for Telethon dumps, a message id (an integer), a channel name (or a sender id, or none in any record),
    maybe an ISO date and view and forward counts, and fields :func:`_post` ignores; the block valid
    UTF-8 with one record per line. None otherwise: the record-by-record reader then gives the same
    posts, or the error with its line."""
    if first_offset == 0 and block[:len(BOM_UTF8)] == BOM_UTF8:
        block = block[len(BOM_UTF8):]
    if _first_record_needs_conversion(block):  # richer dumps: every record has such fields, no need to parse all
        return None
    try:
        _utf8_checked(block)
        table = pa_json.read_json(pa.BufferReader(pa.py_buffer(block)), read_options=_READ_OPTIONS,
                                  parse_options=_PARSE_OPTIONS)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != lines or not _RECORD_FIELDS.isdisjoint(table.column_names):
        return None  # blank lines (numbering would slip), or fields only the record reader converts
    columns = {name: table.column(name).combine_chunks() for name in table.column_names}
    text = columns["text"]
    if text.null_count:  # no text field, or text null: the record reader tells them apart
        return None
    channel = _flat_channel(columns, default_channel, table.num_rows)
    if channel is None:
        return None
    numbers = pa.array(range(first_number, first_number + table.num_rows), type=pa.int64())
    source = pc.binary_join_element_wise(f"{path}:", pc.cast(numbers, pa.string()), "")
    found = {name: columns[name] for name in ("date", "views", "forwards") if columns[name].null_count < len(text)}
    if layout_name == "table":
        post_id = _names(columns["id"]) if "id" in columns else None
        if post_id is None:
            return None
        return PostColumns(text=text, channel=channel, source=source, id=post_id, **found)
    message_id = columns["message_id"]
    if message_id.null_count:
        return None
    if "id" in columns:  # ids of the table's own beside the message ids (see _post)
        post_id = _names(columns["id"])
        if post_id is None:
            return None
        found["id"] = post_id
    return PostColumns(text=text, channel=channel, source=source, message_id=message_id, **found)


def _first_record_needs_conversion(block: memoryview) -> bool:
    """Whether the block's first record has fields only the record-by-record reader converts."""
    first_line = bytes(block[:1 << 16]).split(b"\n", 1)[0]
    try:
        record = _loads(first_line)
    except _JSONError:
        return False  # or longer than the head: the whole block's parse decides
    return isinstance(record, dict) and not _RECORD_FIELDS.isdisjoint(record)


def _flat_channel(columns: dict[str, pa.Array], default_channel: str, rows: int) -> pa.Array | None:
    """The channel of each record as :func:`_channel` finds it, or None when that is not the same field
    for all (some records without a channel name, an empty name, a sender id that is not a number or name)."""
    for name in ("channel", "sender_id"):
        values = columns.get(name)
        if values is not None and values.null_count < rows:
            return _names(values)
    return pa.array([default_channel] * rows, type=pa.string())


def _names(values: pa.Array) -> pa.Array | None:
    """Ids or names as ``str()`` gives them, when all are strings or all integers, none null or empty; else None."""
    if values.null_count or values.type not in _ID_TYPES:
        return None
    values = pc.cast(values, pa.string())
    return values if pc.all(pc.greater(pc.utf8_length(values), 0)).as_py() else None


def _utf8_checked(block: memoryview) -> None:
    """Raises ``pa.ArrowInvalid`` unless the block is UTF-8 (Arrow's JSON reader does not check)."""
    offsets = pa.py_buffer(np.array([0, len(block)], dtype=np.int64))
    pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(block)]).validate(full=True)
