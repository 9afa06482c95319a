"""Choose posts to annotate: stratified by channel and month, skipping duplicates, optionally model-guided.

Without a model, posts are drawn at random (seeded) inside each (channel, month)
stratum. With a model, each stratum gives first the posts whose theme scores lie
closest to the model's decision thresholds, and every chosen post carries the
model's guesses as ``suggestions`` (see :func:`model_theme_scores` for what a model needs).

>>> import pandas as pd
>>> posts = pd.DataFrame({"id": ["a/1", "a/2", "b/1"], "channel": ["a", "a", "b"],
...                       "date": pd.to_datetime(["2024-01-02", "2024-02-03", "2024-01-05"], utc=True),
...                       "text": ["Первый пост", "Второй пост", "Third post"]})
>>> [r.id for r in sample_posts(posts, 3, seed=0).records]
['a/1', 'a/2', 'b/1']
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from classify.errors import InputError
from labels.records import LabeledRecord

ALLOCATIONS = ("proportional", "equal")
DEFAULT_THRESHOLD = 0.5


def model_theme_scores(model, texts: list[str], langs: list[str | None]
                       ) -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Each text's theme scores and the thresholds that apply to it (by its language when the model has them).

    ``model`` is what :func:`classify.load_model` returns, or anything with
    ``predict_scores(texts, langs=None) -> [{theme: score}]`` and, optionally, ``thresholds_for(lang)``
    (itself or on its ``themes`` estimator) or a ``thresholds_`` dict.
    """
    known = [lang if isinstance(lang, str) and lang else None for lang in langs]
    # the model detects languages itself when some are missing
    scores = [{str(k): float(v) for k, v in row.items()}
              for row in model.predict_scores(texts, langs=known if all(known) else None)]
    thresholds_for = getattr(model, "thresholds_for", None) or getattr(getattr(model, "themes", None),
                                                                       "thresholds_for", None)
    if thresholds_for is not None:
        by_lang = {lang: thresholds_for(lang) if lang else thresholds_for() for lang in set(known)}
        return scores, [by_lang[lang] for lang in known]
    fixed = getattr(model, "thresholds_", None)
    return scores, [fixed if isinstance(fixed, dict) else {}] * len(texts)


@dataclass
class SampleResult:
    records: list[LabeledRecord]
    posts_read: int
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
    strata: int = 0
    per_stratum: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        skipped = ", ".join(f"{count} {reason}" for reason, count in self.skipped.items() if count) or "none"
        return (f"{len(self.records)} posts chosen from {self.posts_read} ({self.strata} channel-month strata); "
                f"skipped: {skipped}")


def load_posts(paths) -> pd.DataFrame:
    """Posts to sample from: ingested ``.parquet`` post tables as they are, anything else (Telegram
    exports, JSONL/CSV post tables) through :func:`classify.ingest.read_posts`."""
    from classify.ingest import read_posts

    paths = [Path(path) for path in paths]
    frames = []
    for path in (p for p in paths if p.suffix.lower() == ".parquet"):
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError) as error:  # pyarrow's errors for a file that is not Parquet are ValueErrors
            raise InputError(path, f"cannot read this Parquet file: {error}") from None
        missing = {"id", "text"} - set(frame.columns)
        if missing:
            raise InputError(path, f"not a post table: missing column(s) {', '.join(sorted(missing))}")
        frames.append(frame)
    others = [p for p in paths if p.suffix.lower() != ".parquet"]
    if others:
        frames.append(read_posts(others))
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _strata(frame: pd.DataFrame) -> pd.Series:
    channel = frame["channel"].astype("string").fillna("(no channel)") if "channel" in frame else "(no channel)"
    if "date" in frame:
        dates = pd.to_datetime(frame["date"], utc=True, errors="coerce")
        month = dates.dt.strftime("%Y-%m").astype("string").fillna("(no date)")
    else:
        month = "(no date)"
    return pd.Series(channel, index=frame.index).astype(str) + " " + pd.Series(month, index=frame.index).astype(str)


def _allocate(sizes: pd.Series, n: int, allocation: str) -> dict[str, int]:
    """How many posts each stratum gives: proportional (largest remainder) or equal, never more than it has."""
    quota = {key: 0 for key in sizes.index}
    remaining = min(n, int(sizes.sum()))
    while remaining > 0:
        room = {key: int(sizes[key]) - quota[key] for key in quota if sizes[key] > quota[key]}
        if allocation == "equal":
            shares = {key: remaining / len(room) for key in room}
        else:
            total = sum(room.values())
            shares = {key: remaining * size / total for key, size in room.items()}
        granted = {key: min(room[key], int(share)) for key, share in shares.items()}
        leftover = remaining - sum(granted.values())
        # largest remainders first; ties by stratum name so the result does not depend on row order
        for key in sorted(room, key=lambda k: (-(shares[k] - int(shares[k])), k)):
            if leftover == 0:
                break
            if granted[key] < room[key]:
                granted[key] += 1
                leftover -= 1
        for key, count in granted.items():
            quota[key] += count
        remaining -= sum(granted.values())
    return quota


def _margins(scores: list[dict[str, float]], thresholds: list[dict[str, float]]) -> np.ndarray:
    """Distance of the least certain theme score from its threshold (small = the model is unsure)."""
    return np.array([min((abs(p - limits.get(theme, DEFAULT_THRESHOLD)) for theme, p in row.items()),
                         default=1.0) for row, limits in zip(scores, thresholds)])


def sample_posts(posts: pd.DataFrame, n: int, *, seed: int = 0, model=None, agent: str = "model",
                 exclude_ids: Iterable[str] = (), exclude_texts: Iterable[str] = (),
                 allocation: str = "proportional") -> SampleResult:
    """Choose ``n`` posts to annotate from a post table (``id``, ``text``, and ideally ``channel``, ``date``).

    Posts whose id is in ``exclude_ids`` or whose text (compared case- and space-insensitively)
    is in ``exclude_texts`` are skipped: already labeled files often use another id scheme. A post whose
    id an earlier post has is skipped too.
    """
    if n <= 0:
        raise ValueError("n must be positive")
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {ALLOCATIONS}")
    frame = posts.reset_index(drop=True)
    text = frame["text"].astype("string").fillna("")
    skipped = {}
    keep = text.str.strip() != ""
    skipped["empty texts"] = int((~keep).sum())
    if "duplicate_of" in frame:
        duplicate = frame["duplicate_of"].notna() & keep
        skipped["duplicates"] = int(duplicate.sum())
        keep &= ~duplicate
    normalised = text.map(_normalised)
    repeated = normalised.duplicated() & keep
    skipped["repeated texts"] = int(repeated.sum())
    keep &= ~repeated
    # one id for two posts (tables numbering their rows alike): annotations of both could not be told apart
    repeated_id = frame["id"].astype(str).where(keep).duplicated() & keep
    skipped["repeated ids"] = int(repeated_id.sum())
    keep &= ~repeated_id
    excluded = (frame["id"].astype(str).isin(set(map(str, exclude_ids)))
                | normalised.isin({_normalised(t) for t in exclude_texts})) & keep
    skipped["already labeled"] = int(excluded.sum())
    keep &= ~excluded
    candidates = frame[keep].copy()
    if candidates.empty:
        return SampleResult(records=[], posts_read=len(frame), skipped=skipped, strata=0, per_stratum={})
    candidates["_stratum"] = _strata(candidates)
    rng = np.random.default_rng(seed)
    candidates["_random"] = rng.permutation(len(candidates))
    scores_by_index: dict[int, tuple[dict, dict]] = {}
    if model is not None and len(candidates):
        langs = candidates["lang"].tolist() if "lang" in candidates else [None] * len(candidates)
        scores, thresholds = model_theme_scores(model, candidates["text"].astype(str).tolist(), langs)
        candidates["_margin"] = _margins(scores, thresholds)
        scores_by_index = dict(zip(candidates.index, zip(scores, thresholds)))
    else:
        candidates["_margin"] = 0.0
    quota = _allocate(candidates["_stratum"].value_counts().sort_index(), n, allocation)
    ordered = candidates.sort_values(["_stratum", "_margin", "_random"])
    ordered["_rank"] = ordered.groupby("_stratum").cumcount()
    chosen = ordered[ordered["_rank"] < ordered["_stratum"].map(quota)]
    # interleave strata so an annotator who stops early still has a spread of channels and months
    chosen = chosen.sort_values(["_rank", "_stratum"])
    records = []
    for index, row in chosen.iterrows():
        meta = {"stratum": row["_stratum"]}
        for column in ("channel", "date"):
            if column in chosen and pd.notna(row[column]):
                meta[column] = row[column].isoformat() if isinstance(row[column], pd.Timestamp) else str(row[column])
        suggestions = None
        if model is not None:
            raw_scores, limits = scores_by_index[index]
            scores = {theme: round(p, 6) for theme, p in raw_scores.items()}
            suggestions = {"themes": [t for t, p in scores.items() if p >= limits.get(t, DEFAULT_THRESHOLD)],
                           "scores": scores, "agent": agent}
        lang = row["lang"] if "lang" in chosen and isinstance(row.get("lang"), str) else None
        records.append(LabeledRecord(id=str(row["id"]), text=str(row["text"]), lang=lang, meta=meta,
                                     suggestions=suggestions))
    return SampleResult(records=records, posts_read=len(frame), skipped=skipped,
                        strata=int(candidates["_stratum"].nunique()),
                        per_stratum={k: v for k, v in quota.items() if v})
