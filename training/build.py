"""Rebuild the shipped default bundle (``models/default``) from ``../shared/data``.

One command: ``python -m training build-default`` (or ``classify train build-default``).
It trains the themes component from ``training/configs/default_themes.toml`` with
a held-out evaluation recorded in the model card, then the claims component from
``training/configs/default_claims.toml`` when the claim trainer is present.
"""
from __future__ import annotations

import shutil
from pathlib import Path

CONFIGS = Path(__file__).resolve().parent / "configs"


def build_default_model(output=None, *, cv_folds: int = 5, say=print) -> list[str]:
    """Train every default component into ``output`` (``models/default`` when None); returns summary lines."""
    from models import DEFAULT_MODEL_DIR
    from training.bundle_output import check_bundle_output
    from training.config import load_themes_config
    from training.train_themes import train_and_save_themes

    output = Path(output) if output is not None else DEFAULT_MODEL_DIR
    check_bundle_output(output)  # the folder is replaced as a whole at the end
    staging = output.with_name(f".{output.name}.building")
    if staging.exists():
        shutil.rmtree(staging)
    lines = []
    metadata = train_and_save_themes(load_themes_config(CONFIGS / "default_themes.toml"), staging,
                                     cv_folds=cv_folds, progress=say)
    lines += metadata.get("summary", [])
    claims_config = CONFIGS / "default_claims.toml"
    if claims_config.is_file():
        from training.train_claims import load_claims_config, save_claims_component, train_claims

        say("training the claims component ...")
        model, claims_metadata = train_claims(load_claims_config(claims_config))
        save_claims_component(staging, model, claims_metadata)
        lines.append("claims component trained")
    if output.exists():
        shutil.rmtree(output)
    staging.rename(output)
    lines.append(f"default bundle written to {output}")
    return lines
