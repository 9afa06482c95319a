"""The taxonomy: theme ids with descriptions and seed terms (en/ru), and claim labels.

Every command takes a taxonomy file (TOML); ``labels/taxonomy.toml`` is the default.
Models record ``taxonomy.id``, ``taxonomy.version`` and ``taxonomy.sha256``.

>>> taxonomy = load_taxonomy()
>>> taxonomy.theme_ids[:3]
['security', 'ukraine', 'economy']
>>> taxonomy.claim_label_ids
['checkworthy']
"""
from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from classify.errors import InputError

DEFAULT_TAXONOMY_PATH = Path(__file__).resolve().parent / "taxonomy.toml"
LANGUAGES = ("en", "ru")
DEFAULT_CLAIM_LABEL = "checkworthy"

_TOP_KEYS = {"id", "version", "name", "description", "themes", "claim_labels"}
_LABEL_KEYS = {"id", "name", "description", "seed_terms"}
# Ids end up as CSV column names, Label Studio choice values and Argilla option values.
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
_LANG_PATTERN = re.compile(r"^[a-z]{2,3}$")


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

    def claim_label(self, label_id: str) -> Label:
        for label in self.claim_labels:
            if label.id == label_id:
                return label
        raise KeyError(label_id)

    def to_metadata(self) -> dict:
        """What a model bundle records about the taxonomy it was trained with."""
        return {"id": self.id, "version": self.version, "sha256": self.sha256,
                "themes": self.theme_ids, "claim_labels": self.claim_label_ids}

    def check_known(self, *, themes: Iterable[str] = (), claim_labels: Iterable[str] = (),
                    source: str = "labels") -> None:
        """Raise InputError naming every theme or claim label this taxonomy does not define."""
        unknown_themes = sorted(set(themes) - set(self.theme_ids))
        unknown_claims = sorted(set(claim_labels) - set(self.claim_label_ids))
        parts = []
        if unknown_themes:
            parts.append(f"unknown theme(s) {', '.join(unknown_themes)}")
        if unknown_claims:
            parts.append(f"unknown claim label(s) {', '.join(unknown_claims)}")
        if parts:
            raise InputError(source, f"{'; '.join(parts)} (taxonomy {self.id} {self.version}: {self.path})")


@dataclass(frozen=True)
class TaxonomyProblem:
    """One mistake in a taxonomy file; ``line`` is 0 when it concerns the whole file."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return str(InputError(self.path, self.message, location=f"line {self.line}" if self.line else None))


def _entry_lines(text: str, table: str) -> list[int]:
    """Line numbers of the ``[[table]]`` headers, in order (tomllib gives no positions)."""
    pattern = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]")
    return [number for number, line in enumerate(text.splitlines(), start=1) if pattern.match(line)]


def _check_language_table(value, key: str, *, lists: bool) -> list[str]:
    if not isinstance(value, dict):
        return [f"'{key}' must be a table keyed by language, e.g. {key}.en = ..."]
    problems = []
    for lang, item in value.items():
        if not _LANG_PATTERN.match(lang):
            problems.append(f"'{key}.{lang}': language codes are 2-3 lowercase letters (en, ru)")
        if lists:
            if not isinstance(item, list) or not all(isinstance(t, str) and t.strip() for t in item):
                problems.append(f"'{key}.{lang}' must be a list of non-empty strings")
        elif not isinstance(item, str) or not item.strip():
            problems.append(f"'{key}.{lang}' must be a non-empty string")
    return problems


def _check_entry(entry, kind: str) -> list[str]:
    if not isinstance(entry, dict):
        return ["an entry must be a table"]
    problems = []
    label_id = entry.get("id")
    if not isinstance(label_id, str) or not label_id.strip():
        problems.append("needs a non-empty string 'id'")
    elif not _ID_PATTERN.match(label_id):
        problems.append(f"id {label_id!r} may only contain letters, digits, '_' and '-'")
    unknown = sorted(set(entry) - _LABEL_KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)} (expected {', '.join(sorted(_LABEL_KEYS))})")
    if "name" in entry and (not isinstance(entry["name"], str) or not entry["name"].strip()):
        problems.append("'name' must be a non-empty string")
    if kind == "themes" and not entry.get("description"):
        problems.append("a theme needs a description (description.en, description.ru): what is in, what is out")
    if "description" in entry:
        problems.extend(_check_language_table(entry["description"], "description", lists=False))
    if "seed_terms" in entry:
        problems.extend(_check_language_table(entry["seed_terms"], "seed_terms", lists=True))
    return problems


def check_taxonomy_text(text: str, path) -> list[TaxonomyProblem]:
    """Every problem of a taxonomy file's text (empty list when it is valid)."""
    path = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        return [TaxonomyProblem(path, int(line.group(1)) if line else 0, f"invalid TOML: {error}")]
    problems = []
    for key in ("id", "version"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.append(TaxonomyProblem(path, 0, f"missing string '{key}' at the top of the file"))
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        problems.append(TaxonomyProblem(path, 0, f"unknown top-level key(s) {', '.join(unknown)} "
                                                 f"(expected {', '.join(sorted(_TOP_KEYS))})"))
    seen: dict[str, str] = {}
    for kind in ("themes", "claim_labels"):
        entries = data.get(kind, [])
        if not isinstance(entries, list):
            problems.append(TaxonomyProblem(path, 0, f"'{kind}' must be an array of tables ([[{kind}]])"))
            continue
        lines = _entry_lines(text, kind)
        for index, entry in enumerate(entries):
            line = lines[index] if len(lines) == len(entries) else 0
            label_id = entry.get("id") if isinstance(entry, dict) else None
            where = f"{kind}[{index}]" + (f" '{label_id}'" if isinstance(label_id, str) else "")
            problems.extend(TaxonomyProblem(path, line, f"{where}: {message}") for message in _check_entry(entry, kind))
            if isinstance(label_id, str) and label_id:
                if label_id in seen:
                    problems.append(TaxonomyProblem(path, line, f"{where}: id already defined in {seen[label_id]}"))
                seen.setdefault(label_id, where)
    if not data.get("themes"):
        problems.append(TaxonomyProblem(path, 0, "no [[themes]] defined"))
    return problems


def _read_text(path: Path) -> tuple[bytes, str]:
    raw = path.read_bytes()
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 (byte {error.start})") from None


def check_taxonomy(path=None) -> list[TaxonomyProblem]:
    """Every problem of a taxonomy file (the default one when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    return check_taxonomy_text(_read_text(path)[1], path)


def describe_taxonomy(taxonomy: Taxonomy) -> str:
    """One line for the taxonomy, then one per theme and claim label."""
    lines = [f"{taxonomy.path}: taxonomy {taxonomy.id} version {taxonomy.version} (sha256 {taxonomy.sha256[:12]})"]
    for kind, entries in (("theme", taxonomy.themes), ("claim label", taxonomy.claim_labels)):
        for entry in entries:
            terms = sum(len(t) for t in entry.seed_terms.values())
            languages = "/".join(sorted(entry.description)) or "no description"
            lines.append(f"  {kind:<11} {entry.id:<20} {entry.name} [{languages}; {terms} seed terms]")
    return "\n".join(lines)


def _label(entry: dict) -> Label:
    return Label(
        id=entry["id"],
        name=str(entry.get("name", entry["id"])),
        description={str(k): str(v) for k, v in entry.get("description", {}).items()},
        seed_terms={lang: tuple(term.lower() for term in terms) for lang, terms in entry.get("seed_terms", {}).items()},
    )


def load_taxonomy(path=None) -> Taxonomy:
    """Read and check a taxonomy TOML file (the default one when ``path`` is None).

    Raises InputError naming the file and line of the first problem, with the
    count of all problems (``classify labels taxonomy FILE`` lists them all).
    """
    path = Path(path) if path is not None else DEFAULT_TAXONOMY_PATH
    raw, text = _read_text(path)
    problems = check_taxonomy_text(text, path)
    if problems:
        first = problems[0]
        more = (f" (and {len(problems) - 1} more problem(s): run `classify labels taxonomy {path}`)"
                if len(problems) > 1 else "")
        raise InputError(path, first.message + more, location=f"line {first.line}" if first.line else None)
    data = tomllib.loads(text)
    themes = tuple(_label(entry) for entry in data["themes"])
    claims = tuple(_label(entry) for entry in data.get("claim_labels", []))
    if not claims:
        claims = (Label(id=DEFAULT_CLAIM_LABEL, name="Check-worthy claim"),)
    return Taxonomy(id=data["id"], version=data["version"], themes=themes, claim_labels=claims,
                    sha256=hashlib.sha256(raw).hexdigest(), path=str(path))
