"""The normalized post table every reader produces.

One row per post. Readers yield plain dicts with the *reader fields*; the table
builder adds ``id`` (when the reader has none), ``lang`` and ``duplicate_of``.
"""
from __future__ import annotations

# column -> (pandas dtype, meaning)
POST_COLUMNS: dict[str, tuple[str, str]] = {
    "id": ("string", "stable id: '<channel>/<message_id>', or 'sha1:<hash of text>' when there is no message id"),
    "channel": ("string", "channel or chat name (or id) the post comes from; '<name> (id <chat id>)' for a "
                          "chat named like an earlier chat of the run that has another id"),
    "message_id": ("Int64", "message id inside the channel"),
    "date": ("datetime64[ns, UTC]", "publication time in UTC"),
    "text": ("string", "plain text, entities flattened; empty for media-only posts"),
    "lang": ("string", "'ru', 'en' or 'other' (language identification)"),
    "forwarded_from": ("string", "name of the original channel or author of a forwarded post"),
    "reply_to_message_id": ("Int64", "id of the message this one replies to"),
    "edited": ("datetime64[ns, UTC]", "time of the last edit in UTC"),
    "reactions": ("Int64", "total reaction count, null when the source has none"),
    "reactions_by_emoji": ("object", "{emoji: count}, null when the source has none"),
    "views": ("Int64", "view count"),
    "forwards": ("Int64", "forward count"),
    "links": ("object", "list of URLs in the post (text links and plain URLs)"),
    "hashtags": ("object", "list of hashtags, with '#'"),
    "has_media": ("boolean", "the post carries a photo, video, file, ..."),
    "media_type": ("string", "kind of media when known"),
    "duplicate_of": ("string", "id of the first post with the same normalised text, else null"),
    "source": ("string", "'<file>:<line>' or '<file>#<record>' where the post was read"),
}

POST_COLUMN_NAMES: list[str] = list(POST_COLUMNS)
