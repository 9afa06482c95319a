"""Tag posts by theme (and claims, when the bundle has a claim component).

:func:`tag_frame` is pure: a post table in (``classify.ingest`` schema, or any
frame with ``id`` and ``text``), a tag table out, row for row, deterministic; it
can be mapped over partitions. :func:`tag_files` streams any input the ingest
readers accept through it, chunk by chunk, into one atomically written table.
"""
from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from classify.batch_state import state_path_for
from classify.io import TableWriter, checked_output_format, refuse_output_among_inputs

# views and reactions ride along so reports can weight themes by reach
PASS_THROUGH = ("id", "channel", "message_id", "date", "lang", "duplicate_of", "views", "reactions")
NO_THEME = "(none)"


def tag_frame(model, posts: pd.DataFrame, *, include_text: bool = True, topic_model=None) -> pd.DataFrame:
    """One tag row per post: ``id, channel, message_id, date, lang, duplicate_of, views, reactions, [text,] themes,
    theme_scores[, claims]``.

    ``themes`` lists the theme ids over their thresholds; ``theme_scores`` maps every
    theme to its calibrated score. Posts without text get no themes and null scores.
    Columns absent from ``posts`` (e.g. ``channel`` for a plain JSONL input) are left out.
    """
    if "text" not in posts.columns:
        raise ValueError("posts need a 'text' column")
    texts = ["" if value is None or value is pd.NA or value != value else str(value)
             for value in posts["text"].tolist()]
    if "lang" in posts.columns:
        langs = ["other" if value is None or value is pd.NA or value != value else str(value)
                 for value in posts["lang"].tolist()]
    else:
        from classify.text.lang import detect_languages

        langs = detect_languages(texts)
    # .array keeps nullable dtypes: counts stay integers when some are missing
    tags = pd.DataFrame({column: (pd.Series(langs, dtype="str") if column == "lang" else posts[column].array)
                         for column in PASS_THROUGH if column in posts.columns or column == "lang"})
    if include_text:
        tags["text"] = pd.Series(texts, dtype="str")
    has_text = [bool(text.strip()) for text in texts]
    themes: list[list[str]] = [[] for _ in texts]
    scores: list[dict | None] = [None] * len(texts)
    rows = [i for i, present in enumerate(has_text) if present]
    if rows:
        texts_with, langs_with = [texts[i] for i in rows], [langs[i] for i in rows]
        probabilities = model.predict_proba(texts_with, langs_with)
        predicted = model.predict_indicator(texts_with, langs_with, probabilities)
        names = model.themes_
        rounded, flags = probabilities.round(4).tolist(), predicted.tolist()  # lists: fast per-row access
        for position, row in enumerate(rows):
            themes[row] = [name for name, on in zip(names, flags[position]) if on]
            scores[row] = dict(zip(names, rounded[position]))
    # object Series: an empty chunk's columns are lists and dicts too, not float64
    tags["themes"] = pd.Series(themes, dtype=object)
    tags["theme_scores"] = pd.Series(scores, dtype=object)
    if model.has_claims:
        from classify.claims import extract_claims

        tags["claims"] = pd.Series(extract_claims(model, texts, langs), dtype=object)
    if topic_model is not None:  # a training.topics model: topic, topic_label, topic_probability per post
        from training.topics import assign_topics

        assigned = assign_topics(topic_model, texts)
        tags["topic"], tags["topic_label"], tags["topic_probability"] = (list(c) for c in zip(*assigned))
    return tags


def tag_arrow_schema(tags: pd.DataFrame, themes: list[str]):
    """The Parquet (Arrow) schema of a tag table with these theme ids.

    The list and dict columns get their types from the theme ids rather than from
    the data, so a chunk of posts without text (``themes`` empty, ``theme_scores``
    null, no claims) is written like any other chunk.
    """
    import pyarrow as pa

    # list items named as Parquet stores them, so a table read back from parts has this very schema
    words = pa.list_(pa.field("element", pa.string()))
    claim = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("text", pa.string()), ("label", pa.string()),
                       ("score", pa.float64()), ("themes", words)])
    typed = {"themes": words, "theme_scores": pa.struct([(theme, pa.float64()) for theme in themes]),
             "claims": pa.list_(pa.field("element", claim))}
    schema = pa.Schema.from_pandas(tags, preserve_index=False)
    for name, kind in typed.items():
        if name in tags.columns:
            schema = schema.set(schema.get_field_index(name), pa.field(name, kind))
    return schema


@dataclass
class TagSummary:
    """What a tagging run did: posts tagged, posts per theme, time, ingest counts."""

    output: Path
    posts: int = 0
    posts_with_text: int = 0
    theme_counts: Counter = field(default_factory=Counter)
    seconds: float = 0.0
    ingest: str = ""

    def add(self, tags: pd.DataFrame) -> None:
        """Count a tagged chunk."""
        self.posts += len(tags)
        for labels, scores in zip(tags["themes"], tags["theme_scores"]):
            self.posts_with_text += scores is not None
            self.theme_counts.update(labels or [NO_THEME])

    def lines(self, themes: list[str]) -> list[str]:
        rate = self.posts / self.seconds if self.seconds > 0 else 0.0
        lines = [f"{self.posts:,} posts tagged ({self.posts_with_text:,} with text) -> {self.output} "
                 f"in {self.seconds:.1f} s ({rate:,.0f} posts/s)"]
        if self.ingest:
            lines.append(f"input: {self.ingest}")
        return lines + theme_count_lines(self.theme_counts, self.posts, themes)


def theme_count_lines(counts: Counter, posts: int, themes: list[str]) -> list[str]:
    """One line per theme (and for posts without one): posts and share of all posts."""
    width = max((len(theme) for theme in [*themes, NO_THEME]), default=8)
    return [f"  {theme:<{width}}  {counts.get(theme, 0):>8,}  {counts.get(theme, 0) / posts if posts else 0.0:6.1%}"
            for theme in [*themes, NO_THEME]]


def tag_files(inputs, output, *, model, chunk_size: int = 5000, progress: bool = True,
              include_text: bool = True, format: str | None = None, skip_bad: bool = False,
              topic_model=None, chat_types: str | None = None, channel: str | None = None) -> TagSummary:
    """Tag every post of ``inputs`` (paths the ingest readers accept) into ``output`` (.jsonl/.csv/.parquet);
    ``format``, ``skip_bad``, ``chat_types`` and ``channel`` are passed to the readers.

    Reads, tags and writes one chunk at a time, so memory does not grow with the
    input; the output appears only when the whole run succeeded.
    """
    from tqdm import tqdm

    from classify.ingest import IngestStats, post_chunks, posts_frame
    from classify.ingest.detect import expand_inputs, folders_read_file_by_file

    checked_output_format(output)
    expanded = expand_inputs([str(p) for p in inputs], format)
    refuse_output_among_inputs(output, [path for path, _ in expanded], folders_read_file_by_file(inputs, format))
    stats = IngestStats()
    summary = TagSummary(output=Path(output))
    started = time.perf_counter()
    chunks = (tag_frame(model, posts, include_text=include_text, topic_model=topic_model)
              for posts in post_chunks(expanded, chunk_size=chunk_size, format=format, skip_bad=skip_bad,
                                       stats=stats, chat_types=chat_types, channel=channel))
    first = next(chunks, None)  # its columns (which depend on the input) give the schema
    if first is None:  # no post at all: still a table with the tag columns (a Parquet file needs them)
        first = tag_frame(model, posts_frame([]), include_text=include_text)
    with TableWriter(output, schema=tag_arrow_schema(first, model.themes_)) as writer, \
            tqdm(desc="tagging", unit=" posts", disable=not progress, mininterval=0.5, smoothing=0.1) as bar:
        for tags in itertools.chain([first], chunks):
            writer.write(tags)
            summary.add(tags)
            bar.update(len(tags))
    # A state left by an earlier --since-last run describes the output just replaced (as in classify.batch).
    state_path_for(output).unlink(missing_ok=True)
    summary.seconds = time.perf_counter() - started
    summary.ingest = stats.summary()
    return summary
