"""Columnar fast path of the post table for JSON-lines dumps (Telethon-style or plain tables).

:func:`columnar_posts` reads each input with ``pyarrow.json`` and computes the table on
whole columns: ids, sources, dates and channels in Arrow, the language shortcut and the
duplicate keys over whole columns (:func:`classify.text.lang.detect_languages_column`,
:func:`classify.text.normalize.text_keys`), fastText only on the texts the shortcut leaves
open. The result is the table the per-record path builds, value for value.

It only takes inputs it can map exactly and returns None otherwise, so that the caller
runs the exact per-record reader (whose errors name the file and line): files that are not
JSON lines, a line Arrow cannot parse or that is blank, a byte-order mark, "NaN"/"Infinity"
anywhere (Arrow reads them, the exact reader refuses them), fields the fast path does not
convert (forwards, replies, edits, reactions, media, Telethon's ``peer_id``/``_``), a field
of an unexpected type, a record without text, a date not written as
``YYYY-MM-DD[T ]HH:MM:SS[.fff|.ffffff][Z|+HH:MM]``, or a post without a message id or id
(its id would be a text hash).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from classify.ingest._base import IngestStats
from classify.ingest.detect import expand_inputs
from classify.ingest.entities import scan_plain
from classify.ingest.schema import POST_COLUMN_NAMES
from classify.text.lang import detect_languages_column
from classify.text.normalize import text_keys

_JSON_LINES_SUFFIXES = (".jsonl", ".ndjson", ".json")
_CHANNEL_FIELDS = ("channel", "channel_name", "chat", "username", "chat_id", "sender_id")
_COUNT_FIELDS = ("views", "forwards")
# Fields whose conversion the fast path does not do (the exact reader does).
_UNMAPPED_FIELDS = frozenset({"message", "peer_id", "_", "forwarded_from", "fwd_from", "reply_to",
                              "reply_to_message_id", "reply_to_msg_id", "edited", "edit_date", "reactions",
                              "media_type", "media", "has_media"})
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{3}|\.\d{6})?(?:Z|[+-]\d{2}:\d{2})?$"
_MAY_HOLD_LINKS = r"://|www\.|t\.me/|#"
_STRING = pa.large_string()


class _NotMapped(Exception):
    """The input needs the exact per-record reader."""


def columnar_posts(paths, *, format: str | None = None, stats: IngestStats | None = None,
                   channel: str | None = None) -> pd.DataFrame | None:
    """The post table of JSON-lines inputs (as ``read_posts`` builds it), or None when an input
    needs the exact per-record reader. ``stats`` is only updated when a table is returned."""
    try:
        inputs = expand_inputs(paths, format)
    except Exception:  # the exact path reports it
        return None
    tables = []
    try:
        for path, name in inputs:
            if name not in ("telethon", "table") or path.suffix.lower() not in _JSON_LINES_SUFFIXES:
                return None
            tables.append(_reader_columns(path, name, channel or path.stem))
    except _NotMapped:
        return None
    columns = {name: pa.concat_arrays([table[name] for table in tables]) for name in tables[0]}
    frame = _complete(columns)
    if stats is not None:
        stats.posts += len(frame)
        stats.duplicates += int(frame["duplicate_of"].notna().sum())
    return frame


def _reader_columns(path: Path, layout: str, default_channel: str) -> dict[str, pa.Array]:
    """id, channel, message_id, date, text, views, forwards and source of one JSON-lines file."""
    data = path.read_bytes()
    if (not data or data.startswith(b"\xef\xbb\xbf") or b"NaN" in data or b"Infinity" in data
            or not _is_utf8(data)):  # Arrow's JSON reader does not check the UTF-8 of strings
        raise _NotMapped
    try:
        table = pj.read_json(pa.BufferReader(data), parse_options=pj.ParseOptions(
            explicit_schema=pa.schema([("text", pa.string()), ("date", pa.string())]),
            newlines_in_values=False, unexpected_field_behavior="infer"))
    except (pa.ArrowException, UnicodeDecodeError, ValueError):
        raise _NotMapped from None
    rows = table.num_rows
    # One record per line, none blank: row i is line i + 1.
    if rows == 0 or rows != data.count(b"\n") + (not data.endswith(b"\n")) or _UNMAPPED_FIELDS & set(table.column_names):
        raise _NotMapped
    table = table.combine_chunks()
    text = table["text"].chunk(0) if table["text"].num_chunks else pa.nulls(rows, pa.string())
    if text.null_count:  # a record without text, or null text: the exact reader decides
        raise _NotMapped
    channel = pa.nulls(rows, _STRING)
    for name in _CHANNEL_FIELDS:
        if name in table.column_names:
            column = _as_strings(_column(table, name))
            channel = pc.coalesce(channel, pc.if_else(pc.equal(column, ""), pa.scalar(None, _STRING), column))
    channel = pc.fill_null(channel, default_channel)
    message_id = pa.nulls(rows, pa.int64())
    if layout == "telethon" and "message_id" in table.column_names:
        message_id = _integers(_column(table, "message_id"))
    own_id = _as_strings(_column(table, "id")) if "id" in table.column_names else pa.nulls(rows, _STRING)
    own_id = pc.if_else(pc.equal(own_id, ""), pa.scalar(None, _STRING), own_id)
    built_id = pc.binary_join_element_wise(channel, message_id.cast(_STRING), pa.scalar("/", _STRING))
    post_id = pc.coalesce(built_id, own_id)
    if post_id.null_count:  # the id would be a hash of the text
        raise _NotMapped
    lines = pa.array(np.arange(1, rows + 1)).cast(_STRING)
    return {
        "id": post_id,
        "channel": channel,
        "message_id": message_id,
        "date": _dates(_column(table, "date")),
        "text": text.cast(_STRING),
        **{name: _integers(_column(table, name)) if name in table.column_names else pa.nulls(rows, pa.int64())
           for name in _COUNT_FIELDS},
        "source": pc.binary_join_element_wise(pa.scalar(f"{path}:", _STRING), lines, pa.scalar("", _STRING)),
    }


def _is_utf8(data: bytes) -> bool:
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], dtype=np.int64)),
                                                          pa.py_buffer(data)])
    try:
        whole.cast(_STRING)  # validates, without decoding to a Python str
    except pa.ArrowInvalid:
        return False
    return True


def _column(table: pa.Table, name: str) -> pa.Array:
    column = table[name]
    return column.chunk(0) if column.num_chunks else pa.nulls(table.num_rows, column.type)


def _as_strings(column: pa.Array) -> pa.Array:
    """``str(value)`` of string and integer values (other types: not mapped)."""
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) or pa.types.is_integer(column.type) \
            or pa.types.is_null(column.type):
        return column.cast(_STRING)
    raise _NotMapped


def _integers(column: pa.Array) -> pa.Array:
    if pa.types.is_integer(column.type) or pa.types.is_null(column.type):
        return column.cast(pa.int64())
    raise _NotMapped


def _dates(column: pa.Array) -> pa.Array:
    """ISO 8601 strings as UTC timestamps, a missing offset read as UTC (as the exact reader does)."""
    column = pc.if_else(pc.equal(column, ""), pa.scalar(None, column.type), column)
    if pc.all(pc.match_substring_regex(column, _ISO_DATE)).as_py() is False:
        raise _NotMapped
    column = pc.replace_substring_regex(column, "Z$", "+00:00")
    zoned = pc.match_substring_regex(column, r"[+-]\d{2}:\d{2}$")
    column = pc.if_else(zoned, column, pc.binary_join_element_wise(column, "+00:00", ""))
    try:
        return column.cast(pa.timestamp("ns", "UTC"))
    except pa.ArrowInvalid:  # e.g. month 13: the exact reader names the line
        raise _NotMapped from None


def _complete(columns: dict[str, pa.Array]) -> pd.DataFrame:
    """The table of the reader columns: links, hashtags, lang and duplicate_of added, schema dtypes."""
    rows = len(columns["text"])
    texts = columns["text"]
    links: list = [[] for _ in range(rows)]
    hashtags: list = [[] for _ in range(rows)]
    candidates = np.flatnonzero(pc.match_substring_regex(texts, _MAY_HOLD_LINKS).to_numpy(zero_copy_only=False))
    for row, text in zip(candidates.tolist(), texts.take(pa.array(candidates)).to_pylist()):
        links[row], hashtags[row] = scan_plain(text)
    keys = text_keys(texts)
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    first_row = first[inverse.ravel()]
    duplicate = (first_row != np.arange(rows)) & (keys != 0)
    ids = columns["id"]
    duplicate_of = pc.if_else(pa.array(duplicate), ids.take(pa.array(first_row)), pa.scalar(None, _STRING))
    nothing = pa.nulls(rows, _STRING)
    strings = {"id": ids, "channel": columns["channel"], "text": texts,
               "lang": pa.array(detect_languages_column(texts), type=_STRING), "forwarded_from": nothing,
               "media_type": nothing, "duplicate_of": duplicate_of, "source": columns["source"]}
    integers = {"message_id": columns["message_id"], "reply_to_message_id": pa.nulls(rows, pa.int64()),
                "reactions": pa.nulls(rows, pa.int64()), "views": columns["views"], "forwards": columns["forwards"]}
    frame = {}
    for name in POST_COLUMN_NAMES:
        if name in strings:
            frame[name] = pd.Series(pd.arrays.ArrowStringArray(strings[name]))
        elif name in integers:
            frame[name] = pd.Series(integers[name].to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get).array)
        elif name == "date":
            frame[name] = columns["date"].to_pandas()
        elif name == "edited":
            frame[name] = pa.nulls(rows, pa.timestamp("ns", "UTC")).to_pandas()
        elif name == "has_media":
            frame[name] = pd.Series(pd.array(np.zeros(rows, dtype=bool), dtype="boolean"))
        elif name == "links":
            frame[name] = pd.Series(links, dtype=object)
        elif name == "hashtags":
            frame[name] = pd.Series(hashtags, dtype=object)
        else:  # reactions_by_emoji
            frame[name] = pd.Series([None] * rows, dtype=object)
    return pd.DataFrame(frame)
