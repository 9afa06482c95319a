"""Topic-model benchmark on the shared Telegram corpus: ours vs BERTopic defaults on the same embeddings.

    .venv/bin/python benchmarks/topics.py [--posts ../shared/data/telegram_ru_news/posts.jsonl] [--limit N]

Each model is fitted in its own subprocess, so wall time includes imports and
peak memory (max RSS) is that process's alone. Printed side by side:

- fit time and peak memory (target: < 90 s and < 3 GB on 2 cores, 22k posts); wall time
  depends on what else runs, so CPU time (user + sys) and the load average are printed too;
  the baseline's CPU time counts BERTopic's fit only, ours the whole process (imports and reading too);
- outlier share (topic -1; target < 20%);
- NPMI coherence of the top 10 words (document co-occurrence over the corpus,
  every word reduced to its Snowball stem, stop words kept) and topic diversity
  (unique top-10 stems / all top-10 stems); target: at least the baseline's;
- the largest topics' words, to see whether boilerplate became topics.

The baseline is ``BERTopic()`` with its defaults (UMAP, HDBSCAN min_topic_size=10,
CountVectorizer without stop words) given the raw post texts and the same
TF-IDF + SVD embeddings our default backend computes (fitted on all posts; the
time to embed is not charged to the baseline).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_POSTS = REPO.parent / "shared" / "data" / "telegram_ru_news" / "posts.jsonl"
sys.path.insert(0, str(REPO))


def _texts(path: Path, limit: int | None):
    import pandas as pd

    frame = pd.read_json(path, lines=True)
    if limit:
        frame = frame.head(limit)
    return frame["text"].fillna("").astype(str).tolist(), frame["channel"].fillna("").astype(str).tolist()


def run_ours(path: Path, limit: int | None, out: Path) -> None:
    start = time.perf_counter()
    from labels.taxonomy import load_taxonomy
    from training.topics import TopicModel, TopicsConfig

    texts, channels = _texts(path, limit)
    loaded = time.perf_counter()
    model = TopicModel(config=TopicsConfig(), taxonomy=load_taxonomy()).fit(texts, channels=channels)
    fitted = time.perf_counter()
    topics = [{"id": t.id, "size": t.size, "words": [w for w, _ in t.words[:10]], "theme": t.theme}
              for t in model.topics_]
    out.write_text(json.dumps({"fit_seconds": fitted - loaded, "total_seconds": fitted - start,
                               "outlier_share": model.stats_["outlier_share"],
                               "outlier_share_before_reduction": model.stats_["outlier_share_before_reduction"],
                               "topics": topics, "peak_mb": _peak_mb(),
                               "cpu_seconds": _cpu_seconds()}, ensure_ascii=False))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_baseline(path: Path, limit: int | None, out: Path) -> None:
    import numpy as np

    from training.topics.backend import TfidfSvdBackend
    from training.topics.preprocess import Preprocessor

    texts, channels = _texts(path, limit)
    docs = Preprocessor().fit_transform(texts, channels)
    backend = TfidfSvdBackend().fit(docs)
    embeddings = backend.embed(docs)
    start = time.perf_counter()
    cpu_before = _cpu_seconds()
    from bertopic import BERTopic

    model = BERTopic()
    assigned, _ = model.fit_transform(texts, embeddings=embeddings)
    seconds = time.perf_counter() - start
    assigned = np.asarray(assigned)
    sizes = model.get_topic_freq().set_index("Topic")["Count"].to_dict()
    topics = [{"id": int(k), "size": int(sizes.get(k, 0)), "words": [w for w, _ in model.get_topic(k)][:10]}
              for k in sorted(set(assigned.tolist()) - {-1})]
    out.write_text(json.dumps({"fit_seconds": seconds, "total_seconds": seconds,
                               "outlier_share": float(np.mean(assigned == -1)), "topics": topics,
                               "peak_mb": _peak_mb(), "cpu_seconds": _cpu_seconds() - cpu_before},
                              ensure_ascii=False))


def _in_subprocess(case: str, path: Path, limit: int | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "--case", case, "--posts", str(path), "--out", str(out)]
        if limit:
            command += ["--limit", str(limit)]
        started = time.perf_counter()
        load = os.getloadavg()[0]
        subprocess.run(command, check=True, cwd=REPO)
        result = json.loads(out.read_text())
        result["wall_seconds"] = time.perf_counter() - started
        result["load_before"] = load
        return result


def _quality(topics: list[dict], reference) -> tuple[float, float]:
    from training.topics.quality import npmi_coherence, topic_diversity

    words = [t["words"] for t in topics]
    stems = [[" ".join(reference.stem(w) for w in word.lower().split()) for word in t] for t in words]
    return npmi_coherence(words, reference), topic_diversity(stems)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=Path, default=DEFAULT_POSTS)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--case", choices=["ours", "baseline"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.case == "ours":
        return run_ours(args.posts, args.limit, args.out)
    if args.case == "baseline":
        return run_baseline(args.posts, args.limit, args.out)
    if not args.posts.is_file():
        sys.exit(f"posts not found: {args.posts} (the shared data set sits beside the repository)")

    print(f"cores: {os.cpu_count()}; posts: {args.posts}{f' (first {args.limit})' if args.limit else ''}")
    ours = _in_subprocess("ours", args.posts, args.limit)
    baseline = _in_subprocess("baseline", args.posts, args.limit)

    from training.topics.quality import ReferenceCorpus

    texts, _ = _texts(args.posts, args.limit)
    reference = ReferenceCorpus(texts)
    ours_npmi, ours_div = _quality(ours["topics"], reference)
    base_npmi, base_div = _quality(baseline["topics"], reference)

    rows = [
        ("posts", len(texts), len(texts), ""),
        ("topics", len(ours["topics"]), len(baseline["topics"]), ""),
        ("fit time, s (process wall)", f"{ours['wall_seconds']:.1f}", f"{baseline['wall_seconds']:.1f}", "< 90"),
        ("  of which fit() itself, s", f"{ours['fit_seconds']:.1f}", f"{baseline['fit_seconds']:.1f}", ""),
        ("CPU time, s (user+sys)", f"{ours['cpu_seconds']:.1f}", f"{baseline['cpu_seconds']:.1f}", ""),
        ("load average before the run", f"{ours['load_before']:.1f}", f"{baseline['load_before']:.1f}", ""),
        ("peak memory, MB", f"{ours['peak_mb']:.0f}", f"{baseline['peak_mb']:.0f}", "< 3072"),
        ("outlier share", f"{ours['outlier_share']:.3f}", f"{baseline['outlier_share']:.3f}", "< 0.20"),
        ("NPMI coherence (top 10)", f"{ours_npmi:.3f}", f"{base_npmi:.3f}", ">= baseline"),
        ("topic diversity (top 10)", f"{ours_div:.3f}", f"{base_div:.3f}", ">= baseline"),
    ]
    print(f"\n{'':30} {'ours':>10} {'BERTopic defaults':>18} {'target':>12}")
    for name, a, b, target in rows:
        print(f"{name:30} {a!s:>10} {b!s:>18} {target:>12}")
    checks = {
        "fit time < 90 s": ours["wall_seconds"] < 90,
        "peak memory < 3 GB": ours["peak_mb"] < 3072,
        "outliers < 20%": ours["outlier_share"] < 0.2,
        "coherence >= baseline": ours_npmi >= base_npmi,
        "diversity >= baseline": ours_div >= base_div,
    }
    print("\n" + "; ".join(f"{name}: {'yes' if ok else 'NO'}" for name, ok in checks.items()))
    for name, result in (("ours", ours), ("BERTopic defaults", baseline)):
        print(f"\nlargest topics, {name}:")
        for topic in sorted(result["topics"], key=lambda t: -t["size"])[:6]:
            theme = f" [{topic['theme']}]" if "theme" in topic else ""
            print(f"  {topic['size']:>5}{theme} {', '.join(topic['words'][:8])}")


if __name__ == "__main__":
    main()
