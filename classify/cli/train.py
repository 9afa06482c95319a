"""``classify train``: fit model components from a TOML config into a bundle folder."""
from __future__ import annotations

import click


def _folds(ctx, param, value: int) -> int:
    if value == 1:
        raise click.BadParameter("0 (no cross-validation) or at least 2")
    return value


@click.group()
def train():
    """Train model components (themes, claims) into a bundle folder."""


@train.command("themes")
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Bundle folder; the `themes` component is written (other components are kept). A folder "
                   "that holds anything but a model bundle is refused.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set model.C=2 --set data.0.weight=0.5 (repeatable).")
@click.option("--cv-folds", type=click.IntRange(min=0), default=0, show_default=True, callback=_folds,
              help="Also cross-validate by source with this many folds and record the held-out metrics "
                   "(0: record none).")
def train_themes_command(config, output, overrides, cv_folds):
    """Train the theme classifier from CONFIG (TOML) into the bundle folder OUTPUT."""
    from training.config import load_themes_config
    from training.train_themes import train_and_save_themes

    metadata = train_and_save_themes(load_themes_config(config, overrides), output, cv_folds=cv_folds,
                                     progress=lambda message: click.echo(message, err=True))
    for line in metadata.get("summary", []):
        click.echo(line)
    click.echo(f"themes component written to {output}")


@train.command("build-default")
@click.option("-o", "--output", type=click.Path(file_okay=False), default=None,
              help="Bundle folder (default: models/default of this checkout).")
@click.option("--cv-folds", type=click.IntRange(min=0), default=5, show_default=True, callback=_folds,
              help="Folds of the held-out evaluation recorded in the model card (0: skip).")
def build_default(output, cv_folds):
    """Rebuild the shipped default bundle from ../shared/data (themes, then claims)."""
    from training.build import build_default_model

    for line in build_default_model(output, cv_folds=cv_folds, say=lambda m: click.echo(m, err=True)):
        click.echo(line)


def _add_claims() -> None:
    from classify.cli.claims import train_claims_command

    train.add_command(train_claims_command, "claims")


_add_claims()
