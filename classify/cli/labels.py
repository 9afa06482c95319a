"""``classify labels ...``: validate labeled files, sample posts to label, convert to and from labeling tools,
measure annotator agreement and merge annotators. Each command calls one function of :mod:`labels`."""
from __future__ import annotations

import sys

import click

taxonomy_option = click.option(
    "--taxonomy", "taxonomy_path", type=click.Path(exists=True, dir_okay=False), default=None,
    help="Taxonomy TOML file (default: the toolkit's labels/taxonomy.toml).")


def _taxonomy(path):
    from labels.taxonomy import load_taxonomy

    return load_taxonomy(path)


@click.group()
def labels():
    """Label posts with themes and claims: validate, sample, export/import, agreement, merge."""


@labels.command("taxonomy")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), required=False)
def taxonomy_command(path):
    """Check a taxonomy file (default: the built-in one) and list its themes and claim labels."""
    from labels.taxonomy import check_taxonomy

    problems = check_taxonomy(path)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        sys.exit(1)
    taxonomy = _taxonomy(path)
    click.echo(f"{taxonomy.path}: taxonomy {taxonomy.id} version {taxonomy.version} (sha256 {taxonomy.sha256[:12]})")
    for kind, entries in (("theme", taxonomy.themes), ("claim label", taxonomy.claim_labels)):
        for entry in entries:
            terms = sum(len(t) for t in entry.seed_terms.values())
            click.echo(f"  {kind:<11} {entry.id:<20} {entry.name} "
                       f"[{'/'.join(sorted(entry.description)) or 'no description'}; {terms} seed terms]")


@labels.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@taxonomy_option
def validate_command(files, taxonomy_path):
    """Check labeled JSONL (or CheckThat! TSV) files: every problem with file and line, then counts per file.

    Exits with 1 when any file has an error.
    """
    from labels.validate import render_reports, validate_files

    reports = validate_files(files, _taxonomy(taxonomy_path))
    click.echo(render_reports(reports))
    if not all(report.ok for report in reports):
        sys.exit(1)
