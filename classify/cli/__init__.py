"""The ``classify`` command line: thin commands that check arguments and call one library function.

Each sub-module holds the commands of one domain and is registered below.
Errors about bad input or models end the command with one line on stderr
and exit code 2, never a traceback.
"""
from __future__ import annotations

import sys

import click

from classify.errors import InputError, ModelError


class _Main(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (InputError, ModelError, OSError) as error:  # OSError names its file: no such file, not a folder, ...
            click.echo(f"error: {error}", err=True)
            sys.exit(2)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="telegram-classify")
def main():
    """Topic and claim classification for Telegram channels: ingest, label, train, tag."""


def _register() -> None:
    from classify.cli.ingest import ingest

    main.add_command(ingest)
    from classify.cli.labels import labels

    main.add_command(labels)
    from classify.cli.report import report

    main.add_command(report)
    from classify.cli.claims import claims

    main.add_command(claims)
    from classify.cli.topics import topics

    main.add_command(topics)
    from classify.cli.tag import tag

    main.add_command(tag)
    from classify.cli.train import train

    main.add_command(train)
    from classify.cli.evaluate import evaluate

    main.add_command(evaluate)


_register()
