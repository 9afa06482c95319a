"""Train the theme classifier from a config: read the labeled files, fit, describe.

``train_themes(config) -> (estimator, metadata)`` is what ``classify train themes``
and the default-model build call; save the result with
``classify.bundle.save_component(directory, "themes", estimator, metadata=metadata,
card_section=themes_card_section(metadata))`` (:func:`save_themes_model` does that).

:func:`cross_validate_themes` gives honest figures: it splits every source into
``folds`` parts with a fixed seed, trains on all but one part (of every source)
and predicts the held-out part, so each labeled row is scored by a model that
never saw it (thresholds are tuned inside the training part only).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import KFold

from classify.bundle import file_sha256
from classify.errors import InputError
from classify.text.normalize import text_key
from labels.records import read_labeled
from labels.taxonomy import Taxonomy, load_taxonomy
from training.config import DataSource, ThemesTrainingConfig
from training.data_files import display_path, require_one_labeling_per_post, source_names
from training.features import seed_stem
from training.themes import ThemeClassifier


@dataclass
class ThemeExamples:
    """Labeled texts gathered from the config's files, row-aligned."""

    texts: list[str] = field(default_factory=list)
    labels: list[list[str]] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, rows) -> "ThemeExamples":
        return ThemeExamples(*([values[i] for i in rows] for values in
                               (self.texts, self.labels, self.langs, self.weights, self.sources, self.ids)))


def read_theme_examples(sources: list[DataSource], taxonomy: Taxonomy) -> tuple[ThemeExamples, list[dict]]:
    """Rows with theme labels (in the wanted splits) from every source; unknown theme ids are an error."""
    from classify.text.lang import detect_language

    known = set(taxonomy.theme_ids)
    examples, described = ThemeExamples(), []
    # Sources are told apart by name (CV folds and metrics per source).
    for source, name in zip(sources, source_names(source.path for source in sources)):
        path = Path(source.path)
        if not path.is_file():
            raise InputError(path, "training data file not found")
        used = 0
        labeled = [record for record in read_labeled(path) if record.themes is not None
                   and (record.split is None or record.split in source.splits)]
        require_one_labeling_per_post(labeled, path)
        for record in labeled:
            unknown = sorted(set(record.themes) - known)
            if unknown:
                raise InputError(path, f"unknown theme(s) {', '.join(unknown)} (taxonomy {taxonomy.id} "
                                       f"{taxonomy.version}: {', '.join(taxonomy.theme_ids)})",
                                 location=f"line {record.source.rsplit(':', 1)[-1]}")
            if not record.text.strip():
                raise InputError(path, f"record {record.id!r} has themes but an empty text",
                                 location=f"line {record.source.rsplit(':', 1)[-1]}")
            examples.texts.append(record.text)
            examples.labels.append(sorted(set(record.themes)))
            examples.langs.append(record.lang or detect_language(record.text))
            examples.weights.append(float(source.weight))
            examples.sources.append(name)
            examples.ids.append(record.id)
            used += 1
        if used == 0:
            raise InputError(path, f"no rows with theme labels in split(s) {', '.join(source.splits)}")
        described.append({"path": display_path(path), "sha256": file_sha256(path), "records": used,
                          "weight": source.weight, "splits": list(source.splits)})
    return examples, described


def read_unlabeled_texts(path, limit: int = 0) -> list[str]:
    """``text`` of every JSONL record of an unlabeled corpus (first ``limit`` when > 0)."""
    path = Path(path)
    texts = []
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                text = json.loads(line).get("text")
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as error:
                raise InputError(path, f"not a JSON object with 'text' ({error})", location=f"line {number}") from None
            if isinstance(text, str) and text.strip():
                texts.append(text)
                if limit and len(texts) >= limit:
                    break
    return texts


def seed_term_stems(taxonomy: Taxonomy) -> list[list[str]]:
    """Per theme, the stems of its seed terms in every language (taxonomy order)."""
    return [sorted({seed_stem(term) for terms in theme.seed_terms.values() for term in terms})
            for theme in taxonomy.themes]


def build_estimator(config: ThemesTrainingConfig, taxonomy: Taxonomy) -> ThemeClassifier:
    options = config.model
    return ThemeClassifier(
        themes=taxonomy.theme_ids,
        seed_terms=seed_term_stems(taxonomy) if options.seed_term_weight > 0 else None,
        C=options.C, n_features=options.n_features, word_ngrams=tuple(options.word_ngrams),
        char_ngrams=tuple(options.char_ngrams) if options.char_ngrams else None,
        block_weights=(1.0, 1.0, options.seed_term_weight), class_weight=options.class_weight or None,
        length_split=options.length_split, cv_folds=options.cv_folds, random_state=config.seed,
        min_df=options.min_df, min_language_positives=options.min_language_positives,
        word_vectors=options.word_vectors or None, word_vector_weight=options.word_vector_weight,
    )


def fit_themes(config: ThemesTrainingConfig, taxonomy: Taxonomy, examples: ThemeExamples,
               unlabeled: list[str]) -> ThemeClassifier:
    if len(examples) < config.model.cv_folds:
        raise InputError(", ".join(sorted(set(examples.sources))),
                         f"only {len(examples)} labeled rows to train on, fewer than model.cv_folds "
                         f"({config.model.cv_folds})")
    model = build_estimator(config, taxonomy)
    return model.fit(examples.texts, examples.labels, sample_weight=examples.weights, langs=examples.langs,
                     idf_texts=unlabeled)


def source_folds(examples: ThemeExamples, folds: int, seed: int) -> np.ndarray:
    """Fold number of every row: each source is split into ``folds`` parts on its own (shuffled, seeded).

    Rows with the same normalised text (:func:`classify.text.normalize.text_key`) share the fold of
    the first of them, so no copy is scored by a model that trained on another copy (the shared
    data repeats 133 of 10,078 texts; without this, news-opening micro-F1 read 0.008 higher).
    """
    assignment = np.zeros(len(examples), dtype=np.int64)
    sources = np.array(examples.sources)
    for source in sorted(set(examples.sources)):
        rows = np.flatnonzero(sources == source)
        if len(rows) < folds:
            raise InputError(source, f"only {len(rows)} labeled rows, fewer than {folds} folds")
        for fold, (_, held) in enumerate(KFold(folds, shuffle=True, random_state=seed).split(rows)):
            assignment[rows[held]] = fold
    first_fold: dict[int, int] = {}
    for row, text in enumerate(examples.texts):
        key = text_key(text)
        if key:  # texts empty after normalisation are not copies of each other
            assignment[row] = first_fold.setdefault(key, assignment[row])
    return assignment


def cross_validate_themes(config: ThemesTrainingConfig, *, folds: int = 5, progress=None):
    """Out-of-fold predictions for every labeled row: ``(examples, probabilities, predicted, themes)``."""
    taxonomy = load_taxonomy(config.taxonomy or None)
    examples, _ = read_theme_examples(config.data, taxonomy)
    unlabeled = read_unlabeled_texts(config.unlabeled.path, config.unlabeled.limit) if config.unlabeled.path else []
    assignment = source_folds(examples, folds, config.seed)
    probabilities = np.zeros((len(examples), len(taxonomy.theme_ids)))
    predicted = np.zeros_like(probabilities, dtype=bool)
    for fold in range(folds):
        train, held = np.flatnonzero(assignment != fold), np.flatnonzero(assignment == fold)
        model = fit_themes(config, taxonomy, examples.subset(train), unlabeled)
        held_texts = [examples.texts[i] for i in held]
        held_langs = [examples.langs[i] for i in held]
        probabilities[held] = model.predict_proba(held_texts, held_langs)
        predicted[held] = model.predict_indicator(held_texts, held_langs, probabilities[held])
        if progress:
            progress(fold + 1, folds)
    return examples, probabilities, predicted, taxonomy.theme_ids


def train_themes(config: ThemesTrainingConfig, *, evaluation: dict | None = None):
    """Fit a :class:`ThemeClassifier` on all the config's data; returns ``(estimator, metadata)``.

    ``evaluation`` (held-out metrics, e.g. from :func:`cross_validate_themes` and
    :func:`training.evaluate.theme_metrics`) is recorded as the component's metrics.
    """
    taxonomy = load_taxonomy(config.taxonomy or None)
    examples, described = read_theme_examples(config.data, taxonomy)
    unlabeled = read_unlabeled_texts(config.unlabeled.path, config.unlabeled.limit) if config.unlabeled.path else []
    model = fit_themes(config, taxonomy, examples, unlabeled)
    config_record = config.to_dict()
    for source, record in zip(config_record["data"], described):
        source["path"] = record["path"]
    if config.unlabeled.path:
        config_record["unlabeled"]["path"] = display_path(Path(config.unlabeled.path))
    if config.taxonomy:
        config_record["taxonomy"] = display_path(Path(config.taxonomy))
    metadata = {
        "kind": "themes",
        "estimator": "training.themes.ThemeClassifier",
        "themes": list(model.classes_),
        "thresholds": {lang: model.thresholds_for(lang) for lang in model.languages_},
        "taxonomy": taxonomy.to_metadata(),
        "training_data": described,
        "unlabeled_data": ({"path": display_path(Path(config.unlabeled.path)),
                            "sha256": file_sha256(config.unlabeled.path), "records": len(unlabeled)}
                           if config.unlabeled.path else None),
        "label_counts": {theme: int(sum(theme in labels for labels in examples.labels))
                         for theme in model.classes_},
        "languages": {lang: examples.langs.count(lang) for lang in sorted(set(examples.langs))},
        "word_vectors": ({"name": model.word_vectors, "sha256": model.word_vectors_sha256_,
                          "words": int(len(model.word_hashes_)), "weight": model.word_vector_weight}
                         if model.word_vectors else None),
        "config": config_record,
        "metrics": evaluation or {},
    }
    return model, metadata


def themes_card_section(metadata: dict) -> str:
    """The model-card section of a themes component: data, held-out metrics per theme and language, limits."""
    from training.evaluate import per_theme_table, summary_table

    lines = ["## Themes (`themes`)", "",
             "Multi-label theme classifier (`training.themes.ThemeClassifier`): hashed word 1-2 grams, character "
             "n-grams inside words and taxonomy seed-term counts (language independent), sublinear TF-IDF, one "
             "logistic regression per theme, Platt-calibrated scores and F1-best thresholds per theme and language "
             "from cross-validation on the training data. Torch-free.", "",
             f"Taxonomy `{metadata['taxonomy']['id']}` {metadata['taxonomy']['version']} "
             f"(sha256 {metadata['taxonomy']['sha256'][:12]}...): " + ", ".join(metadata["themes"]) + ".", "",
             "Training data: " + "; ".join(f"{Path(d['path']).name} ({d['records']} labeled rows, weight "
                                           f"{d['weight']})" for d in metadata["training_data"]) + "."]
    if metadata.get("word_vectors"):
        vectors = metadata["word_vectors"]
        lines.append(f"Word vectors: `{vectors['name']}` (navec, Russian news, MIT licence; sha256 "
                     f"{vectors['sha256'][:12]}...): the mean vector of a post's Russian words is one more feature "
                     f"block (weight {vectors['weight']}); the bundle keeps the theme scores of its "
                     f"{vectors['words']:,} words, so tagging needs neither the vectors nor their package.")
    if metadata.get("unlabeled_data"):
        lines.append(f"Unlabeled texts for IDF weights: {Path(metadata['unlabeled_data']['path']).name} "
                     f"({metadata['unlabeled_data']['records']} posts).")
    lines += ["", "Labeled rows per theme: " + ", ".join(f"{t} {n}" for t, n in metadata["label_counts"].items())
              + ".", ""]
    evaluation = metadata.get("metrics") or {}
    if evaluation.get("overall"):
        lines += [f"### Held-out quality ({evaluation.get('protocol', 'cross-validation')})", "",
                  *summary_table(evaluation), "", *per_theme_table(evaluation, ("per_group",)), "",
                  f"Calibration error (ECE) of the held-out scores: {evaluation['calibration']['ece']:.3f}.", ""]
    else:
        lines += ["No held-out metrics recorded (train with `--cv-folds 5` to record them).", ""]
    counts = metadata["label_counts"]
    rarest = sorted((count, theme) for theme, count in counts.items() if count)[:2]
    unlabeled = [theme for theme, count in counts.items() if not count]
    languages = "/".join(sorted(metadata.get("languages") or {})) or "none"
    lines += ["### Limits", "",
              "- Trained on the labeled files above only; other genres, languages or periods may score lower. "
              f"Languages other than {languages} use the pooled calibration.",
              "- The rarest themes (" + ", ".join(f"{theme}: {count} labeled rows" for count, theme in rarest)
              + ") have the least reliable scores.",
              *([f"- No labeled rows for {', '.join(unlabeled)}: the model never predicts them."] if unlabeled else []),
              "- Scores are calibrated on cross-validated training data; thresholds maximise F1 per theme, so "
              "precision and recall differ by theme (see the table)."]
    return "\n".join(lines)


def train_and_save_themes(config: ThemesTrainingConfig, output, *, cv_folds: int = 0, progress=None) -> dict:
    """Optionally cross-validate, then train on all data and save the ``themes`` component into ``output``."""
    from classify.bundle import save_component
    from training.bundle_output import check_bundle_output, staged_bundle
    from training.evaluate import theme_metrics

    check_bundle_output(output)
    say = progress or (lambda message: None)
    evaluation = None
    summary = []
    if cv_folds:
        say(f"cross-validating with {cv_folds} folds per source ...")
        examples, scores, predicted, themes = cross_validate_themes(
            config, folds=cv_folds, progress=lambda done, total: say(f"  fold {done}/{total} done"))
        truth = np.array([[theme in labels for theme in themes] for labels in examples.labels])
        evaluation = theme_metrics(truth, predicted, scores, themes, langs=examples.langs,
                                   groups=examples.sources, ids=examples.ids, worst=0)
        evaluation["protocol"] = (f"{cv_folds}-fold cross-validation, folds drawn per source file with seed "
                                  f"{config.seed}; thresholds and calibration tuned inside each training part")
        for name, part in [("all", evaluation["overall"]), *evaluation["per_group"].items()]:
            top1 = part["top1_in_gold"]  # None for a source without a post that has a theme
            summary.append(f"{name}: micro-F1 {part['micro']['f1']:.3f}, macro-F1 {part['macro']['f1']:.3f}, "
                           f"top theme in gold {'-' if top1 is None else f'{top1:.1%}'} "
                           f"[held out, {cv_folds}-fold CV]")
    say("training on all labeled rows ...")
    model, metadata = train_themes(config, evaluation=evaluation)
    with staged_bundle(output) as folder:
        save_component(folder, "themes", model, metadata=metadata, card_section=themes_card_section(metadata))
    unlabeled = [theme for theme, count in metadata["label_counts"].items() if count == 0]
    rare = [theme for theme, count in metadata["label_counts"].items() if 0 < count < config.model.cv_folds]
    if unlabeled:
        say(f"warning: no labeled rows for {', '.join(unlabeled)}: the model never predicts them")
    if rare:
        say(f"warning: fewer than {config.model.cv_folds} labeled rows (model.cv_folds) for "
            f"{', '.join(rare)}: their scores and thresholds are unreliable")
    metadata["summary"] = summary
    return metadata
