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
                         min_share: float, min_lift: float) -> list[ThemeMatch]:
    """Closest theme of each topic by seed-term mentions (see :func:`seed_term_shares`).

    The closest theme maximizes ``share * log(1 + lift)``: mentioned often in the
    topic, and more often than in the corpus. A topic is new when that theme's
    share is below ``min_share`` or its lift below ``min_lift``.
    """
    matches = []
    lifts = topic_shares / np.maximum(corpus_shares, 1e-9)
    for shares, lift in zip(topic_shares, lifts):
        best = int(np.argmax(shares * np.log1p(lift)))
        share, best_lift = float(shares[best]), float(lift[best])
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
                     terms_per_theme: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Share of each topic's posts that mention a seed term of each theme, and the same share in the corpus.

    Returns ``(topic_shares, corpus_shares)`` of shapes (n_topics, n_themes) and (n_themes,).
    """
    mentions = np.zeros((len(docs), len(terms_per_theme)), dtype=bool)
    for column, terms in enumerate(terms_per_theme):
        single = {t for t in terms if " " not in t}
        phrases = [(t.split()[0], f" {t} ") for t in terms if " " in t]
        for row, doc in enumerate(docs):
            words = set(doc.split())
            if words & single or any(first in words and phrase in f" {doc} " for first, phrase in phrases):
                mentions[row, column] = True
    topic_shares = np.vstack([mentions[topics == topic].mean(axis=0) for topic in topic_ids])
    return topic_shares, mentions.mean(axis=0)
