"""What every reader shares: the per-run statistics and the reader signature.

A reader is a module with

    def sniff(path: Path, head: bytes) -> bool
        True when the file (or folder) looks like this reader's format;
        ``head`` is the first 64 KiB of the file (b"" for folders).

    def read(path: Path, *, stats: IngestStats, skip_bad: bool = False, **options) -> Iterator[dict]
        Yields one dict per post with reader fields from ``schema.POST_COLUMNS``
        (everything but ``lang`` and ``duplicate_of``; ``id`` only when the source has
        its own ids, e.g. plain JSONL/CSV ``id`` columns). ``source`` is always set.
        ``chat_id`` (not a column): the id of the chat, when the source names the chat
        and also gives its id; two chats of one name are then kept apart.
        ``links`` and ``hashtags`` may be None for text without entity information:
        the table builder then finds them in the plain text.
        A malformed message raises ``InputError`` naming the file and position,
        unless ``skip_bad`` is true: then it is recorded with ``stats.skip(...)``.
        Messages that are not posts (service messages) are counted in
        ``stats.service_messages`` and not yielded.

and optionally

    def read_columns(path: Path, *, stats: IngestStats, skip_bad: bool = False, **options)
            -> Iterator[list[dict] | PostColumns]
        The same posts in the same order, in blocks: where it can a :class:`PostColumns`
        (posts as Arrow columns, never converted one by one), else a list of post dicts;
        the table builder uses it when it exists.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import pyarrow as pa


@dataclass
class PostColumns:
    """Consecutive posts as Arrow arrays, one per reader field; a field left None is null for every post.

    ``links`` and ``hashtags`` are always left to the table builder (found in the text), ``has_media``
    is false. Text, channel and source are never null.
    """

    text: pa.Array
    channel: pa.Array
    source: pa.Array
    date: pa.Array | None = None
    message_id: pa.Array | None = None
    id: pa.Array | None = None
    views: pa.Array | None = None
    forwards: pa.Array | None = None

    def __len__(self) -> int:
        return len(self.text)

    def slice(self, start: int, length: int) -> PostColumns:
        return replace(self, **{item.name: getattr(self, item.name).slice(start, length)
                                for item in fields(self) if getattr(self, item.name) is not None})


@dataclass
class IngestStats:
    """Counts for the ingest summary; ``skipped`` keeps the position and reason of each bad record."""

    posts: int = 0
    service_messages: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    renamed_channels: list[str] = field(default_factory=list)
    chats_left_out: dict[str, int] = field(default_factory=dict)
    """Chats of a full-account export not read, by Telegram chat type (``chat_types`` chooses)."""

    def skip(self, location: str, reason: str) -> None:
        self.skipped.append((location, reason))

    def summary(self, shown: int = 3) -> str:
        """One line of counts; skipped records are grouped by reason, each with its first position
        (the first ``shown`` reasons), so a user can find them without rerunning."""
        parts = [f"{self.posts} posts", f"{self.duplicates} duplicates flagged",
                 f"{self.service_messages} service messages ignored"]
        if self.skipped:
            first_at: dict[str, str] = {}
            counts: dict[str, int] = {}
            for location, reason in self.skipped:
                first_at.setdefault(reason, location)
                counts[reason] = counts.get(reason, 0) + 1
            groups = [f"{count} x {reason} (first: {first_at[reason]})" for reason, count in counts.items()]
            more = f"; {len(groups) - shown} more reasons" if len(groups) > shown else ""
            parts.append(f"{len(self.skipped)} records skipped: {'; '.join(groups[:shown])}{more}")
        if self.chats_left_out:
            count = sum(self.chats_left_out.values())
            types = ", ".join(f"{kind} {n}" for kind, n in sorted(self.chats_left_out.items()))
            parts.append(f"{count} chat{'s' if count > 1 else ''} left out by chat type ({types})")
        if self.renamed_channels:
            names = ", ".join(repr(name) for name in self.renamed_channels[:shown])
            more = f" and {len(self.renamed_channels) - shown} more" if len(self.renamed_channels) > shown else ""
            count = len(self.renamed_channels)
            parts.append(f"{count} chat{'s' if count > 1 else ''} renamed apart from an earlier chat "
                         f"of the same name: {names}{more}")
        return ", ".join(parts)
