"""Theme classifier vs baselines: quality and throughput side by side, in one process, on the same split.

    .venv/bin/python benchmarks/themes.py [--data ../shared/data] [--posts 9000] [--jobs 2]

Split: fold 0 of the 5-fold split drawn per source file (seed of the default config)
of the labeled rows of training/configs/default_themes.toml is held out; every model
trains on the other folds. Quality on the held-out rows: micro/macro-F1 for the
Russian gold posts and the news-article openings (overall and per language), and
for the EUvsDisinfo claims the share whose top-scoring theme is a gold theme.

Models: this toolkit's ThemeClassifier (default config); a keyword matcher over
the taxonomy seed terms; TF-IDF (word 1-2 grams) + one-vs-rest logistic
regression; fastText supervised (``loss="ova"``) when a training-capable
``fasttext`` module is installed (``fasttext-predict``, a core dependency, only predicts).

Throughput: ``--posts`` distinct posts of 350 characters cut from the unlabeled Russian
corpus, tagged by each model (themes only; ours through ``classify.tag.tag_frame``,
in one process and in ``--jobs`` processes), in posts per wall-clock second and per
CPU second (the fairer figure when other jobs share the machine).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labels.taxonomy import load_taxonomy  # noqa: E402
from training.config import load_themes_config  # noqa: E402
from training.features import clean_text  # noqa: E402
from training.train_themes import fit_themes, read_theme_examples, seed_term_stems, source_folds  # noqa: E402

POST_CHARS = 350


# ------------------------------------------------------------------ baselines
class KeywordMatcher:
    """A theme is predicted when one of its seed-term stems starts a word of the text; score = matches."""

    def __init__(self, stems: list[list[str]]):
        self.patterns = [re.compile(r"\b(?:" + "|".join(re.escape(s) for s in group) + r")") for group in stems]

    def scores(self, texts) -> np.ndarray:
        cleaned = [clean_text(t) for t in texts]
        return np.array([[len(p.findall(text)) for p in self.patterns] for text in cleaned], dtype=float)

    def predict(self, texts) -> tuple[np.ndarray, np.ndarray]:
        scores = self.scores(texts)
        return scores, scores > 0


class TfidfLogistic:
    """TF-IDF word 1-2 grams (sublinear) + one logistic regression per theme, threshold 0.5."""

    def fit(self, texts, Y):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
        X = self.vectorizer.fit_transform(texts)
        self.models = []
        for j in range(Y.shape[1]):
            model = None
            if 0 < Y[:, j].sum() < len(Y):
                model = LogisticRegression(C=10.0, class_weight="balanced", solver="liblinear").fit(X, Y[:, j])
            self.models.append(model)
        return self

    def predict(self, texts) -> tuple[np.ndarray, np.ndarray]:
        X = self.vectorizer.transform(texts)
        scores = np.column_stack([m.predict_proba(X)[:, 1] if m is not None else np.zeros(X.shape[0])
                                  for m in self.models])
        return scores, scores >= 0.5


class FastTextModel:
    """fastText supervised, one-vs-all loss, threshold 0.5."""

    def fit(self, texts, Y, themes, seed: int):
        import fasttext

        self.themes = themes
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
            for text, row in zip(texts, Y):
                labels = " ".join(f"__label__{t}" for t, on in zip(themes, row) if on) or "__label__none"
                handle.write(f"{labels} {' '.join(clean_text(text).split())}\n")
        self.model = fasttext.train_supervised(handle.name, loss="ova", epoch=25, lr=0.5, wordNgrams=2,
                                               minn=3, maxn=5, dim=50, thread=1, seed=seed, verbose=0)
        return self

    def predict(self, texts) -> tuple[np.ndarray, np.ndarray]:
        labels, probs = self.model.predict([" ".join(clean_text(t).split()) for t in texts], k=-1, threshold=0.0)
        scores = np.zeros((len(texts), len(self.themes)))
        index = {f"__label__{t}": j for j, t in enumerate(self.themes)}
        for i, (row_labels, row_probs) in enumerate(zip(labels, probs)):
            for label, prob in zip(row_labels, row_probs):
                if label in index:
                    scores[i, index[label]] = prob
        return scores, scores >= 0.5


def fasttext_available() -> bool:
    try:
        import fasttext
    except ImportError:
        return False
    return hasattr(fasttext, "train_supervised")


# ------------------------------------------------------------------ quality
def quality(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray, sources, langs) -> dict:
    from training.evaluate import theme_metrics

    themes = [str(j) for j in range(truth.shape[1])]
    metrics = theme_metrics(truth, predicted, scores, themes, langs=langs, groups=sources, worst=0)
    result = {}
    for source, part in metrics["per_group"].items():
        result[source] = {"micro": part["micro"]["f1"], "macro": part["macro"]["f1"], "top1": part["top1_in_gold"]}
    for lang, part in metrics["per_language"].items():
        result[f"lang {lang}"] = {"micro": part["micro"]["f1"], "macro": part["macro"]["f1"],
                                  "top1": part["top1_in_gold"]}
    return result


# ------------------------------------------------------------------ throughput
def sample_posts(data: Path, count: int, warmup: int = 1000) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(warm-up posts, measured posts): distinct POST_CHARS-character cuts of the unlabeled Russian corpus.

    The measured posts differ from the warm-up ones, so per-word caches start cold
    for their new words, as on a new export. Texts repeat only when ``count`` exceeds
    the corpus. Read at run time, never stored.
    """
    texts = []
    with open(data / "telegram_ru_news" / "posts.jsonl", encoding="utf-8") as handle:
        for line in handle:
            text = json.loads(line).get("text") or ""
            if len(text) >= POST_CHARS:
                texts.append(text[:POST_CHARS])
    texts = list(dict.fromkeys(texts))

    def frame(chosen: list[str], prefix: str) -> pd.DataFrame:
        return pd.DataFrame({"id": [f"{prefix}{i}" for i in range(len(chosen))], "text": chosen,
                             "lang": ["ru"] * len(chosen)})

    measured = [texts[warmup + i % (len(texts) - warmup)] for i in range(count)]
    return frame(texts[:warmup], "w"), frame(measured, "p")


_worker_model = None


def _init_worker(path: str, warmup: pd.DataFrame) -> None:
    """Load the model and tag the warm-up posts once, so every worker starts warm (one-time set-up
    such as character tables and float32 weights is not timed, as in the one-process figure)."""
    global _worker_model
    from classify.model import load_model
    from classify.tag import tag_frame

    _worker_model = load_model(path)
    tag_frame(_worker_model, warmup, include_text=False)


def _tag_chunk(chunk: pd.DataFrame) -> tuple[int, float]:
    from classify.tag import tag_frame

    started = time.process_time()
    return len(tag_frame(_worker_model, chunk, include_text=False)), time.process_time() - started


def rate(function, warmup: pd.DataFrame, posts: pd.DataFrame, chunk: int = 5000) -> tuple[float, float]:
    """(posts per wall-clock second, posts per CPU second) over ``posts`` in chunks, after one pass
    over the (different) warm-up posts. CPU time is what other jobs on a busy machine distort least."""
    function(warmup)
    started, started_cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(posts), chunk):
        function(posts.iloc[start:start + chunk])
    return len(posts) / (time.perf_counter() - started), len(posts) / (time.process_time() - started_cpu)


def parallel_rate(bundle: str, warmup: pd.DataFrame, posts: pd.DataFrame, jobs: int,
                  chunk: int = 2500) -> tuple[float, float]:
    """(posts per wall-clock second, posts per CPU second of the workers, summed) with ``jobs`` worker
    processes (model loaded and warmed up once per worker)."""
    chunks = [posts.iloc[i:i + chunk] for i in range(0, len(posts), chunk)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(jobs, initializer=_init_worker, initargs=(bundle, warmup)) as pool:
        pool.map(time.sleep, [0.5] * jobs, chunksize=1)  # wait until every worker has started and warmed up
        started = time.perf_counter()
        done = pool.map(_tag_chunk, chunks, chunksize=1)
        wall = time.perf_counter() - started
    total = sum(count for count, _ in done)
    return total / wall, total / sum(seconds for _, seconds in done)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--posts", type=int, default=9000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)

    from classify.bundle import save_component
    from classify.model import load_model
    from classify.tag import tag_frame

    config = load_themes_config(ROOT / "training" / "configs" / "default_themes.toml")
    taxonomy = load_taxonomy(config.taxonomy or None)
    themes = taxonomy.theme_ids
    examples, _ = read_theme_examples(config.data, taxonomy)
    folds = source_folds(examples, 5, config.seed)
    train, test = np.flatnonzero(folds != 0), np.flatnonzero(folds == 0)
    train_examples, test_examples = examples.subset(train), examples.subset(test)
    Y_train = np.array([[t in labels for t in themes] for labels in train_examples.labels])
    truth = np.array([[t in labels for t in themes] for labels in test_examples.labels])
    test_texts, test_langs = test_examples.texts, test_examples.langs
    print(f"split: {len(train)} training rows, {len(test)} held-out rows (fold 0 of 5 per source, seed {config.seed})")

    results, speeds = {}, {}
    warmup, posts = sample_posts(args.data, args.posts)
    print(f"throughput set: {len(posts)} posts ({posts['text'].nunique()} distinct), "
          f"{posts['text'].str.len().mean():.0f} characters each; {len(warmup)} other posts to warm up")

    started = time.perf_counter()
    estimator = fit_themes(config, taxonomy, train_examples, [])
    print(f"ours trained in {time.perf_counter() - started:.0f} s")
    with tempfile.TemporaryDirectory() as folder:
        save_component(folder, "themes", estimator, metadata={"taxonomy": taxonomy.to_metadata()}, card_section="")
        model = load_model(folder)
        scores = model.predict_proba(test_texts, test_langs)
        results["ours"] = quality(truth, model.predict_indicator(test_texts, test_langs, scores), scores,
                                  test_examples.sources, test_langs)
        speeds["ours (tag_frame)"] = rate(lambda p: tag_frame(model, p, include_text=False), warmup, posts)
        if args.jobs > 1:
            speeds[f"ours, {args.jobs} processes"] = parallel_rate(folder, warmup, posts, args.jobs)

    keywords = KeywordMatcher(seed_term_stems(taxonomy))
    scores, predicted = keywords.predict(test_texts)
    results["keywords"] = quality(truth, predicted, scores, test_examples.sources, test_langs)
    speeds["keywords"] = rate(lambda p: keywords.predict(p["text"].tolist()), warmup, posts)

    baseline = TfidfLogistic().fit(train_examples.texts, Y_train)
    scores, predicted = baseline.predict(test_texts)
    results["tfidf+lr"] = quality(truth, predicted, scores, test_examples.sources, test_langs)
    speeds["tfidf+lr"] = rate(lambda p: baseline.predict(p["text"].tolist()), warmup, posts)

    if fasttext_available():
        fast = FastTextModel().fit(train_examples.texts, Y_train, themes, config.seed)
        scores, predicted = fast.predict(test_texts)
        results["fasttext"] = quality(truth, predicted, scores, test_examples.sources, test_langs)
        speeds["fasttext"] = rate(lambda p: fast.predict(p["text"].tolist()), warmup, posts)
    else:
        print("fastText: skipped (no training-capable `fasttext` module; fasttext-predict only predicts)")

    subsets = list(results["ours"])
    print("\nQuality on the held-out fold (micro-F1 / macro-F1; top theme in gold for claims)")
    header = f"{'model':<12}" + "".join(f"{s[:26]:>28}" for s in subsets)
    print(header)
    for name, result in results.items():
        cells = []
        for subset in subsets:
            part = result.get(subset)
            cells.append(f"{part['micro']:.3f} / {part['macro']:.3f} / {part['top1']:.1%}" if part else "-")
        print(f"{name:<12}" + "".join(f"{c:>28}" for c in cells))
    print(f"\nThroughput (themes only, posts/s, {POST_CHARS}-character posts; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at the end)")
    print(f"{'':<24}{'wall':>10}{'CPU':>10}   ratios to tfidf+lr (wall, CPU)")
    wall_reference, cpu_reference = speeds["tfidf+lr"]
    for name, (wall, cpu) in speeds.items():
        print(f"{name:<24}{wall:>10,.0f}{cpu:>10,.0f}   x{wall / wall_reference:.2f}  x{cpu / cpu_reference:.2f}")
    print("(CPU for the processes run: posts per CPU second summed over the workers)" if args.jobs > 1 else "")


if __name__ == "__main__":
    main()
