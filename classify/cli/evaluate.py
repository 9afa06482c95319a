"""``classify evaluate``: score a model's themes against gold labels and write a report."""
from __future__ import annotations

import click


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, file_okay=False))
@click.argument("gold", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Report folder: metrics.json, report.md, f1_by_theme.png, calibration.png.")
@click.option("--split", "splits", multiple=True,
              help="Only rows of this split (repeatable); rows without a split are always used.")
def evaluate(model_path, gold, output, splits):
    """Evaluate the themes (and claims) of MODEL on GOLD labeled files (project JSONL, CheckThat! TSV)."""
    from training.evaluate import evaluate_model_files
    from training.evaluate_claims import evaluate_claim_files, format_claim_metrics, has_theme_labels

    claims = evaluate_claim_files(model_path, list(gold), output, splits=list(splits) or None)
    if claims is not None:
        for line in format_claim_metrics(claims):
            click.echo(line)
        if not has_theme_labels(list(gold), list(splits) or None):
            click.echo(f"claim metrics written to {output}/claims_metrics.json")
            return
    metrics, report = evaluate_model_files(model_path, list(gold), output, splits=list(splits) or None)
    overall = metrics["overall"]
    top1 = overall["top1_in_gold"]  # None when no gold post carries a theme
    click.echo(f"{overall['records']} posts: micro-F1 {overall['micro']['f1']:.3f}, "
               f"macro-F1 {overall['macro']['f1']:.3f}, top theme in gold {'-' if top1 is None else f'{top1:.1%}'}")
    for lang, summary in metrics.get("per_language", {}).items():
        click.echo(f"  {lang}: {summary['records']} posts, micro-F1 {summary['micro']['f1']:.3f}, "
                   f"macro-F1 {summary['macro']['f1']:.3f}")
    click.echo(f"report written to {report}")
