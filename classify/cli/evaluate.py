"""``classify evaluate``: score a model's themes against gold labels and write a report."""
from __future__ import annotations

import click


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(exists=True, file_okay=False))
@click.argument("gold", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Report folder: metrics.json, report.md, f1_by_theme.png, calibration.png "
                   "(claims_metrics.json when the gold has claims); files of an earlier run of the kind not "
                   "written this time are removed.")
@click.option("--split", "splits", multiple=True,
              help="Only rows of this split (repeatable); rows without a split are always used.")
def evaluate(model_path, gold, output, splits):
    """Evaluate the themes (and claims) of MODEL on GOLD labeled files (project JSONL, CheckThat! TSV)."""
    from classify.errors import InputError
    from training.evaluate import evaluate_model_files, remove_stale_reports
    from training.evaluate_claims import (evaluate_claim_files, format_claim_metrics, has_theme_labels,
                                          write_claim_metrics)

    gold, splits = list(gold), list(splits) or None
    # claims scored before the theme report is written and saved after it: bad theme or claim labels stop the
    # command before any part of the report is written
    claims = evaluate_claim_files(model_path, gold, splits=splits)
    themes = evaluate_model_files(model_path, gold, output, splits=splits) if has_theme_labels(gold, splits) else None
    if claims is not None:
        write_claim_metrics(claims, output)
    if themes is not None or claims is not None:
        remove_stale_reports(output, themes=themes is not None, claims=claims is not None)
    if claims is not None:
        for line in format_claim_metrics(claims):
            click.echo(line)
    if themes is None:
        if claims is None:
            raise InputError(", ".join(gold), "no rows with theme labels to evaluate, and no claim labels "
                                              "(or the model has no claims component)")
        click.echo(f"claim metrics written to {output}/claims_metrics.json")
        return
    metrics, report = themes
    overall = metrics["overall"]
    top1 = overall["top1_in_gold"]  # None when no gold post carries a theme
    click.echo(f"{overall['records']} posts: micro-F1 {overall['micro']['f1']:.3f}, "
               f"macro-F1 {overall['macro']['f1']:.3f}, top theme in gold {'-' if top1 is None else f'{top1:.1%}'}")
    for lang, summary in metrics.get("per_language", {}).items():
        click.echo(f"  {lang}: {summary['records']} posts, micro-F1 {summary['micro']['f1']:.3f}, "
                   f"macro-F1 {summary['macro']['f1']:.3f}")
    click.echo(f"report written to {report}")
