"""Read Telegram exports of every kind into one post table (see ``schema.POST_COLUMNS``).

>>> from classify.ingest import read_posts, IngestStats
>>> stats = IngestStats()
>>> posts = read_posts(["export/result.json", "dump.jsonl"], stats=stats)   # doctest: +SKIP
>>> print(stats.summary())                                                 # doctest: +SKIP
"""
from classify.ingest._base import IngestStats
from classify.ingest.detect import FORMATS, detect_format
from classify.ingest.schema import POST_COLUMNS
from classify.ingest.table import iter_posts, post_arrow_schema, post_chunks, posts_frame, read_posts, write_posts

__all__ = ["FORMATS", "IngestStats", "POST_COLUMNS", "detect_format", "iter_posts", "post_arrow_schema",
           "post_chunks", "posts_frame", "read_posts", "write_posts"]
