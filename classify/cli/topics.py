"""``classify topics``: discover topics with BERTopic, assign them, follow them over time."""
from __future__ import annotations

import click

_POSTS = click.argument("posts", nargs=-1, required=True, type=click.Path(exists=True))
_MODEL = click.option("--model", "model_dir", required=True, type=click.Path(exists=True, file_okay=False),
                      help="Topic model folder written by `classify topics fit`.")


@click.group()
def topics():
    """Topic models (BERTopic) over post tables: fit, assign, over-time, show."""


@topics.command()
@_POSTS
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Folder to write the topic model to (a topic model there is replaced; any other non-empty "
                   "folder is refused).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Topic-model settings (TOML, see training/configs/topics.toml); defaults when omitted.")
@click.option("--taxonomy", "taxonomy_path", type=click.Path(exists=True, dir_okay=False),
              help="Taxonomy whose seed terms guide and name the topics (default: the built-in one).")
@click.option("--seed", type=int, help="Random seed (overrides the config).")
@click.option("--guidance", type=click.Choice(["seed", "zeroshot", "none"]),
              help="How the taxonomy guides the topics (overrides the config).")
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False),
              help="Also write topic-size and topic-theme plots (HTML and PNG) here.")
def fit(posts, output, config_path, taxonomy_path, seed, guidance, plots_dir):
    """Fit a topic model on POSTS (any input `classify ingest` reads, or its post tables)."""
    from training.topics.train import fit_topics, plot_model

    model = fit_topics(posts, output, config_path=config_path, taxonomy_path=taxonomy_path, seed=seed,
                       guidance=guidance)
    stats = model.stats_
    themes = sum(1 for t in model.topics_ if t.theme != "new")
    click.echo(f"{stats['topics']} topics ({themes} mapped to themes, {stats['topics'] - themes} new) from "
               f"{stats['documents']} posts; outliers {stats['outlier_share']:.1%} "
               f"(before reduction {stats['outlier_share_before_reduction']:.1%}); saved to {output}")
    if plots_dir:
        for path in plot_model(model, plots_dir):
            click.echo(f"wrote {path}")


@topics.command()
@_POSTS
@_MODEL
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Topic of every post (.jsonl, .csv or .parquet).")
def assign(posts, model_dir, output):
    """Assign each post of POSTS to its closest topic (-1 when none is close enough)."""
    from training.topics.train import assign_posts

    table = assign_posts(posts, model_dir, output)
    outliers = int((table["topic"] == -1).sum())
    click.echo(f"{len(table)} posts assigned ({outliers} outliers) -> {output}")


@topics.command("over-time")
@_POSTS
@_MODEL
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Posts and share per channel, period and topic (.csv, .jsonl or .parquet).")
@click.option("--freq", type=click.Choice(["D", "W", "M", "Q", "Y"]), default="W", show_default=True,
              help="Period: day, week (from Monday), month, quarter or year.")
@click.option("--all-channels", is_flag=True, help="One series for all channels together.")
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False),
              help="Write topics-over-time plots (HTML and PNG), overall and per channel, here.")
@click.option("--top", "top_n", type=click.IntRange(min=1), default=8, show_default=True,
              help="Topics drawn in each plot (the largest).")
def over_time(posts, model_dir, output, freq, all_channels, plots_dir, top_n):
    """How the topics of POSTS rise and fall, per channel and period."""
    from training.topics.train import over_time_posts

    table = over_time_posts(posts, model_dir, output, freq=freq, by_channel=not all_channels,
                            plots_dir=plots_dir, top_n=top_n)
    click.echo(f"{len(table)} rows ({table['period'].nunique()} periods, {table['channel'].nunique()} channels) "
               f"-> {output}")


@topics.command()
@_MODEL
@click.option("--topic", "topic_id", type=int, help="Show only this topic.")
@click.option("--words", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--posts", "n_posts", type=click.IntRange(min=0), default=3, show_default=True,
              help="Representative posts per topic.")
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False),
              help="Also write topic-size and topic-theme plots (HTML and PNG) here.")
def show(model_dir, topic_id, words, n_posts, plots_dir):
    """Top words, theme and representative posts of each topic."""
    from classify.errors import InputError
    from training.topics.persist import load_topic_model
    from training.topics.train import plot_model, show_topics

    model = load_topic_model(model_dir)
    if topic_id is not None and not 0 <= topic_id < len(model.topics_):
        raise InputError("--topic", f"no topic {topic_id}; the model has topics 0..{len(model.topics_) - 1}")
    click.echo(show_topics(model, topic=topic_id, words=words, posts=n_posts), nl=False)
    if plots_dir:
        for path in plot_model(model, plots_dir):
            click.echo(f"wrote {path}")
