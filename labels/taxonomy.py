"""The taxonomy: theme ids with descriptions and seed terms (en/ru), and claim labels.

Every command takes a taxonomy file (TOML); ``labels/taxonomy.toml`` is the default.
Models record ``taxonomy.id``, ``taxonomy.version`` and ``taxonomy.sha256``.
"""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from classify.errors import InputError

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent / "taxonomy.toml"
LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class Label:
    """A theme or a claim label."""

    id: str
    name: str
    description: dict[str, str] = field(default_factory=dict)
    seed_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Taxonomy:
    id: str
    version: str
    themes: tuple[Label, ...]
    claim_labels: tuple[Label, ...]
    sha256: str
    path: str = ""

    @property
    def theme_ids(self) -> list[str]:
        return [theme.id for theme in self.themes]

    @property
    def claim_label_ids(self) -> list[str]:
        return [label.id for label in self.claim_labels]

    def theme(self, theme_id: str) -> Label:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)

    def to_metadata(self) -> dict:
        """What a model bundle records about the taxonomy it was trained with."""
        return {"id": self.id, "version": self.version, "sha256": self.sha256,
                "themes": self.theme_ids, "claim_labels": self.claim_label_ids}


def _label(entry: dict, path: Path, where: str) -> Label:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"].strip():
        raise InputError(path, "every entry needs a non-empty string 'id'", location=where)
    description = entry.get("description", {})
    seed_terms = entry.get("seed_terms", {})
    if not isinstance(description, dict) or not isinstance(seed_terms, dict):
        raise InputError(path, "'description' and 'seed_terms' must be tables keyed by language",
                         location=f"{where} ({entry['id']})")
    for lang, terms in seed_terms.items():
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise InputError(path, f"seed_terms.{lang} must be a list of strings", location=f"{where} ({entry['id']})")
    return Label(
        id=entry["id"],
        name=str(entry.get("name", entry["id"])),
        description={str(k): str(v) for k, v in description.items()},
        seed_terms={lang: tuple(term.lower() for term in terms) for lang, terms in seed_terms.items()},
    )


def load_taxonomy(path=None) -> Taxonomy:
    """Read and check a taxonomy TOML file (the default one when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"invalid TOML: {error}") from None
    for key in ("id", "version"):
        if not isinstance(data.get(key), str):
            raise InputError(path, f"missing string '{key}' at the top of the file")
    themes = tuple(_label(entry, path, f"themes[{i}]") for i, entry in enumerate(data.get("themes", [])))
    claims = tuple(_label(entry, path, f"claim_labels[{i}]") for i, entry in enumerate(data.get("claim_labels", [])))
    if not themes:
        raise InputError(path, "no [[themes]] defined")
    if not claims:
        claims = (Label(id="checkworthy", name="Check-worthy claim"),)
    ids = [label.id for label in themes + claims]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InputError(path, f"label ids defined twice: {', '.join(repeated)}")
    return Taxonomy(id=data["id"], version=data["version"], themes=themes, claim_labels=claims,
                    sha256=hashlib.sha256(raw).hexdigest(), path=str(path))
