"""``classify report``: an HTML report (with PNG charts and CSV tables) over tagged posts."""
from __future__ import annotations

import click

from classify.report import WEIGHTS


@click.command()
@click.argument("tagged", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for index.html, the PNG charts and the CSV tables.")
@click.option("--weight", type=click.Choice(WEIGHTS), default="auto", show_default=True,
              help="Weight posts by views, reactions or count them; auto picks views, then reactions, "
                   "when at least half of the posts carry them.")
@click.option("--top-claims", type=click.IntRange(min=1), default=10, show_default=True,
              help="Claims listed per theme.")
@click.option("--title", default="Theme report", show_default=True)
@click.option("--taxonomy", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Taxonomy TOML giving theme names (default: the bundled taxonomy).")
def report(tagged, out_dir, weight, top_claims, title, taxonomy):
    """Report on TAGGED tables (from `classify tag`): theme shares per channel, weekly trends,
    top claims per theme and language mix."""
    from labels.taxonomy import load_taxonomy

    from classify.report import write_report

    index = write_report(tagged, out_dir, weight=weight, top_claims=top_claims, title=title,
                         taxonomy=load_taxonomy(taxonomy))
    click.echo(f"report written to {index}")
