"""Training configs: dataclasses read from TOML, overridable with ``--set key=value``.

Example ``themes.toml``::

    seed = 13
    taxonomy = "labels/taxonomy.toml"     # optional; the default taxonomy otherwise

    [[data]]
    path = "../shared/data/themes/telegram_ru_gold.jsonl"
    [[data]]
    path = "../shared/data/themes/euvsdisinfo_claims_en.jsonl"
    weight = 0.5

    [unlabeled]
    path = "../shared/data/telegram_ru_news/posts.jsonl"

    [model]
    C = 4.0

Relative paths are read relative to the config file. Overrides use dotted keys
(``model.C=2``, ``seed=7``, ``data.0.weight=0.3``, ``unlabeled.path=""``); values
are parsed as TOML literals when they can be, else kept as strings.
"""
from __future__ import annotations

import math
import sys
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from classify.errors import InputError
from training.data_files import require_listed_once


@dataclass
class DataSource:
    """A labeled file (project JSONL or CheckThat! TSV); rows without theme labels are ignored.

    ``weight`` scales the sample weight of its rows; ``splits`` keeps only rows whose
    ``split`` is listed (rows without a split are always kept).
    """

    path: str
    weight: float = 1.0
    splits: list[str] = field(default_factory=lambda: ["train"])


@dataclass
class UnlabeledSource:
    """Unlabeled posts (JSONL with ``text``) whose words also count for the IDF weights; empty path = none."""

    path: str = ""
    limit: int = 0


@dataclass
class ThemeModelOptions:
    """Options of :class:`training.themes.ThemeClassifier` (see its docstring)."""

    C: float = 4.0
    word_ngrams: list[int] = field(default_factory=lambda: [1, 2])
    char_ngrams: list[int] = field(default_factory=lambda: [2, 5])
    n_features: int = 2 ** 20
    class_weight: str = "balanced"
    seed_term_weight: float = 1.0
    length_split: int = 0
    cv_folds: int = 3
    min_df: int = 1
    min_language_positives: int = 8
    word_vectors: str = ""  # "" for none, else a name of training.word_vectors.SOURCES
    word_vector_weight: float = 1.0


@dataclass
class ThemesTrainingConfig:
    data: list[DataSource] = field(default_factory=list)
    unlabeled: UnlabeledSource = field(default_factory=UnlabeledSource)
    model: ThemeModelOptions = field(default_factory=ThemeModelOptions)
    taxonomy: str = ""
    seed: int = 13
    name: str = "themes"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, *, origin="config") -> "ThemesTrainingConfig":
        config = _build(cls, data, origin, "")
        config.validate(origin)
        return config

    def validate(self, origin="config") -> None:
        """Check value ranges, so a bad value is named with its key before any training starts."""
        from training.word_vectors import SOURCES

        model = self.model
        checks = [(model.C > 0, "model.C must be > 0"),
                  (model.n_features >= 1, "model.n_features must be at least 1"),
                  (model.cv_folds >= 2, "model.cv_folds must be at least 2"),
                  (model.min_df >= 1, "model.min_df must be at least 1"),
                  (model.class_weight in ("balanced", ""), "model.class_weight must be \"balanced\" or \"\""),
                  (len(model.word_ngrams) == 2 and 1 <= model.word_ngrams[0] <= model.word_ngrams[1] <= 2,
                   "model.word_ngrams must be [1, 1], [1, 2] or [2, 2]"),
                  (not model.char_ngrams or (len(model.char_ngrams) == 2
                                             and 1 <= model.char_ngrams[0] <= model.char_ngrams[1]),
                   "model.char_ngrams must be [] (none) or [low, high] with 1 <= low <= high"),
                  (min(model.seed_term_weight, model.word_vector_weight, model.length_split,
                       model.min_language_positives) >= 0,
                   "model.seed_term_weight, word_vector_weight, length_split and min_language_positives "
                   "must not be negative"),
                  (model.word_vectors in ("", *SOURCES),
                   f"model.word_vectors must be \"\" (none) or one of {', '.join(SOURCES)}"),
                  (0 <= self.seed < 2 ** 32, "seed must be within 0 .. 2**32 - 1"),
                  (self.unlabeled.limit >= 0, "unlabeled.limit must not be negative")]
        checks += [(source.weight > 0, f"data.{i}.weight must be > 0") for i, source in enumerate(self.data)]
        for ok, message in checks:
            if not ok:
                raise InputError(origin, message)


def _build(cls, data, origin, prefix: str):
    if not isinstance(data, dict):
        raise InputError(origin, f"'{prefix.rstrip('.') or 'config'}' must be a table")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise InputError(origin, f"unknown key(s) {', '.join(prefix + k for k in unknown)}; "
                                 f"expected {', '.join(prefix + k for k in known)}")
    missing = [name for name, f in known.items() if f.default is MISSING and f.default_factory is MISSING
               and name not in data]
    if missing:
        raise InputError(origin, f"'{prefix}{missing[0]}' is required")
    values = {}
    for name, value in data.items():
        kind = known[name].type
        key = f"{prefix}{name}"
        if kind == "list[DataSource]":
            if not isinstance(value, list):
                raise InputError(origin, f"'{key}' must be an array of tables ([[{key}]])")
            values[name] = [_build(DataSource, item, origin, f"{key}.{i}.") for i, item in enumerate(value)]
        elif kind == "UnlabeledSource":
            values[name] = _build(UnlabeledSource, value, origin, f"{key}.")
        elif kind == "ThemeModelOptions":
            values[name] = _build(ThemeModelOptions, value, origin, f"{key}.")
        else:
            values[name] = check_scalar(value, kind, origin, key)
    try:
        return cls(**values)
    except TypeError as error:
        raise InputError(origin, str(error)) from None


def check_scalar(value, kind: str, origin, key: str):
    """``value`` when it has the config type ``kind`` (an integer is fine for a float), else an InputError naming ``key``."""
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if kind == "float" and isinstance(value, float) and not math.isfinite(value):
        # TOML reads inf and nan; every range check passes nan, and the estimators fail on both with a traceback
        raise InputError(origin, f"'{key}' must be a finite number, not {value!r}")
    expected = {"float": float, "int": int, "str": str, "list[int]": list, "list[str]": list}[kind]
    if not isinstance(value, expected) or isinstance(value, bool):
        raise InputError(origin, f"'{key}' must be {kind}, not {type(value).__name__} ({value!r})")
    if kind == "list[int]" and not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise InputError(origin, f"'{key}' must be a list of integers")
    if kind == "list[str]" and not all(isinstance(v, str) for v in value):
        raise InputError(origin, f"'{key}' must be a list of strings")
    return value


def _parse_value(text: str):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(data: dict, overrides: list[str], *, origin="--set") -> dict:
    """Apply ``key=value`` overrides (dotted keys, list indices as numbers) to a raw config dict."""
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InputError(origin, f"expected key=value, got {item!r}")
        parts = key.strip().split(".")
        node = data
        for depth, part in enumerate(parts[:-1]):
            if not isinstance(node, (dict, list)):
                raise InputError(origin, f"{key}: '{'.'.join(parts[:depth])}' is a value, not a table")
            if isinstance(node, list):
                if not part.isdigit() or int(part) >= len(node):
                    raise InputError(origin, f"{key}: no item {part} in '{'.'.join(parts[:depth])}'")
                node = node[int(part)]
            else:
                node = node.setdefault(part, {})
        last = parts[-1]
        if not isinstance(node, (dict, list)):
            raise InputError(origin, f"{key}: '{'.'.join(parts[:-1])}' is a value, not a table")
        if isinstance(node, list):
            if not last.isdigit() or int(last) >= len(node):
                raise InputError(origin, f"{key}: no item {last}")
            node[int(last)] = _parse_value(raw)
        else:
            node[last] = _parse_value(raw)
    return data


def path_from_config(path: str, base: Path) -> str:
    """A path written in a config file, read from the config's folder ``base`` when relative. Symbolic
    links are not resolved, so a data folder linked in beside the checkout keeps its place in the metadata."""
    if not path:
        return path
    candidate = Path(path).expanduser()
    return str(candidate if candidate.is_absolute() else (base / candidate))


def load_themes_config(path, overrides: list[str] = ()) -> ThemesTrainingConfig:
    """Read a themes training config; relative data paths are taken from the config file's folder."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "config file not found") from None
    except UnicodeDecodeError as error:
        raise InputError(path, f"not UTF-8 (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"invalid TOML: {error}") from None
    data = apply_overrides(data, list(overrides))
    config = ThemesTrainingConfig.from_dict(data, origin=path)
    base = path.resolve().parent
    for source in config.data:
        source.path = path_from_config(source.path, base)
    require_listed_once([source.path for source in config.data], path)
    config.unlabeled.path = path_from_config(config.unlabeled.path, base)
    config.taxonomy = path_from_config(config.taxonomy, base)
    if not config.data:
        raise InputError(path, "no [[data]] files given")
    for key, file in (("taxonomy", config.taxonomy), ("unlabeled.path", config.unlabeled.path)):
        if file and not Path(file).is_file():
            raise InputError(path, f"'{key}': file not found: {file}")
    return config
