"""``classify labels ...``: validate labeled files, sample posts to label, convert to and from labeling tools,
measure annotator agreement and merge annotators. Each command calls one function of :mod:`labels`."""
from __future__ import annotations

import sys
from pathlib import Path

import click

taxonomy_option = click.option(
    "--taxonomy", "taxonomy_path", type=click.Path(exists=True, dir_okay=False), default=None,
    help="Taxonomy TOML file (default: the toolkit's labels/taxonomy.toml).")


def _refuse_overwriting_an_input(output, inputs) -> None:
    if any(Path(path).resolve() == Path(output).resolve() for path in inputs):
        raise click.BadParameter(f"{output} is also an input: it would be overwritten; write it elsewhere",
                                 param_hint="'-o' / '--output'")


def _check_labeled_output(output, inputs) -> None:
    """A labeled file is JSON Lines: a name that promises another format is refused, as is an input."""
    if Path(output).suffix.lower() not in (".jsonl", ".ndjson"):
        raise click.BadParameter(f"{output}: labeled files are JSON Lines; use a .jsonl name",
                                 param_hint="'-o' / '--output'")
    _refuse_overwriting_an_input(output, inputs)


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
    from labels.taxonomy import check_taxonomy, describe_taxonomy

    problems = check_taxonomy(path)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        sys.exit(1)
    click.echo(describe_taxonomy(_taxonomy(path)))


@labels.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@taxonomy_option
@click.option("--per-label", is_flag=True, help="Also count records per theme and spans per claim label.")
def validate_command(files, taxonomy_path, per_label):
    """Check labeled JSONL (or CheckThat! TSV) files: every problem with file and line, then counts per file.

    Exits with 1 when any file has an error.
    """
    from labels.validate import render_reports, validate_files

    reports = validate_files(files, _taxonomy(taxonomy_path))
    click.echo(render_reports(reports, per_label=per_label))
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
    from labels.validate import require_known_labels

    _refuse_overwriting_an_input(output, [file])
    taxonomy = _taxonomy(taxonomy_path)
    records = read_labeled(file)
    require_known_labels(records, taxonomy)
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

    _check_labeled_output(output, [file])
    records = import_records(file, tool, _taxonomy(taxonomy_path))
    write_labeled(records, output)
    labeled = sum(1 for r in records if r.themes is not None or r.claims is not None)
    click.echo(f"{len(records)} records ({labeled} labeled) -> {output}")


@labels.command("agreement")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@taxonomy_option
@click.option("--show", type=click.IntRange(min=0), default=50, show_default=True,
              help="How many disagreeing posts to print.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write every disagreement as a table (.jsonl, .csv or .parquet).")
def agreement_command(files, taxonomy_path, show, output):
    """Agreement per theme and claim label: Cohen's kappa (two annotators) or Krippendorff's alpha (more).

    Pass one file per annotator, or one file whose records name their annotator.
    """
    from labels.agreement import compute_agreement, render_agreement, write_disagreements
    from labels.annotators import read_annotations
    from labels.validate import require_known_labels

    if output:
        from classify.io import output_format

        try:
            output_format(output)
        except ValueError:
            raise click.BadParameter("use a .jsonl, .csv or .parquet name", param_hint="'-o' / '--output'") from None
        _refuse_overwriting_an_input(output, files)
    taxonomy = _taxonomy(taxonomy_path)
    groups = read_annotations(files)
    if len(groups) < 2:
        raise click.UsageError(f"need at least two annotators, found {sorted(groups)}")
    for posts in groups.values():
        require_known_labels(posts.values(), taxonomy)
    report = compute_agreement(groups, taxonomy)
    click.echo(render_agreement(report, show=show))
    if output:
        write_disagreements(report, output)
        click.echo(f"{len(report.disagreements)} disagreements -> {output}")


@labels.command("merge")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Merged labeled JSONL.")
@click.option("--ties", type=click.Choice(["exclude", "include"]), default="exclude", show_default=True,
              help="Keep a label that exactly half of the annotators gave.")
@taxonomy_option
def merge_command(files, output, ties, taxonomy_path):
    """Combine annotators by majority vote into one labeled file; ties are listed (status 'tie')."""
    from labels.annotators import read_annotations
    from labels.merge import merge_annotations
    from labels.records import write_labeled
    from labels.validate import require_known_labels

    _check_labeled_output(output, files)
    taxonomy = _taxonomy(taxonomy_path)
    groups = read_annotations(files)
    for posts in groups.values():
        require_known_labels(posts.values(), taxonomy)
    merged, tie_list = merge_annotations(groups, ties=ties, claim_labels=taxonomy.claim_label_ids)
    write_labeled(merged, output)
    for tie in tie_list:
        click.echo(f"tie: {tie.describe()}")
    click.echo(f"{len(groups)} annotators, {len(merged)} posts -> {output}; "
               f"{len(tie_list)} tie(s) in {len({t.post_id for t in tie_list})} post(s) ({ties}d)")


@labels.command("sample")
@click.argument("posts", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-n", "count", type=click.IntRange(min=1), required=True, help="How many posts to choose.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="Batch JSONL to write.")
@click.option("--model", "model_path", type=click.Path(exists=True), default=None,
              help="Model bundle: prefer posts it is least sure about and pre-fill its suggestions.")
@click.option("--exclude", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Labeled file(s) whose posts (same id or same text) must not be chosen again.")
@click.option("--allocation", type=click.Choice(["proportional", "equal"]), default="proportional",
              show_default=True, help="Posts per channel-month: proportional to its size, or equal.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random seed (same seed, same batch).")
@taxonomy_option
def sample_command(posts, count, output, model_path, exclude, allocation, seed, taxonomy_path):
    """Choose posts to annotate from post tables written by `classify ingest` or from Telegram exports.

    Stratified by channel and month; skips empty posts, duplicates (duplicate_of) and repeated texts.
    """
    from labels.records import read_labeled, write_labeled
    from labels.sample import load_posts, sample_posts

    _check_labeled_output(output, [*posts, *exclude])
    frame = load_posts(posts)
    excluded = [record for path in exclude for record in read_labeled(path)]
    model, agent = None, "model"
    if model_path:
        from classify.model import load_model

        model = load_model(model_path)
        agent = str(getattr(model, "name", None) or model_path)
    result = sample_posts(frame, count, seed=seed, model=model, agent=agent, allocation=allocation,
                          exclude_ids=[r.id for r in excluded], exclude_texts=[r.text for r in excluded])
    if not result.records:
        from classify.errors import InputError

        raise InputError(", ".join(posts), f"no post left to choose ({result.summary()})")
    if model is not None:
        from labels.validate import require_known_labels

        require_known_labels(result.records, _taxonomy(taxonomy_path))
    write_labeled(result.records, output)
    click.echo(f"{result.summary()} -> {output}")
