"""``classify ingest``: read exports into one post table file."""
from __future__ import annotations

import click

from classify.ingest import FORMATS, IngestStats, write_posts
from classify.ingest.table import CHAT_TYPES


chats_option = click.option(
    "--chats", type=click.Choice(CHAT_TYPES), default=None,
    help="Chats of a Desktop export to read. Default: the channels of a full-account export, "
         "or the one chat of a single-chat export whatever its type.")
channel_option = click.option(
    "--channel", default=None,
    help="Channel name for inputs that carry none (web-preview text, plain tables); default: file name.")


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Post table to write: .parquet, .jsonl or .csv (written atomically).")
@click.option("--format", "format_", type=click.Choice(list(FORMATS)), default=None,
              help="Read every input with this reader instead of detecting each input's format.")
@click.option("--skip-bad", is_flag=True, help="Skip malformed records (counted in the summary) instead of failing.")
@click.option("--drop-duplicates", is_flag=True, help="Leave out posts whose normalised text was seen before.")
@chats_option
@channel_option
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes for language identification, duplicate keys and links in plain text "
                   "(same table for any value).")
def ingest(inputs, output, format_, skip_bad, drop_duplicates, chats, channel, jobs):
    """Read Telegram exports into one post table.

    INPUT: Telegram Desktop JSON (result.json) or HTML export folders, Telethon
    dumps, JSONL/CSV tables with id and text, text copied from a t.me/s web
    preview; files, folders or glob patterns.
    """
    stats = IngestStats()
    write_posts(list(inputs), output, format=format_, skip_bad=skip_bad, stats=stats, chat_types=chats,
                channel=channel, drop_duplicates=drop_duplicates, jobs=jobs)
    click.echo(f"{output}: {stats.summary()}", err=True)
