"""The taxonomy guides the topic model: seed topics in, theme names out.

* :func:`seed_topic_list` gives BERTopic one seed list per theme (its seed terms
  in every language), so posts near a theme are pulled together.
* :func:`theme_texts` gives one text per theme (seed terms and description, the
  "Out:" clause dropped because it names other themes' words), used for
  zero-shot topics and to embed the themes.
* :func:`map_topics_to_themes` names each discovered topic after the closest
  theme by cosine similarity of embeddings, or marks it new when no theme is
  close enough.
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
    similarity: float    # cosine similarity to the closest theme (also given for new topics)
    closest: str         # the closest theme id even when the topic is new


def map_topics_to_themes(topic_embeddings: np.ndarray, theme_embeddings: np.ndarray, theme_ids: Sequence[str],
                         min_similarity: float) -> list[ThemeMatch]:
    """Closest theme of each topic; topics below ``min_similarity`` are new."""
    if len(topic_embeddings) == 0:
        return []
    similarity = _cosine(topic_embeddings, theme_embeddings)
    matches = []
    for row in similarity:
        best = int(np.argmax(row))
        score = float(row[best])
        theme = theme_ids[best] if score >= min_similarity else NEW_THEME
        matches.append(ThemeMatch(theme=theme, similarity=round(score, 4), closest=theme_ids[best]))
    return matches


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return a @ b.T
