"""The post table: every reader's posts completed to the full schema, streamed in chunks.

The builder adds what readers leave out: ``id`` (``<channel>/<message_id>``, or
``sha1:<hash of channel + normalised text>`` when the source has no message id,
or the input's own ``id``), ``lang`` (:func:`classify.text.detect_languages`) and
``duplicate_of`` (the id of the first post with the same normalised text, across
all inputs of the run). Duplicates are flagged, never dropped, unless
``read_posts(..., drop_duplicates=True)`` is asked for.

Memory stays bounded for exports of any size: posts stream through in chunks,
and each post seen is remembered by a 64-bit text hash and a packed 64-bit
reference to its id, not by its text; past :data:`MAX_TEXTS_IN_MEMORY` texts
that index moves to a temporary SQLite file. (Posts that have their own ``id``
but no channel message id keep that id in memory, and posts with neither keep
a count of their text hash id.)

Readers may leave ``links`` and ``hashtags`` out (None) for text that carries no
entity information: the builder finds them in the plain text. Readers that can give
whole blocks of posts as Arrow columns (``read_columns``: JSON lines of flat records)
are read that way, and such blocks stay columns up to the frame (the same table with
less work per post: ``benchmarks/ingest.py`` times the Telethon reader both ways).

``jobs=N`` (N > 1) hands language identification, text hashing and that scan for
links, about two thirds of the work, to N worker processes while this process reads and builds
the table; the output is the same. Each chunk's texts cross to a worker as one
Arrow buffer (the one the table's text column is made of): the split adds about 1%
to the instructions executed (callgrind on the shared dump), but it pays only
with idle cores (``benchmarks/ingest.py`` measures both).
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import sqlite3
import tempfile
import weakref
from collections import deque
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from classify.ingest._base import IngestStats, PostColumns
from classify.ingest.detect import expand_inputs, folders_read_file_by_file, read_options, reader
from classify.ingest.entities import scan_plain
from classify.ingest.schema import POST_COLUMN_NAMES, POST_COLUMNS
from classify.io import TableWriter, arrow_schema, checked_output_format, refuse_output_among_inputs
from classify.text import kernels
from classify.text.lang import detect_languages, load_model as load_language_model
from classify.text.normalize import normalized_bytes, text_key, text_keys
from classify.workers import warm_process_pool

DEFAULT_CHUNK_SIZE = 5_000
PIPELINE_BATCH_SIZE = 2_048
"""The largest batch of post dicts handed to a worker process (``jobs`` > 1): about 40 ms of its work on the
shared dump. Blocks of posts read as columns go whole (up to the caller's batch size): they cost this process
so much less per post that its per-batch work would dominate in smaller parts (the shared dump at 2,048 posts
per batch: 42,000-45,600 posts/s, whole 2 MB blocks of about 2,200 posts: 45,200-52,700, alternating runs)."""
CHAT_TYPES = ("channels", "all")
_MESSAGE_ID_BITS = 40
_OTHER_ID = 1 << 62


class _IdRefs:
    """Post ids packed into int64: ``channel/message_id`` as (channel code, message id), others by index."""

    def __init__(self):
        self._channels: dict[str, int] = {}
        self._channel_names: list[str] = []
        self._others: list[str] = []

    def ref(self, post_id: str, channel, message_id, built: bool = False) -> int:
        """``built``: ``post_id`` was made here as ``f"{channel}/{message_id}"`` (no need to compare)."""
        if (type(message_id) is int and 0 <= message_id < 1 << _MESSAGE_ID_BITS
                and (built or post_id == f"{channel}/{message_id}")):
            return self._code(channel) << _MESSAGE_ID_BITS | message_id
        self._others.append(post_id)
        return _OTHER_ID | (len(self._others) - 1)

    def _code(self, channel: str) -> int:
        code = self._channels.get(channel)
        if code is None:
            code = self._channels[channel] = len(self._channel_names)
            self._channel_names.append(channel)
        return code

    def built_refs(self, ids: pa.Array, channels: pa.Array, message_ids: pa.Array) -> np.ndarray:
        """:meth:`ref` of each post of a column batch whose ids were built as ``channel/message_id``."""
        encoded = channels.dictionary_encode()
        codes = np.array([self._code(name) for name in encoded.dictionary.to_pylist()], dtype=np.int64)
        numbers = message_ids.to_numpy()
        refs = codes[encoded.indices.to_numpy()] << _MESSAGE_ID_BITS | numbers
        for row in np.flatnonzero((numbers < 0) | (numbers >= 1 << _MESSAGE_ID_BITS)).tolist():
            refs[row] = self.ref(ids[row].as_py(), channels[row].as_py(), int(numbers[row]), built=True)
        return refs

    def given_refs(self, ids: pa.Array) -> np.ndarray:
        """:meth:`ref` of each post of a column batch with ids of its own and no message id."""
        start = len(self._others)
        self._others.extend(ids.to_pylist())
        return _OTHER_ID | np.arange(start, len(self._others), dtype=np.int64)

    def id(self, ref: int) -> str:
        if ref & _OTHER_ID:
            return self._others[ref ^ _OTHER_ID]
        return f"{self._channel_names[ref >> _MESSAGE_ID_BITS]}/{ref & ((1 << _MESSAGE_ID_BITS) - 1)}"


MAX_TEXTS_IN_MEMORY = 1 << 21
"""Text hashes the duplicate index keeps in memory (16 bytes each with their refs: 32 MB).

Beyond this they move to a temporary SQLite file, so memory stays flat however large the input.
Looking a chunk's hashes up there costs about 2.3 µs per post instead of 0.4 (1,000,000 hashes,
a third of them repeats), next to about 40 µs to read a post and 350 to tag it.
"""


class _SeenTexts:
    """Text hashes seen so far with the id ref of their first post: sorted numpy runs, merged as they grow,
    moved to disk (:class:`_TextsOnDisk`) when they outgrow :data:`MAX_TEXTS_IN_MEMORY`."""

    def __init__(self, max_in_memory: int | None = None):
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        self._max_in_memory = MAX_TEXTS_IN_MEMORY if max_in_memory is None else max_in_memory
        self._on_disk: _TextsOnDisk | None = None

    def first_refs(self, keys: np.ndarray, refs: np.ndarray) -> np.ndarray:
        """For each post, the ref of an earlier post with the same key, else -1 (key 0: never a duplicate)."""
        result = np.full(len(keys), -1, dtype=np.int64)
        present = np.flatnonzero(keys)
        if not len(present):
            return result
        keys, refs = keys[present], refs[present]
        unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        first_ref = refs[first]
        found = np.zeros(len(unique), dtype=bool)
        for run_keys, run_refs in self._runs:
            at = np.minimum(np.searchsorted(run_keys, unique), len(run_keys) - 1)
            hit = (run_keys[at] == unique) & ~found
            first_ref[hit] = run_refs[at[hit]]
            found |= hit
        if self._on_disk is not None and not found.all():
            open_rows = np.flatnonzero(~found)
            hit, hit_refs = self._on_disk.lookup(unique[open_rows])
            first_ref[open_rows[hit]] = hit_refs
            found[open_rows[hit]] = True
        if not found.all():
            self._add(unique[~found], first_ref[~found])
        is_first = (first[inverse] == np.arange(len(keys))) & ~found[inverse]
        result[present] = np.where(is_first, -1, first_ref[inverse])
        return result

    def _add(self, keys: np.ndarray, refs: np.ndarray) -> None:
        self._runs.append((keys, refs))
        while len(self._runs) > 1 and len(self._runs[-2][0]) <= 2 * len(self._runs[-1][0]):
            (k1, r1), (k2, r2) = self._runs.pop(), self._runs.pop()
            keys, refs = np.concatenate([k2, k1]), np.concatenate([r2, r1])
            order = np.argsort(keys, kind="stable")
            self._runs.append((keys[order], refs[order]))
        if sum(len(run_keys) for run_keys, _ in self._runs) > self._max_in_memory:
            if self._on_disk is None:
                self._on_disk = _TextsOnDisk()
            for run_keys, run_refs in self._runs:
                self._on_disk.add(run_keys, run_refs)
            self._runs = []


class _TextsOnDisk:
    """Text hashes and refs in a temporary SQLite table: lookups by primary key, a page cache of 8 MB."""

    _LOOKUP_BATCH = 500  # keys per query, well under SQLite's limit on bound parameters

    def __init__(self):
        folder = tempfile.TemporaryDirectory(prefix="classify-seen-")
        self._db = sqlite3.connect(os.path.join(folder.name, "seen.sqlite"))
        for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -8000"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("CREATE TABLE seen (key INTEGER PRIMARY KEY, ref INTEGER NOT NULL)")
        weakref.finalize(self, _close_and_remove, self._db, folder)

    def add(self, keys: np.ndarray, refs: np.ndarray) -> None:
        """Store new keys (none of them stored yet: callers look them up first)."""
        self._db.executemany("INSERT INTO seen VALUES (?, ?)", zip(keys.view(np.int64).tolist(), refs.tolist()))

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``keys`` (sorted, distinct uint64) of the keys stored here, and their refs."""
        found_keys, found_refs = [], []
        signed = keys.view(np.int64).tolist()  # SQLite integers are signed 64-bit
        for start in range(0, len(signed), self._LOOKUP_BATCH):
            batch = signed[start:start + self._LOOKUP_BATCH]
            for key, ref in self._db.execute(
                    f"SELECT key, ref FROM seen WHERE key IN ({','.join('?' * len(batch))})", batch):
                found_keys.append(key)
                found_refs.append(ref)
        positions = np.searchsorted(keys, np.array(found_keys, dtype=np.int64).view(np.uint64))
        return positions, np.array(found_refs, dtype=np.int64)


def _close_and_remove(db: sqlite3.Connection, folder: tempfile.TemporaryDirectory) -> None:
    db.close()
    folder.cleanup()


@dataclass
class _CompletedColumns:
    """A column batch (:class:`PostColumns`) with what the builder adds, one value per post."""

    columns: PostColumns
    lang: list
    links: list[list[str]]
    hashtags: list[list[str]]
    duplicate_of: list[str | None]


def _text_array(texts: list[str]) -> pa.Array | list[str]:
    """A chunk's texts as one Arrow array, built once: duplicate keys, language identification and
    the frame's text column all read it, and it crosses to a worker process as one buffer (pickling
    the strings one by one costs about four times as much on each side). Texts Arrow refuses
    (lone surrogates) stay a list."""
    try:
        return pa.array(texts, type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return texts


def _chunk_keys(texts: pa.Array | list[str]) -> np.ndarray:
    """Duplicate-detection key of each text (:func:`classify.text.normalize.text_key`)."""
    if isinstance(texts, pa.Array):
        return text_keys(texts)
    return np.array([text_key(text) for text in texts], dtype=np.uint64)


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is read or turned into a frame: that makes many
    small dicts and lists (no reference cycles), each counting towards collections that find
    nothing (5-8% of the ingest time on the shared dump). Not while language identification and
    hashing run: they leave cycles whose memory would pile up (+15 MB peak on a Desktop export).
    Collections resume afterwards; the caller's code between batches is never affected."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _text_fields(texts: pa.Array | list[str], languages: bool = True, strings: list[str] | None = None,
                 scanned: list[int] | None = None) -> tuple[list, np.ndarray, list[tuple[list, list]]]:
    """What is computed from the texts alone (in a worker process when ``jobs`` > 1, which gets
    only the Arrow array): the languages, the duplicate keys, and the links and hashtags written
    in the plain text of the posts at the ``scanned`` positions (readers leave those to the builder).
    ``strings``: the same texts as Python strings, when at hand (quicker to cut heads from, unless
    the compiled shortcut reads the Arrow buffers)."""
    by_strings = strings is not None and not kernels.available()
    langs = detect_languages(strings if by_strings else texts) if languages else [None] * len(texts)
    return langs, _chunk_keys(texts), _links_and_hashtags(texts, strings, scanned) if scanned else []


def _links_and_hashtags(texts: pa.Array | list[str], strings: list[str] | None,
                        scanned: list[int]) -> list[tuple[list, list]]:
    """:func:`scan_plain` of the texts at ``scanned``: by the compiled loop where it can (it reads
    the Arrow buffers: no Python strings made), else in Python."""
    with _cyclic_gc_paused():  # two new lists per post, no cycles among them
        found = kernels.links_and_hashtags(texts, scanned) if isinstance(texts, pa.Array) else None
    if found is None:
        if strings is None:
            strings = texts.to_pylist() if isinstance(texts, pa.Array) else texts
        return [scan_plain(strings[index]) for index in scanned]
    for position, value in enumerate(found):
        if value is None:
            found[position] = scan_plain(texts[scanned[position]].as_py())
    return found


class _Completer:
    """Adds id, lang and duplicate_of to the readers' post dicts, remembering posts across chunks.

    :meth:`prepare` and :meth:`finish` run in input order; what lies between
    (:func:`_text_fields`) may run in another process.
    """

    def __init__(self, stats: IngestStats):
        self.stats = stats
        self._refs = _IdRefs()
        self._seen = _SeenTexts()
        self._hash_ids: dict[str, int] = {}
        self._chat_of_channel: dict[str, str] = {}
        self._channel_of_chat: dict[tuple[str, str], str] = {}

    def _channel(self, channel: str, chat_id) -> str:
        """``channel``, or ``<channel> (id <chat_id>)`` when an earlier chat of this run had that name
        and another id: their posts would otherwise share ids."""
        chat_id = str(chat_id)
        known = self._channel_of_chat.get((channel, chat_id))
        if known is None:
            # Bot API style ids (-100 and the channel id, as some dumps write them) name the same channel.
            same_chat = chat_id.removeprefix("-100") or chat_id
            first = self._chat_of_channel.setdefault(channel, same_chat)
            known = channel if first == same_chat else f"{channel} (id {same_chat})"
            if known != channel and known not in self.stats.renamed_channels:
                self.stats.renamed_channels.append(known)
            self._channel_of_chat[channel, chat_id] = known
        return known

    def _hash_id(self, channel, canonical: bytes) -> str:
        digest = hashlib.sha1(f"{channel or ''}\n".encode() + canonical).hexdigest()
        post_id = f"sha1:{digest}"
        count = self._hash_ids.get(post_id, 0) + 1
        self._hash_ids[post_id] = count
        return post_id if count == 1 else f"{post_id}:{count}"

    def prepare(self, posts: list[dict] | PostColumns
                ) -> tuple[np.ndarray, pa.Array | list[str], list[str] | None, list[int]]:
        """Fills the defaults and ids; returns the posts' id refs, their texts (:func:`_text_array`) and
        as Python strings when at hand, and the positions of the posts whose links or hashtags are still
        to be found in their text."""
        if isinstance(posts, PostColumns):
            return self._prepare_columns(posts)
        refs = np.empty(len(posts), dtype=np.int64)
        texts = []
        scanned = []
        ref = self._refs.ref
        for index, post in enumerate(posts):
            text = post.get("text")
            if text is None:
                post["text"] = text = ""
            texts.append(text)
            if post.get("has_media") is None:
                post["has_media"] = False
            if post.get("links") is None or post.get("hashtags") is None:
                if text:
                    scanned.append(index)
                else:
                    post["links"] = post.get("links") or []
                    post["hashtags"] = post.get("hashtags") or []
            channel, message_id = post.get("channel"), post.get("message_id")
            chat_id = post.pop("chat_id", None)
            if chat_id is not None and channel is not None:
                post["channel"] = channel = self._channel(channel, chat_id)
            post_id = post.get("id")
            if post_id is not None:
                refs[index] = ref(post_id, channel, message_id)
            elif message_id is not None and channel is not None:
                post["id"] = post_id = f"{channel}/{message_id}"
                refs[index] = ref(post_id, channel, message_id, built=True)
            else:
                post["id"] = post_id = self._hash_id(channel, normalized_bytes(text))
                refs[index] = ref(post_id, channel, message_id)
        return refs, _text_array(texts), texts, scanned

    def _prepare_columns(self, columns: PostColumns) -> tuple[np.ndarray, pa.Array, None, list[int]]:
        if columns.id is None:
            columns.id = pc.binary_join_element_wise(columns.channel, pc.cast(columns.message_id, pa.string()), "/")
            refs = self._refs.built_refs(columns.id, columns.channel, columns.message_id)
        else:
            refs = self._refs.given_refs(columns.id)
        texts = columns.text.cast(pa.large_string())
        scanned = np.flatnonzero(pc.utf8_length(texts).to_numpy() > 0).tolist()
        return refs, texts, None, scanned

    def finish(self, posts: list[dict] | PostColumns, refs: np.ndarray, scanned: list[int], langs: list[str],
               keys: np.ndarray, found: list[tuple[list, list]]) -> list[dict] | _CompletedColumns:
        if isinstance(posts, PostColumns):
            return self._finish_columns(posts, refs, scanned, langs, keys, found)
        for post, lang in zip(posts, langs):
            post["lang"] = lang
        for index, (links, hashtags) in zip(scanned, found):
            post = posts[index]
            if post.get("links") is None:
                post["links"] = links
            if post.get("hashtags") is None:
                post["hashtags"] = hashtags
        for post, first in zip(posts, self._duplicates_of(keys, refs)):
            post["duplicate_of"] = first
        return posts

    def _finish_columns(self, columns: PostColumns, refs: np.ndarray, scanned: list[int], langs: list[str],
                        keys: np.ndarray, found: list[tuple[list, list]]) -> _CompletedColumns:
        links, hashtags = [[] for _ in range(len(columns))], [[] for _ in range(len(columns))]
        for index, (post_links, post_hashtags) in zip(scanned, found):
            links[index], hashtags[index] = post_links, post_hashtags
        return _CompletedColumns(columns, langs, links, hashtags, self._duplicates_of(keys, refs))

    def _duplicates_of(self, keys: np.ndarray, refs: np.ndarray) -> list[str | None]:
        """For each post of a batch, the id of the first post of the run with its text (None for that post),
        counted in the stats."""
        first = self._seen.first_refs(keys, refs)
        duplicate_of: list[str | None] = [None] * len(first)
        rows = np.flatnonzero(first >= 0)
        for row, ref in zip(rows.tolist(), first[rows].tolist()):
            duplicate_of[row] = self._refs.id(ref)
        self.stats.posts += len(first)
        self.stats.duplicates += len(rows)
        return duplicate_of


def _post_batches(paths, *, format, skip_bad, stats, chat_types, channel, batch_size, jobs=1,
                  languages=True, as_columns=True
                  ) -> Iterator[tuple[list[dict] | _CompletedColumns, pa.Array | list[str]]]:
    """Completed posts in batches, each with its texts (:func:`_text_array`). ``as_columns``: take blocks
    of posts as columns from readers that give them (``read_columns``); else every batch is a list of dicts."""
    if chat_types is not None and chat_types not in CHAT_TYPES:
        raise ValueError(f"chat_types must be one of {CHAT_TYPES} or None, not {chat_types!r}")
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    stats = stats if stats is not None else IngestStats()
    completer = _Completer(stats)

    def read_batches(record_batch_size: int) -> Iterator[list[dict] | PostColumns]:
        for path, name in expand_inputs(paths, format):
            options = read_options(name, {"chat_types": chat_types, "channel": channel})
            module = reader(name)
            if as_columns and hasattr(module, "read_columns"):
                blocks = module.read_columns(path, stats=stats, skip_bad=skip_bad, **options)
                while True:
                    with _cyclic_gc_paused():
                        block = next(blocks, None)
                    if block is None:
                        break
                    yield from _equal_parts(block, record_batch_size if isinstance(block, list) else batch_size)
                continue
            posts = module.read(path, stats=stats, skip_bad=skip_bad, **options)
            while True:
                with _cyclic_gc_paused():
                    batch = list(islice(posts, record_batch_size))
                if not batch:
                    break
                yield batch

    if jobs == 1:
        for batch in read_batches(batch_size):
            refs, texts, strings, scanned = completer.prepare(batch)
            yield completer.finish(batch, refs, scanned, *_text_fields(texts, languages, strings, scanned)), texts
        return
    # This process reads and builds while the workers identify languages, hash texts and scan them
    # for links; at most two batches per worker are in flight, so memory stays bounded. Batches are
    # smaller than one process reads at a time: the workers idle until the first batch is read and
    # this process waits for the last one, so smaller batches keep both waits short.
    with warm_process_pool(jobs, load_language_model if languages else None) as pool:
        pending: deque = deque()
        for batch in read_batches(min(batch_size, PIPELINE_BATCH_SIZE)):
            with _cyclic_gc_paused():
                refs, texts, _, scanned = completer.prepare(batch)
            pending.append((batch, refs, scanned, texts, pool.submit(_text_fields, texts, languages, None, scanned)))
            if len(pending) > 2 * jobs:
                yield _finished(completer, *pending.popleft())
        while pending:
            yield _finished(completer, *pending.popleft())


def _equal_parts(block: list[dict] | PostColumns, limit: int) -> Iterator[list[dict] | PostColumns]:
    """``block`` in as few parts of at most ``limit`` posts as can be, all of one size (2,200 posts
    as 2 x 1,100, not 2,048 + 152: a small last part costs as much per batch as a full one)."""
    if not len(block):
        return
    size = -(-len(block) // -(-len(block) // limit))
    for start in range(0, len(block), size):
        yield block[start:start + size] if isinstance(block, list) else block.slice(start, size)


def _finished(completer: _Completer, batch, refs, scanned, texts, computed) -> tuple:
    """A batch completed with what a worker computed; the many small lists it sends back would each
    count towards cyclic garbage collections that find nothing."""
    with _cyclic_gc_paused():
        return completer.finish(batch, refs, scanned, *computed.result()), texts


def iter_posts(paths, *, format: str | None = None, skip_bad: bool = False, stats: IngestStats | None = None,
               chat_types: str | None = None, channel: str | None = None, jobs: int = 1) -> Iterator[dict]:
    """Stream posts from files, export folders or glob patterns, each completed to the full schema.

    ``format`` forces a reader (``desktop-json``, ``desktop-html``, ``web-preview``,
    ``telethon``, ``table``); by default each input's format is detected.
    ``chat_types``: by default a full-account export gives its channels and a single-chat
    export its one chat, whatever its type; ``"all"`` reads every chat, ``"channels"``
    only channels.
    ``channel`` names the channel of inputs that do not say it (web previews, plain tables).
    Pass an :class:`IngestStats` as ``stats`` to get the counts for a summary.
    ``jobs`` > 1: that many worker processes identify languages, hash texts and find their links while this
    process reads (same output; worth it for large inputs on an otherwise idle machine).
    """
    for batch, _ in _post_batches(paths, format=format, skip_bad=skip_bad, stats=stats, chat_types=chat_types,
                                  channel=channel, batch_size=4096, jobs=jobs, as_columns=False):
        yield from batch


def _strings(values: list) -> pd.api.extensions.ExtensionArray:
    try:  # straight to Arrow: several times faster than pd.array for long texts
        return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()))
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pd.array([None if value is None else str(value) for value in values], dtype="string")


def _masked(values: list, dtype: str) -> pd.api.extensions.ExtensionArray:
    """An Int64 or boolean array: through Arrow (several times faster), pandas for what Arrow refuses.

    Integers are inferred, then cast safely: converting straight to int64 would truncate 3.5 to 3
    where pandas refuses it."""
    try:
        array = pa.array(values, type=pa.bool_()) if dtype == "boolean" else pa.array(values).cast(pa.int64())
        return array.to_pandas(types_mapper=_PANDAS_DTYPES.get).array
    except (pa.ArrowTypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pd.array(values, dtype=dtype)


_PANDAS_DTYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


def _datetimes(values: list, dtype: str) -> pd.Series:
    if values.count(None) == len(values):  # no dates at all (e.g. never edited); 0 is the epoch, not "none"
        return pd.Series(np.full(len(values), "NaT", dtype="datetime64[ns]")).dt.tz_localize("UTC").astype(dtype)
    return pd.Series(pd.to_datetime(pd.Series(values, dtype=object), utc=True)).astype(dtype)


def posts_frame(posts: Iterable[dict]) -> pd.DataFrame:
    """A DataFrame of completed post dicts with exactly the schema's columns and dtypes."""
    return _frame(list(posts))


def _frame(posts: list[dict] | _CompletedColumns, texts: pa.Array | list[str] | None = None) -> pd.DataFrame:
    """:func:`posts_frame`; ``texts``: the posts' texts as :func:`_text_array` made them (not converted again)."""
    if isinstance(posts, _CompletedColumns):
        return _columns_frame(posts, texts)
    try:  # one pass over the posts when each has every column, as the readers' posts do
        columns_values = list(zip(*map(_ALL_COLUMNS, posts))) or [()] * len(POST_COLUMN_NAMES)
    except KeyError:
        columns_values = [[post.get(name) for post in posts] for name in POST_COLUMN_NAMES]
    columns = {}
    for name, values in zip(POST_COLUMN_NAMES, columns_values):
        if name == "text" and isinstance(texts, pa.Array):
            columns[name] = pd.Series(pd.arrays.ArrowStringArray(texts))
        else:
            columns[name] = _frame_column(list(values), POST_COLUMNS[name][0])
    return pd.DataFrame(columns)


def _frame_column(values: list, dtype: str) -> pd.Series:
    if dtype.startswith("datetime64"):
        return _datetimes(values, dtype)
    if dtype == "object":
        return pd.Series(values, dtype=object)
    if dtype == "string":
        return pd.Series(_strings(values))
    return pd.Series(_masked(values, dtype))


_ALL_COLUMNS = itemgetter(*POST_COLUMN_NAMES)


def _columns_frame(done: _CompletedColumns, texts: pa.Array) -> pd.DataFrame:
    """The frame of a completed column batch: the same columns and dtypes as :func:`_frame` gives."""
    nothing = [None] * len(texts)
    given = done.columns
    values = {"id": given.id, "channel": given.channel, "message_id": given.message_id, "date": given.date,
              "lang": done.lang, "views": given.views, "forwards": given.forwards, "links": done.links,
              "hashtags": done.hashtags, "has_media": [False] * len(texts), "duplicate_of": done.duplicate_of,
              "source": given.source}
    columns = {}
    for name in POST_COLUMN_NAMES:
        value = texts if name == "text" else values.get(name)
        value = nothing if value is None else value
        dtype = POST_COLUMNS[name][0]
        if not isinstance(value, pa.Array):
            columns[name] = _frame_column(value, dtype)
        elif dtype.startswith("datetime64"):
            columns[name] = pd.Series(value.to_pandas()).astype(dtype)
        elif dtype == "string":
            columns[name] = pd.Series(pd.arrays.ArrowStringArray(value.cast(pa.large_string())))
        else:
            columns[name] = pd.Series(value.to_pandas(types_mapper=_PANDAS_DTYPES.get).array)
    return pd.DataFrame(columns)


def post_chunks(paths, *, chunk_size: int = DEFAULT_CHUNK_SIZE, format: str | None = None, skip_bad: bool = False,
                stats: IngestStats | None = None, chat_types: str | None = None,
                channel: str | None = None, jobs: int = 1, languages: bool = True) -> Iterator[pd.DataFrame]:
    """Like :func:`iter_posts`, as DataFrames of at most ``chunk_size`` posts (schema dtypes).

    ``languages=False`` leaves ``lang`` null, for callers that identify languages elsewhere (the
    tagging workers of :mod:`classify.batch`, so that this reading process is not their bottleneck).
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    for batch, texts in _post_batches(paths, format=format, skip_bad=skip_bad, stats=stats, chat_types=chat_types,
                                      channel=channel, batch_size=chunk_size, jobs=jobs, languages=languages):
        with _cyclic_gc_paused():
            frame = _frame(batch, texts)
        yield frame


def read_posts(paths, *, format: str | None = None, skip_bad: bool = False, stats: IngestStats | None = None,
               chat_types: str | None = None, channel: str | None = None,
               drop_duplicates: bool = False, jobs: int = 1) -> pd.DataFrame:
    """All posts of the inputs in one DataFrame with the schema's dtypes (see :func:`iter_posts`).

    ``drop_duplicates=True`` keeps only the first post of each normalised text.

    >>> posts = read_posts("examples/sample_export/result.json")   # doctest: +SKIP
    >>> posts[["id", "lang", "duplicate_of"]].head()                # doctest: +SKIP
    """
    frames = list(post_chunks(paths, format=format, skip_bad=skip_bad, stats=stats, chat_types=chat_types,
                              channel=channel, jobs=jobs))
    frame = pd.concat(frames, ignore_index=True) if frames else posts_frame([])
    if drop_duplicates:
        frame = frame[frame["duplicate_of"].isna()].reset_index(drop=True)
    return frame


def post_arrow_schema() -> pa.Schema:
    """The Parquet schema of the post table."""
    return arrow_schema({name: dtype for name, (dtype, _) in POST_COLUMNS.items()}, {
        "links": pa.list_(pa.large_string()),
        "hashtags": pa.list_(pa.large_string()),
        "reactions_by_emoji": pa.map_(pa.large_string(), pa.int64()),
    })


def write_posts(paths, output, *, format: str | None = None, skip_bad: bool = False,
                stats: IngestStats | None = None, chat_types: str | None = None, channel: str | None = None,
                drop_duplicates: bool = False, chunk_size: int = DEFAULT_CHUNK_SIZE, jobs: int = 1) -> int:
    """Stream the post table of the inputs to ``output`` (.parquet, .jsonl or .csv); returns rows written.

    The file appears only when every input was read: on any error no output is left behind. An output
    that is an input, or a file of an input folder (the next run would read it), is refused.
    """
    checked_output_format(output)
    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    expanded = expand_inputs(paths, format)
    refuse_output_among_inputs(output, [path for path, _ in expanded], folders_read_file_by_file(paths, format))
    with TableWriter(output, schema=post_arrow_schema()) as writer:
        for frame in post_chunks(expanded, chunk_size=chunk_size, format=format, skip_bad=skip_bad, stats=stats,
                                 chat_types=chat_types, channel=channel, jobs=jobs):
            if drop_duplicates:
                frame = frame[frame["duplicate_of"].isna()]
            writer.write(frame)
    return writer.rows_written
