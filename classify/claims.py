"""Claims of posts for tagging: split into sentences, score each, keep those over their threshold.

Each claim is ``{start, end, text, label, score, themes}``: character offsets into
the post's text (``text == post[start:end]``), the claim label (``checkworthy`` or
a user claim category), the calibrated score and the themes of the claim
sentence (from the bundle's theme model, when it has one).

>>> import pandas as pd
>>> from training.claims import ClaimSentenceClassifier
>>> X = pd.DataFrame({"text": ["Inflation reached 8.5% in October.", "Subscribe to our channel!"] * 20,
...                   "lang": "en", "post": [str(i // 2) for i in range(40)], "position": [0, 1] * 20,
...                   "count": 2})
>>> classifier = ClaimSentenceClassifier(cv_folds=2, n_features=2 ** 12).fit(X, [["checkworthy"], []] * 20)
>>> [c["text"] for c in find_claims(classifier, ["Inflation reached 8.5% in October. Subscribe to our channel!"], ["en"])[0]]
['Inflation reached 8.5% in October.']
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd

from classify.text.sentences import split_sentences

__all__ = ["sentence_table", "find_claims", "extract_claims"]

ThemePredictor = Callable[[list[str], list[str]], list[list[str]]]


def _language(lang) -> str:
    return lang if isinstance(lang, str) and lang else "und"


def sentence_table(texts: Sequence[str], langs: Sequence[str | None]) -> tuple[pd.DataFrame, list]:
    """The sentence table the claim classifier reads, and the Sentence objects behind its rows.

    Column ``post`` holds the index of the post in ``texts``.
    """
    if len(texts) != len(langs):
        raise ValueError(f"{len(texts)} texts but {len(langs)} languages")
    clean, languages, posts, positions, counts, sentences = [], [], [], [], [], []
    for index, (text, lang) in enumerate(zip(texts, langs)):
        lang = _language(lang)
        found = split_sentences(text if isinstance(text, str) else "", lang)
        for position, sentence in enumerate(found):
            clean.append(sentence.clean)
            languages.append(lang)
            posts.append(index)
            positions.append(position)
            counts.append(len(found))
        sentences.extend(found)
    # object columns: the classifier reads them back as Python strings, which Arrow-backed columns would convert twice
    frame = pd.DataFrame({"text": pd.Series(clean, dtype=object), "lang": pd.Series(languages, dtype=object),
                          "post": np.asarray(posts, dtype=np.int64),
                          "position": np.asarray(positions, dtype=np.int64),
                          "count": np.asarray(counts, dtype=np.int64)})
    return frame, sentences


def find_claims(classifier, texts: Sequence[str], langs: Sequence[str | None],
                theme_predictor: ThemePredictor | None = None) -> list[list[dict]]:
    """One list of claims per post, in text order; ``themes`` empty when there is no theme predictor."""
    frame, sentences = sentence_table(texts, langs)
    claims: list[list[dict]] = [[] for _ in texts]
    if frame.empty:
        return claims
    scores = classifier.predict_scores(frame)
    passed = scores >= classifier.threshold_matrix(frame)
    rows, columns = np.nonzero(passed)
    themes = [[] for _ in rows]
    if theme_predictor is not None and len(rows):
        sentence_texts, sentence_langs = frame["text"].tolist(), frame["lang"].tolist()
        themes = theme_predictor([sentence_texts[r] for r in rows], [sentence_langs[r] for r in rows])
    labels = list(classifier.labels_)
    claim_scores = scores[rows, columns].tolist()
    for row, column, post, score, sentence_themes in zip(rows.tolist(), columns.tolist(),
                                                         frame["post"].to_numpy()[rows].tolist(), claim_scores, themes):
        sentence = sentences[row]
        claims[post].append({
            "start": sentence.start, "end": sentence.end, "text": sentence.text,
            "label": labels[column], "score": round(score, 4), "themes": list(sentence_themes),
        })
    return claims


def extract_claims(model, texts: Sequence[str], langs: Sequence[str | None]) -> list[list[dict]]:
    """Claims of each post with a loaded tagging model (``classify.model.load_model``).

    Uses the model's ``claims`` component and, for the claim sentences' themes,
    its theme predictions (``model.predict(texts, langs)``) when it has a theme component.
    """
    classifier = model.components["claims"]
    theme_predictor = None
    if "themes" in model.components:
        def theme_predictor(sentence_texts, sentence_langs):
            return model.predict(sentence_texts, sentence_langs)
    return find_claims(classifier, texts, langs, theme_predictor)
