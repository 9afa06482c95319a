"""Reader for text copied from a channel's web preview (``https://t.me/s/<channel>``).

Copying the preview page gives plain lines, no ids and no dates. The rules:

* ``Forwarded from X`` starts a message and sets ``forwarded_from``.
* Media placeholders (``Media is too big``, ``This media is not supported in
  your browser``, ``Please open Telegram to view this post``, ``VIEW IN
  TELEGRAM``) are dropped; they sit at the top of a message, so after text
  they start the next message; the message gets ``has_media``.
* "Read more" link lines (``Read in full``, ``Читать полностью``, ``Read the
  interview in full``, ``Полный текст интервью``, ``Listen to the
  interview``, ``📺 Смотреть интервью``, ...) are dropped; a short sentence opening
  the same way (``Далее выступил посол.``, ending with a full stop) is text.
* A line of reaction counts (``👍2``, ``❤️ 15 🔥4``, ``👏1.2K``; with at least one of the
  emoji Telegram offers as reactions, so that ``🇷🇺 2025`` stays text) ends a message and
  fills ``reactions`` (total) and ``reactions_by_emoji``; a views/time footer
  (``1.2K views 14:03``, ``edited 14:03``) ends a message too and fills ``views``
  (a time alone on its line is text: a schedule's ``10:00``). Further reaction
  or footer lines right after still belong to the message they close.
* The preview repeats text: a message's body is followed by the same body
  again (exactly, or as a longer "expanded" version containing every line of
  the first, or as a truncated one). The repeated copy is dropped, keeping the
  message's head line(s) and the longer copy. A completed repeat also marks the
  end of a message, which is how messages without a ``Forwarded from`` line
  are told apart. Lines are compared after normalisation (case, punctuation,
  emoji ignored), and a line also matches a truncated version of itself.

Each message becomes one post: ``channel`` from the ``channel`` option (default:
the file name without extension), no ``message_id`` (the table builder gives it
a ``sha1:`` id), ``source`` = ``<file>:<first line>``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from classify.errors import InputError
from classify.ingest._base import IngestStats
from classify.text.normalize import normalized_bytes

_FORWARDED = re.compile(r"^(?:Forwarded from|Переслано (?:от|из))\s+(?P<name>.+)$")
_MEDIA_PLACEHOLDER = re.compile(
    r"^(?:Media is too big|This media is not supported in your browser|Please open Telegram to view this post"
    r"|Media is not supported|Медиа слишком большое|VIEW IN TELEGRAM|ОТКРЫТЬ В TELEGRAM)$",
    re.IGNORECASE,
)
_SYMBOL = "\u00a9\u00ae\u200d\u203c\u2049\u2122-\u2b55\ufe0f\U0001f000-\U0001faff"
_LEADING_SYMBOLS = re.compile(f"^[{_SYMBOL}\\s]+")
_READ_MORE = re.compile(
    r"^(?:read|читать|watch|смотреть|listen|слушать|полный текст|full text|подробнее|далее)\b",
    re.IGNORECASE,
)
_READ_MORE_MAX_WORDS = 5
_SENTENCE_END = (".", "!", "?")
"""a link's caption ends with none of these; "Далее выступил посол." is a sentence of the post"""
_COUNT = r"\d+(?:[.,]\d+)?[KkMmКкМм]?"
_REACTIONS = re.compile(f"^(?:[{_SYMBOL}]+\\s*{_COUNT}\\s*)+$")
_REACTION_ITEM = re.compile(f"([{_SYMBOL}]+)\\s*({_COUNT})")
# the emoji Telegram offers as reactions (and ⭐ of paid ones), without variation selectors: a line of
# emoji and counts is a reaction line only with one of them ("🇷🇺 2025" or "📈 40" are figures of a post)
_REACTION_EMOJI = frozenset(
    "👍 👎 ❤ 🔥 🥰 👏 😁 🤔 🤯 😱 🤬 😢 🎉 🤩 🤮 💩 🙏 👌 🕊 🤡 🥱 🥴 😍 🐳 ❤\u200d🔥 🌚 🌭 💯 🤣 ⚡ 🍌 🏆 💔 🤨 😐 🍓 "
    "🍾 💋 🖕 😈 😴 😭 🤓 👻 👨\u200d💻 👀 🎃 🙈 😇 😨 🤝 ✍ 🤗 🫡 🎅 🎄 ☃ 💅 🤪 🗿 🆒 💘 🙉 🦄 😘 💊 🙊 😎 👾 "
    "🤷\u200d♂ 🤷 🤷\u200d♀ 😡 ⭐".split())
_FOOTER = re.compile(
    rf"^(?:(?P<views>{_COUNT})\s*(?:views?|просмотр\w*)\s*)?(?P<edited>edited\s+|изменено\s+)?"
    r"(?P<time>\d{1,2}:\d{2}(?:\s*[AP]M)?)?$",
    re.IGNORECASE,
)

MIN_ANCHOR_BYTES = 12
"""A repeat must start on a line with at least this much normalised text ("***" cannot start one)."""
MIN_REPEAT_BYTES = 40
"""A truncated repeat must cover at least this much normalised text."""
MIN_PREFIX_BYTES = 20
"""A line matches a truncated version of itself when the shorter one has at least this much text."""
MAX_POST_LINES = 400
"""How far back a repeat is looked for, which bounds the work on a file without markers."""


@dataclass
class _Line:
    number: int
    text: str
    key: bytes


@dataclass
class _Message:
    first_line: int
    forwarded_from: str | None = None
    has_media: bool = False
    lines: list = field(default_factory=list)
    reactions: dict | None = None
    views: int | None = None

    @property
    def empty(self) -> bool:
        return not self.lines and self.forwarded_from is None and not self.has_media


def sniff(path: Path, head: bytes) -> bool:
    """A UTF-8 text file (``.txt``, or any text carrying the preview's own markers)."""
    if path.is_dir() or path.suffix.lower() in (".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".html", ".htm"):
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a character cut by the 64 KiB boundary is fine
            return False
        text = head[: error.start].decode("utf-8")
    if path.suffix.lower() in (".txt", ".text", ""):
        return True
    return any(marker in text for marker in ("Forwarded from", "VIEW IN TELEGRAM", "Read in full"))


def _count(value: str) -> int:
    value = value.replace(",", ".")
    scale = 1
    if value[-1] in "KkКк":
        value, scale = value[:-1], 1_000
    elif value[-1] in "MmМм":
        value, scale = value[:-1], 1_000_000
    return int(round(float(value) * scale))


def _reactions(line: str) -> dict:
    by_emoji: dict = {}
    for emoji, count in _REACTION_ITEM.findall(line):
        emoji = emoji.strip()
        by_emoji[emoji] = by_emoji.get(emoji, 0) + _count(count)
    return by_emoji


def _is_reactions(line: str) -> bool:
    return _REACTIONS.match(line) is not None and any(
        emoji.strip().replace("\ufe0f", "") in _REACTION_EMOJI for emoji, _ in _REACTION_ITEM.findall(line))


def _is_read_more(line: str) -> bool:
    bare = _LEADING_SYMBOLS.sub("", line)
    return (len(bare.split()) <= _READ_MORE_MAX_WORDS and _READ_MORE.match(bare) is not None
            and not bare.endswith(_SENTENCE_END))


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    offset = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise InputError(path, f"not UTF-8 text (byte 0x{raw[error.start]:02x}); save the file as UTF-8",
                                 location=f"line {number}, byte {offset + error.start}") from None
            offset += len(raw)
            yield number, line.strip()


def _messages(path: Path) -> Iterator[_Message]:
    """Messages as delimited by the markers, before repeated text is resolved.

    Reaction and views lines close a message; more of them right after (reactions
    copied one per line, then the views footer) still belong to that message, so
    a closed message is held back until something else starts.
    """
    closed: _Message | None = None
    current = _Message(first_line=1)
    for number, line in _lines(path):
        if not line:
            continue
        forwarded = _FORWARDED.match(line)
        footer = _FOOTER.match(line)
        if _is_reactions(line) or (footer and (footer.group("views") or footer.group("edited"))):
            target = closed if current.empty and closed is not None else current
            if footer:
                target.views = _count(footer.group("views")) if footer.group("views") else target.views
            else:
                target.reactions = _merge(target.reactions, _reactions(line))
            if target is current:
                if closed is not None:
                    yield closed
                closed, current = current, _Message(first_line=number + 1)
            continue
        if _is_read_more(line):
            continue
        if closed is not None:
            yield closed
            closed = None
        if forwarded:
            if not current.empty:
                yield current
            current = _Message(first_line=number, forwarded_from=forwarded.group("name").strip())
        elif _MEDIA_PLACEHOLDER.match(line):
            if current.lines:
                yield current
                current = _Message(first_line=number)
            current.has_media = True
        else:
            if current.empty:
                current.first_line = number
            current.lines.append(_Line(number, line, normalized_bytes(line)))
    if closed is not None:
        yield closed
    if not current.empty:
        yield current


def _merge(old: dict | None, new: dict) -> dict:
    merged = dict(old or {})
    for emoji, count in new.items():
        merged[emoji] = merged.get(emoji, 0) + count
    return merged


def _same(a: _Line, b: _Line) -> bool:
    if a.key == b.key:
        return a.text == b.text or bool(a.key)
    short, long = (a.key, b.key) if len(a.key) < len(b.key) else (b.key, a.key)
    return len(short) >= MIN_PREFIX_BYTES and long.startswith(short)


def _longer(a: _Line, b: _Line) -> _Line:
    return b if len(b.key) > len(a.key) else a


def _repeat(lines: list, start: int, i: int, j: int):
    """(end, kept lines) when lines[j:end] repeats lines[i:j], else None."""
    n = len(lines)
    a, b = i, j
    while a < j and b < n and _same(lines[a], lines[b]):
        a, b = a + 1, b + 1
    if a == j:  # the same body twice: keep the longer version of each line
        return b, lines[start:i] + [_longer(x, y) for x, y in zip(lines[i:j], lines[j:b])]
    # an expanded copy: every line of the first copy, in order, plus a few more
    a2, b2, extra = i, j, 0
    while a2 < j and b2 < n and extra <= a2 - i + 2:
        if _same(lines[a2], lines[b2]):
            a2 += 1
        else:
            extra += 1
        b2 += 1
    if a2 == j:
        return b2, lines[start:i] + lines[j:b2]
    # a truncated copy: a prefix of the first copy, long enough not to be a coincidence, and cut short
    # (it ends the message, or its last line is cut): else a post that opens like the one before
    cut = b == n or lines[b - 1].key != lines[a - 1].key
    if cut and sum(len(line.key) for line in lines[j:b]) >= MIN_REPEAT_BYTES:
        return b, lines[start:j]
    return None


def _split(lines: list) -> list[list]:
    """The posts in one message's lines: each post is head + body, with the body's repeat removed."""
    posts = []
    start, n = 0, len(lines)
    while start < n:
        found = None
        for j in range(start + 1, n):
            if len(lines[j].key) < MIN_ANCHOR_BYTES:
                continue
            for i in range(max(start, j - MAX_POST_LINES), j):
                if _same(lines[i], lines[j]):
                    # a short line ("Key points:") may open both copies without being an anchor
                    first, second = i, j
                    while first > start and _same(lines[first - 1], lines[second - 1]):
                        first, second = first - 1, second - 1
                    found = _repeat(lines, start, first, second)
                    if found:
                        break
            if found:
                break
        if found is None:
            posts.append(lines[start:])
            break
        end, kept = found
        posts.append(kept)
        start = end
    return posts


def read(path, *, stats: IngestStats, skip_bad: bool = False, channel: str | None = None) -> Iterator[dict]:
    """Yield one post dict per message of a web-preview text copy (see the module doc)."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise InputError(path, "empty file")
    channel = channel or path.stem
    count = 0
    for message in _messages(path):
        bodies = _split(message.lines) or [[]]
        for index, lines in enumerate(bodies):
            first, last = index == 0, index == len(bodies) - 1
            text = "\n".join(line.text for line in lines)
            reactions = message.reactions if last else None
            count += 1
            yield {
                "channel": channel,
                "message_id": None,
                "date": None,
                "text": text,
                "forwarded_from": message.forwarded_from if first else None,
                "reply_to_message_id": None,
                "edited": None,
                "reactions": sum(reactions.values()) if reactions else None,
                "reactions_by_emoji": reactions,
                "views": message.views if last else None,
                "forwards": None,
                "links": None,  # the table builder finds them in the text
                "hashtags": None,
                "has_media": message.has_media and first,
                "media_type": None,
                "source": f"{path}:{message.first_line if first else lines[0].number}",
            }
    if count == 0:
        raise InputError(path, "no posts found (only blank lines or viewer boilerplate)")
