"""``python -m training``: the ``classify train`` commands, plus ``build-default``.

    python -m training themes CONFIG.toml -o models/NAME [--set key=value ...]
    python -m training claims CONFIG.toml -o models/NAME
    python -m training build-default            # rebuilds models/default from ../shared/data
"""
from __future__ import annotations

import sys

from classify.cli import _Main
from classify.cli.train import train


def main() -> None:
    command = _Main(name="python -m training", commands=train.commands, help=train.help,
                    context_settings={"help_option_names": ["-h", "--help"]})
    sys.exit(command.main(prog_name="python -m training"))


if __name__ == "__main__":
    main()
