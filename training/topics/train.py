"""Plain functions behind ``classify topics``: fit and save, assign, over time, show."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import pandas as pd

from classify.errors import InputError
from classify.io import checked_output_format, refuse_output_among_inputs, write_table
from training.topics.config import load_config
from training.topics.model import TooFewPostsError, TopicModel
from training.topics.over_time import topics_over_time
from training.topics.persist import check_replaceable, load_topic_model, save_topic_model

ASSIGN_COLUMNS = ["id", "channel", "date", "topic", "topic_label", "topic_probability", "theme"]


def _is_table(path) -> bool:
    return Path(path).suffix.lower() == ".parquet"


def _read_posts(paths: Sequence) -> pd.DataFrame:
    """Posts of Telegram exports and JSONL/CSV post tables (read by ``classify ingest``) and of ``.parquet`` post
    tables (as ``classify ingest`` writes them)."""
    from labels.sample import load_posts

    posts = load_posts(paths)
    if posts.empty:
        raise InputError(", ".join(map(str, paths)), "no posts found")
    for column in ("channel", "date"):  # a Parquet table from elsewhere may lack them
        if column not in posts.columns:
            posts[column] = None
    posts["date"] = pd.to_datetime(posts["date"], utc=True, errors="coerce")
    return posts


def _expanded(paths: Sequence) -> list[Path]:
    """The files an input list stands for (folders and glob patterns expanded, as ``classify ingest`` reads them)."""
    from classify.ingest.detect import expand_inputs

    others = [str(p) for p in paths if not _is_table(p)]
    return [Path(p) for p in paths if _is_table(p)] + ([path for path, _ in expand_inputs(others)] if others else [])


def _refuse_output_among(output, paths: Sequence) -> None:
    from classify.ingest.detect import folders_read_file_by_file

    refuse_output_among_inputs(output, _expanded(paths), folders_read_file_by_file(paths))


def training_data_record(paths: Sequence, records: int) -> dict:
    """What the bundle records about the data: file names, their sha256 and the number of posts."""
    digests = {}
    for path in map(Path, paths):
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        digest = hashlib.sha256()
        for file in files:
            digest.update(file.read_bytes())
        digests[path.name] = digest.hexdigest()
    return {"paths": [Path(p).name for p in paths], "sha256": digests, "records": int(records)}


def fit_topics(paths: Sequence, output, *, config_path=None, taxonomy_path=None, seed: int | None = None,
               guidance: str | None = None) -> TopicModel:
    """Read posts, fit a topic model guided by the taxonomy and save it to ``output``."""
    from labels.taxonomy import load_taxonomy

    check_replaceable(output)
    target = Path(output).resolve()
    for path in map(Path, paths):
        if path.resolve() == target or target in path.resolve().parents:
            raise InputError(output, f"the output folder holds the input {path}; saving would delete it")
    config = load_config(config_path)
    if seed is not None:
        config.seed = seed
    if guidance is not None:
        config.guidance.mode = guidance
        config.validate()
    taxonomy = load_taxonomy(taxonomy_path)
    posts = _read_posts(paths)
    try:
        model = TopicModel(config=config, taxonomy=taxonomy).fit(
            posts["text"].fillna("").tolist(), channels=posts["channel"].fillna("").tolist(),
            ids=posts["id"].tolist())
    except TooFewPostsError as error:
        raise InputError(", ".join(map(str, paths)), str(error)) from None
    save_topic_model(model, output, training_data=training_data_record(paths, len(posts)))
    return model


def assign_frame(model: TopicModel, posts: pd.DataFrame) -> pd.DataFrame:
    """The topic of every post: id, channel, date, topic, topic_label, topic_probability, theme."""
    assigned = model.assign(posts["text"].fillna("").tolist())
    themes = {topic.id: topic.theme for topic in model.topics_}
    return pd.DataFrame({
        "id": posts["id"].to_numpy(), "channel": posts["channel"].to_numpy(), "date": posts["date"].to_numpy(),
        "topic": [a[0] for a in assigned], "topic_label": [a[1] for a in assigned],
        "topic_probability": [a[2] for a in assigned], "theme": [themes.get(a[0], "") for a in assigned],
    }, columns=ASSIGN_COLUMNS)


def assign_posts(paths: Sequence, model_dir, output) -> pd.DataFrame:
    """Assign topics to posts and write the table (JSONL, CSV or Parquet by suffix)."""
    checked_output_format(output)
    _refuse_output_among(output, paths)
    model = load_topic_model(model_dir)
    table = assign_frame(model, _read_posts(paths))
    write_table(table, output)
    return table


def over_time_posts(paths: Sequence, model_dir, output, *, freq: str = "W", by_channel: bool = True,
                    plots_dir=None, top_n: int = 8) -> pd.DataFrame:
    """Topic counts and shares per channel and period, written to ``output``; optional plots."""
    checked_output_format(output)
    _refuse_output_among(output, paths)
    model = load_topic_model(model_dir)
    posts = _read_posts(paths)
    if posts["date"].isna().all():
        raise InputError(", ".join(map(str, paths)), "no post has a date: topics over time need post dates")
    assigned = assign_frame(model, posts)
    table = topics_over_time(posts, assigned["topic"].tolist(), assigned["topic_label"].tolist(),
                             themes={t.id: t.theme for t in model.topics_}, freq=freq, by_channel=by_channel)
    write_table(table, output)
    if plots_dir is not None:
        from training.topics.plots import plot_topics_over_time

        plots_dir = Path(plots_dir)
        plot_topics_over_time(table, plots_dir / "topics_over_time", top_n=top_n)
        for channel in sorted(table["channel"].unique()) if by_channel else []:
            safe = "".join(c if c.isalnum() else "_" for c in str(channel))[:60] or "channel"
            plot_topics_over_time(table, plots_dir / f"topics_over_time_{safe}", top_n=top_n, channel=channel)
    return table


def show_topics(model: TopicModel, *, topic: int | None = None, words: int = 10, posts: int = 3,
                width: int = 160) -> str:
    """Top words and representative posts of each topic (or one), as plain text."""
    selected = model.topics_ if topic is None else [model.topic(topic)]
    lines = []
    for entry in selected:
        theme = entry.theme if entry.theme != "new" else f"new (closest: {entry.closest_theme})"
        lines.append(f"topic {entry.id}  {entry.size} posts  theme: {theme}  seed share {entry.theme_similarity:.2f}")
        lines.append("  words: " + ", ".join(word for word, _ in entry.words[:words]))
        for post in entry.representative_posts[:posts]:
            text = " ".join(post["text"].split())
            lines.append(f"  - [{post['id']}] {text[:width]}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def plot_model(model: TopicModel, plots_dir) -> list[Path]:
    """Topic sizes and the topic-theme map as HTML and PNG."""
    from training.topics.plots import plot_topic_sizes, plot_topic_theme_map

    plots_dir = Path(plots_dir)
    theme_ids = (model.taxonomy_metadata_ or {}).get("themes", []) if hasattr(model, "taxonomy_metadata_") else \
        (model.taxonomy.theme_ids if model.taxonomy is not None else [])
    return plot_topic_sizes(model.topics_, plots_dir / "topic_sizes") + \
        plot_topic_theme_map(model.topics_, theme_ids, plots_dir / "topic_theme_map")
