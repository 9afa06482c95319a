"""The taxonomy guides the topic model: seed topics in, theme names out.

* :func:`seed_topic_list` gives BERTopic one seed list per theme (its seed terms
  in every language), so posts near a theme are pulled together.
* :func:`theme_texts` gives one text per theme (seed terms and description, the
  "Out:" clause dropped because it names other themes' words), used for
  zero-shot topics and to embed the themes.
* :func:`map_topics_to_themes` names each discovered topic after the theme
  whose seed terms its posts mention most (and more than the corpus does), or
  marks it new. Seed-term mentions proved a steadier guide than embedding
  similarity of a short theme text to a topic centroid, which matched e.g. metro
  posts to the Arctic through one shared word.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

NEW_THEME = "new"

_OUT_CLAUSE = re.compile(r"\s*(?:Out:|Не сюда:).*$", re.S)


def _theme_words(theme, normalize_terms: Callable[[Sequence[str]], list[str]]) -> list[str]:
    terms = [term for lang in sorted(theme.seed_terms) for term in theme.seed_terms[lang]]
    return normalize_terms(terms)


def seed_topic_list(taxonomy, normalize_terms: Callable[[Sequence[str]], list[str]]) -> list[list[str]]:
    """One list of normalized seed words per theme, in taxonomy order (themes without seeds are skipped)."""
    seeds = [_theme_words(theme, normalize_terms) for theme in taxonomy.themes]
    return [words for words in seeds if words]


def theme_texts(taxonomy, normalize: Callable[[str], str]) -> list[str]:
    """One normalized text per theme: its seed terms (twice, they are the core) and its descriptions."""
    texts = []
    for theme in taxonomy.themes:
        seeds = " ".join(term for lang in sorted(theme.seed_terms) for term in theme.seed_terms[lang])
        descriptions = " ".join(_OUT_CLAUSE.sub("", theme.description[lang]) for lang in sorted(theme.description))
        texts.append(normalize(f"{seeds}\n{seeds}\n{theme.name}\n{descriptions}"))
    return texts


@dataclass(frozen=True)
class ThemeMatch:
    theme: str           # a theme id, or NEW_THEME
    similarity: float    # share of the topic's posts that mention the closest theme's seed terms
    closest: str         # the closest theme id even when the topic is new
    lift: float          # that share divided by the share in the whole corpus


def map_topics_to_themes(topic_shares: np.ndarray, corpus_shares: np.ndarray, theme_ids: Sequence[str], *,
                         min_share: float, min_lift: float, topic_terms: np.ndarray | None = None,
                         corpus_terms: np.ndarray | None = None) -> list[ThemeMatch]:
    """Closest theme of each topic by seed-term mentions (see :func:`seed_term_shares`).

    The closest theme maximizes ``terms * log(1 + terms / corpus terms)``, where
    ``terms`` is the mean number of the theme's distinct seed terms per post of the
    topic (the shares stand in when no term counts are given): many of the theme's
    words, more than the corpus has. Counting terms, not posts with any term,
    keeps one word shared by two themes (the stem of "судов", ships, is that of
    "суд", court) from deciding. A topic is new when the share of its posts that
    mention the theme is below ``min_share`` or under ``min_lift`` times the corpus share.
    """
    terms = topic_shares if topic_terms is None else topic_terms
    corpus = corpus_shares if corpus_terms is None else corpus_terms
    scores = terms * np.log1p(terms / np.maximum(corpus, 1e-9))
    lifts = topic_shares / np.maximum(corpus_shares, 1e-9)
    matches = []
    for row, shares in enumerate(topic_shares):
        best = int(np.argmax(scores[row]))
        share, best_lift = float(shares[best]), float(lifts[row, best])
        is_theme = share >= min_share and best_lift >= min_lift
        matches.append(ThemeMatch(theme=theme_ids[best] if is_theme else NEW_THEME, similarity=round(share, 4),
                                  closest=theme_ids[best], lift=round(best_lift, 2)))
    return matches


def theme_seed_terms(taxonomy, normalize: Callable[[str], str]) -> list[list[str]]:
    """Each theme's seed terms, normalized; a multi-word term stays one space-separated string."""
    return [[term for term in dict.fromkeys(normalize(t) for lang in sorted(theme.seed_terms)
                                            for t in theme.seed_terms[lang]) if term]
            for theme in taxonomy.themes]


def seed_term_shares(docs: Sequence[str], topics: np.ndarray, topic_ids: Sequence[int],
                     terms_per_theme: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
    """How much each topic's posts, and the corpus, mention each theme's seed terms.

    Returns arrays ``topic_shares`` (n_topics, n_themes: share of posts with at least
    one term), ``corpus_shares`` (n_themes,), ``topic_terms`` and ``corpus_terms``
    (mean number of distinct seed terms per post).
    """
    counts = np.zeros((len(docs), len(terms_per_theme)), dtype=np.float64)
    for column, terms in enumerate(terms_per_theme):
        single = {t for t in terms if " " not in t}
        phrases = [(t.split()[0], f" {t} ") for t in terms if " " in t]
        for row, doc in enumerate(docs):
            words = set(doc.split())
            padded = f" {doc} "
            counts[row, column] = len(words & single) + sum(
                1 for first, phrase in phrases if first in words and phrase in padded)
    mentions = counts > 0
    return {
        "topic_shares": np.vstack([mentions[topics == topic].mean(axis=0) for topic in topic_ids]),
        "corpus_shares": mentions.mean(axis=0),
        "topic_terms": np.vstack([counts[topics == topic].mean(axis=0) for topic in topic_ids]),
        "corpus_terms": counts.mean(axis=0),
    }
