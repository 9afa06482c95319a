"""``classify tag``: tag every post of new exports by theme (and claims, when the model has them)."""
from __future__ import annotations

import click

from classify.cli.ingest import channel_option, chats_option
from classify.ingest import FORMATS


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Tag table to write: .jsonl, .csv or .parquet (written atomically).")
@click.option("--model", "model_path", type=click.Path(exists=True, file_okay=False), default=None,
              help="Model bundle folder (default: the shipped models/default).")
@click.option("--format", "format_", type=click.Choice(list(FORMATS)), default=None,
              help="Read every input with this reader instead of detecting each input's format.")
@click.option("--skip-bad", is_flag=True, help="Skip malformed records (counted in the summary) instead of failing.")
@chats_option
@channel_option
@click.option("--chunk-size", type=click.IntRange(min=1), default=5000, show_default=True,
              help="Posts read, tagged and written at a time (bounds memory).")
@click.option("--no-text", is_flag=True, help="Leave the post text out of the output.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--topics", "topics_path", type=click.Path(exists=True, file_okay=False), default=None,
              help="Topic model folder (`classify topics fit`): adds topic, topic_label, topic_probability.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes tagging chunks in parallel (the model is loaded once per worker).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its finished chunks (<OUTPUT>.parts/).")
@click.option("--since-last", is_flag=True,
              help="Tag only posts newer than the previous run's (<OUTPUT>.state.json) and append them to OUTPUT.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: --jobs processes here; dask: the workers of --scheduler (see docs/scaling.md).")
@click.option("--scheduler", default=None, help="Dask scheduler address for --engine dask, e.g. tcp://10.0.0.5:8786.")
def tag(inputs, output, model_path, format_, skip_bad, chats, channel, chunk_size, no_text, quiet, topics_path, jobs,
        resume, since_last, engine, scheduler):
    """Tag every post of INPUTS by theme, with calibrated scores.

    INPUT: anything `classify ingest` reads (Telegram Desktop JSON/HTML exports,
    Telethon dumps, web-preview text, JSONL/CSV with id and text). Output: one
    record per post with id (a table's own id), channel, message_id, date, lang,
    duplicate_of, views, reactions, text, themes (over their thresholds),
    theme_scores ({theme: score}) and, when the model has them, claims
    ([{start, end, text, label, score, themes}]); then a posts-per-theme summary.
    """
    if jobs > 1 or resume or since_last or engine != "local" or scheduler:
        if topics_path:
            raise click.UsageError("--topics works with the plain single-process run only (no --jobs, --resume, "
                                   "--since-last or --engine)")
        if (engine == "dask") != bool(scheduler):
            raise click.UsageError("--engine dask needs --scheduler ADDRESS, and --scheduler needs --engine dask")
        from classify.batch import tag_batch
        from models import DEFAULT_MODEL_DIR

        result = tag_batch(list(inputs), output, model_path=model_path or DEFAULT_MODEL_DIR, jobs=jobs,
                           chunk_size=chunk_size, resume=resume, since_last=since_last, engine=engine,
                           scheduler=scheduler, progress=not quiet, input_format=format_, skip_bad=skip_bad,
                           chat_types=chats, channel=channel, include_text=not no_text)
        click.echo(result.summary())
        return
    from classify.model import load_model
    from classify.tag import tag_files

    model = load_model(model_path)
    topic_model = None
    if topics_path:
        from training.topics import load_topic_model

        topic_model = load_topic_model(topics_path)
    summary = tag_files(list(inputs), output, model=model, chunk_size=chunk_size, progress=not quiet,
                        include_text=not no_text, format=format_, skip_bad=skip_bad, topic_model=topic_model,
                        chat_types=chats, channel=channel)
    click.echo("\n".join(summary.lines(model.themes_)))
