"""``classify claims``: commands over the claims of tagged posts."""
from __future__ import annotations

import click


@click.group()
def claims():
    """Work with the claims found by `classify tag`."""


@claims.command()
@click.argument("tagged", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Groups table (.jsonl, .csv or .parquet).")
@click.option("--threshold", type=click.FloatRange(0.0, 1.0), default=0.8, show_default=True,
              help="Character n-gram cosine similarity that joins two claims of one language.")
@click.option("--cross-threshold", type=click.FloatRange(0.0, 1.0), default=0.4, show_default=True,
              help="Similarity of names and numbers (two or more, all equal) that joins a claim and its translation.")
@click.option("--no-cross-lingual", is_flag=True, help="Only group claims of the same language.")
@click.option("--min-count", type=click.IntRange(min=1), default=2, show_default=True,
              help="Smallest group reported (1 reports every claim).")
def cluster(tagged, output, threshold, cross_threshold, no_cross_lingual, min_count):
    """Group near-identical claims of TAGGED (the .jsonl, .csv or .parquet of `classify tag`) across posts, channels,
    languages and time; each group reports first/last seen, count, channels and a representative sentence."""
    from classify.claim_clusters import ClusterOptions, cluster_tagged_file

    options = ClusterOptions(threshold=threshold, cross_threshold=cross_threshold,
                             cross_lingual=not no_cross_lingual, min_count=min_count)
    groups = cluster_tagged_file(tagged, output, options)
    click.echo(f"{len(groups)} recurring claim group(s) written to {output}")


@click.command("claims")
@click.argument("config", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Bundle folder; the `claims` component is added (other components are kept).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value, e.g. --set model.C=4 --set data.0.weight=0.5 (repeatable).")
def train_claims_command(config, output, overrides):
    """Train the claim sentence classifier from CONFIG (TOML) into the bundle folder OUTPUT."""
    from training.train_claims import load_claims_config, save_claims_component, train_claims

    model, metadata = train_claims(load_claims_config(config, overrides))
    path = save_claims_component(output, model, metadata)
    for label, per_group in metadata["metrics"]["cross_validated_sentences"].items():
        for group, m in per_group.items():
            click.echo(f"{label} {group}: F1 {m['f1']:.3f}, precision {m['precision']:.3f}, recall {m['recall']:.3f} "
                       f"(threshold {m['threshold']:.2f}; cross-validated, sentence level)")
    click.echo(f"claims component written to {path}")
