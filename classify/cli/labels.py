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


def _tools():
    from labels.convert import TOOLS

    return TOOLS


@labels.command("export")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--to", "tool", type=click.Choice(_tools()), required=True, help="Labeling tool.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True,
              help="Tasks file (.json for Label Studio and Argilla, .jsonl for Prodigy).")
@taxonomy_option
def export_command(file, tool, output, taxonomy_path):
    """Write labeled or to-label records for a labeling tool, with the project setup beside them.

    Label Studio: tasks JSON + <name>.label_config.xml; Argilla: records JSON + <name>.settings.json;
    Prodigy: JSONL. Labels become annotations/responses, suggestions become predictions.
    """
    from labels.convert import export_records
    from labels.records import read_labeled

    taxonomy = _taxonomy(taxonomy_path)
    records = read_labeled(file)
    for record in records:
        taxonomy.check_known(themes=record.themes or [], claim_labels=[s.label for s in record.claims or []],
                             source=record.source)
    written = export_records(records, tool, output, taxonomy)
    click.echo(f"{len(records)} records -> {', '.join(str(path) for path in written)}")


@labels.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--from", "tool", type=click.Choice(_tools()), required=True, help="Labeling tool.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Labeled JSONL to write.")
@taxonomy_option
def import_command(file, tool, output, taxonomy_path):
    """Read a labeling tool's export back into the labeled JSONL format (one record per annotator)."""
    from labels.convert import import_records
    from labels.records import write_labeled

    records = import_records(file, tool, _taxonomy(taxonomy_path))
    write_labeled(records, output)
    labeled = sum(1 for r in records if r.themes is not None or r.claims is not None)
    click.echo(f"{len(records)} records ({labeled} labeled) -> {output}")
