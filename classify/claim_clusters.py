"""Recurring claims: group near-identical claims across posts, channels, languages and time.

Torch-free. Two claims join a group when

- *same language*: they contain the same numbers and the cosine similarity of
  their character n-gram TF-IDF (3-5 grams inside words, on lower-cased text
  without punctuation) reaches ``threshold`` -- a forwarded or lightly edited
  statement (a daily report template with new figures is a new claim);
- *across languages* (optional): their language-neutral keys agree -- they
  contain the same numbers (at least two), and the cosine similarity of their
  keys (numbers and the first four letters of transliterated capitalised
  words, Cyrillic mapped to Latin, so "Захаровой" and "Zakharova" both give
  ``zakh``) reaches ``cross_threshold`` -- a claim and its translation.

Groups are connected components of those pairs (single linkage), so keep the
thresholds high. Candidate pairs come from chunked sparse products of rare
word and word-pair features (those in at most 1% of a large collection), so
the search stays sparse on hundreds of thousands of claims; identical wordings
are merged before any comparison.

>>> claims = pd.DataFrame({"post_id": ["a/1", "b/7", "a/2"], "channel": ["a", "b", "a"],
...     "date": pd.to_datetime(["2025-05-01", "2025-05-03", "2025-05-02"], utc=True),
...     "lang": ["en", "en", "en"], "label": "checkworthy",
...     "text": ["Exports grew by 12% in 2024, the ministry said.",
...              "Exports grew by 12% in 2024, the ministry said!", "The summit opens on Monday."]})
>>> groups = cluster_claims(claims)
>>> int(groups.loc[0, "count"]), groups.loc[0, "channels"]
(2, ['a', 'b'])
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from classify.errors import InputError

__all__ = ["ClusterOptions", "cluster_claims", "read_tagged_claims", "cluster_tagged_file", "language_key"]

_PUNCT = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(?:[.,\s]\d{3})*(?:[.,]\d+)?")
_NAME = re.compile(r"\b[A-ZА-ЯЁ][\w-]+")
_CYRILLIC = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
))
_TRANSLIT = str.maketrans(_CYRILLIC)
# Words capitalised only because they open a sentence, and other capitalised function words.
_NOT_NAMES = {"the", "a", "an", "in", "on", "at", "this", "that", "it", "he", "she", "we", "they", "i",
              "в", "на", "по", "это", "он", "она", "мы", "они", "я", "и", "но", "а", "с", "к", "о", "из"}


RARE_SHARE = 0.01
CANDIDATE_COSINE = 0.3
MIN_SHARED_NUMBERS = 2


@dataclass
class ClusterOptions:
    threshold: float = 0.8
    cross_lingual: bool = True
    cross_threshold: float = 0.4
    min_count: int = 2
    chunk_size: int = 2000


def _normalised(text: str) -> str:
    return _SPACES.sub(" ", _PUNCT.sub(" ", text.lower().replace("ё", "е"))).strip()


def _numbers(text: str) -> frozenset[str]:
    values = set()
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"[\s]", "", match.group()).replace(",", ".")
        values.add(digits.rstrip("0").rstrip(".") if "." in digits else digits)
    return frozenset(values)


def language_key(text: str) -> str:
    """Language-neutral key: stems of transliterated capitalised words, then the numbers.

    >>> language_key("Мария Захарова заявила, что 12 дронов сбиты")
    'mari zakh 12'
    >>> language_key("Maria Zakharova said 12 drones were downed")
    'mari zakh 12'
    """
    names = [m.group().lower() for m in _NAME.finditer(text) if m.group().lower() not in _NOT_NAMES]
    stems = dict.fromkeys(name.translate(_TRANSLIT)[:4] for name in names)
    return " ".join(list(stems) + sorted(_numbers(text)))


def _similar_pairs(matrix: sp.csr_matrix, threshold: float, chunk: int, allowed=None):
    """Chunks of index pairs (rows, cols), i < j, whose row cosine similarity reaches ``threshold``."""
    transposed = matrix.T.tocsc()
    for start in range(0, matrix.shape[0], chunk):
        block = (matrix[start:start + chunk] @ transposed).tocoo()
        keep = (block.data >= threshold) & (block.row + start < block.col)
        rows, cols = block.row[keep] + start, block.col[keep]
        if allowed is not None:
            ok = allowed(rows, cols)
            rows, cols = rows[ok], cols[ok]
        yield rows, cols


def _rare_features(texts: list[str], **vectorizer_options) -> sp.csr_matrix:
    """Binary, L2-normalised features, without those in more than 1% of a large collection.

    Near-duplicates share rare features; dropping the common ones keeps the pair search sparse.
    """
    max_df = 1.0 if len(texts) <= 2000 else RARE_SHARE
    try:
        vectorizer = TfidfVectorizer(binary=True, use_idf=False, max_df=max_df, dtype=np.float32,
                                     **vectorizer_options)
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # no feature left (empty or all-common texts)
        return sp.csr_matrix((len(texts), 0), dtype=np.float32)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _char_tfidf(texts: list[str]) -> sp.csr_matrix:
    if not any(texts):
        return sp.csr_matrix((len(texts), 0))
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, dtype=np.float32)
    return vectorizer.fit_transform(texts).tocsr()


def cluster_claims(claims: pd.DataFrame, options: ClusterOptions | None = None) -> pd.DataFrame:
    """Groups of recurring claims, largest first.

    ``claims`` columns: ``post_id, channel, date, lang, label, text``. Returns one
    row per group with at least ``options.min_count`` claims: ``group, count,
    posts, channels, languages, label, first_seen, last_seen, representative``
    (the claim closest to the group's centroid) and ``texts`` (distinct wordings).
    Each label is grouped on its own: a sentence that is both check-worthy and
    a narrative is one claim of each, not a claim that recurs.
    """
    options = options or ClusterOptions()
    columns = ["group", "count", "posts", "channels", "languages", "label", "first_seen", "last_seen",
               "representative", "texts"]
    groups = [group for _, part in claims.groupby("label", sort=True) for group in _label_groups(part, options)]
    groups.sort(key=lambda g: (-g["count"], str(g["first_seen"]), g["representative"]))
    result = pd.DataFrame(groups, columns=columns[1:])
    result.insert(0, "group", np.arange(1, len(result) + 1))
    return result


def _label_groups(claims: pd.DataFrame, options: ClusterOptions) -> list[dict]:
    """The groups (as dicts, without a number) of claims that all carry one label."""
    frame = claims.reset_index(drop=True)
    normalised = [_normalised(str(t)) for t in frame["text"]]
    # Identical normalised wordings are one node; similarity works on distinct wordings.
    unique_texts, node_of = np.unique(np.array(normalised, dtype=object), return_inverse=True)
    languages = pd.Series(frame["lang"].astype(str).to_numpy()).groupby(node_of).first().to_numpy()
    parent = list(range(len(unique_texts)))

    def union(i, j):
        a, b = _find(parent, i), _find(parent, j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    originals = pd.Series(frame["text"].astype(str).to_numpy()).groupby(node_of).first().tolist()
    numbers = [_numbers(text) for text in originals]
    vectors = _char_tfidf(list(unique_texts))
    # Candidates share rare word pairs; the character n-gram cosine then decides.
    candidates = _rare_features(list(unique_texts), analyzer="word", ngram_range=(1, 2))
    for rows, cols in _similar_pairs(candidates, CANDIDATE_COSINE, options.chunk_size,
                                     allowed=lambda r, c: languages[r] == languages[c]):
        similarity = np.asarray(vectors[rows].multiply(vectors[cols]).sum(axis=1)).ravel()
        for i, j in zip(rows[similarity >= options.threshold].tolist(), cols[similarity >= options.threshold].tolist()):
            if numbers[i] == numbers[j]:
                union(i, j)
    if options.cross_lingual and len(set(languages)) > 1:
        keys = [language_key(text) for text in originals]
        key_vectors = _rare_features(keys, analyzer=str.split)
        for rows, cols in _similar_pairs(key_vectors, options.cross_threshold, options.chunk_size,
                                         allowed=lambda r, c: languages[r] != languages[c]):
            for i, j in zip(rows.tolist(), cols.tolist()):
                if numbers[i] == numbers[j] and len(numbers[i]) >= MIN_SHARED_NUMBERS:
                    union(i, j)
    roots = np.array([_find(parent, node) for node in range(len(unique_texts))])
    frame["group_root"] = roots[node_of]
    frame["node"] = node_of
    sizes = frame["group_root"].map(frame["group_root"].value_counts())
    groups = []
    for root, members in frame[sizes >= options.min_count].groupby("group_root", sort=False):
        nodes = sorted(set(members["node"]))
        centroid = np.asarray(vectors[nodes].mean(axis=0)).ravel()
        closest = nodes[int(np.argmax(vectors[nodes] @ centroid))] if vectors.shape[1] else nodes[0]
        representative = members.loc[members["node"] == closest].sort_values("date").iloc[0]
        dates = pd.to_datetime(members["date"], utc=True, errors="coerce")
        groups.append({
            "count": len(members),
            "posts": sorted(set(members["post_id"].astype(str))),
            "channels": sorted(set(members["channel"].dropna().astype(str))),
            "languages": sorted(set(members["lang"].astype(str))),
            "label": members["label"].iat[0],
            "first_seen": dates.min(),
            "last_seen": dates.max(),
            "representative": representative["text"],
            "texts": list(dict.fromkeys(members.sort_values("date")["text"].astype(str)))[:10],
        })
    return groups


def _jsonl_rows(path: Path):
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:  # -sig on the first line: a byte order mark (Windows editors) is skipped, as classify report does
                yield f"line {number}", json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError:
                raise InputError(path, "not UTF-8", location=f"line {number}") from None
            except json.JSONDecodeError as error:
                raise InputError(path, f"invalid JSON: {error.msg}", location=f"line {number}") from None


def _table_rows(path: Path, fmt: str):
    """Rows of a CSV or Parquet tag table as dicts, ``claims`` as a list of dicts (CSV holds it as JSON)."""
    wanted = {"id", "channel", "date", "lang", "claims"}.__contains__  # not the posts' text: the claims carry theirs
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            frame = pd.read_parquet(path, columns=list(filter(wanted, pq.read_schema(path).names)))
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=wanted)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise InputError(path, f"cannot read this {fmt.upper()} table: {error}") from None
    for index, record in enumerate(frame.to_dict("records")):
        record = {key: None if np.ndim(value) == 0 and pd.isna(value) else value for key, value in record.items()}
        where = index if fmt == "csv" else f"row {index + 1}"  # a CSV record's line is looked up for an error only
        claims = record.get("claims")
        if fmt == "csv" and isinstance(claims, str):
            try:
                claims = json.loads(claims) if claims else None
            except json.JSONDecodeError as error:
                raise InputError(path, f"'claims' is not JSON: {error.msg}", location=_location(path, where)) from None
        elif claims is not None and not isinstance(claims, list):
            claims = list(claims)  # Parquet lists come back as arrays
        if "claims" in record:
            record["claims"] = claims
        yield where, record


def _location(path, where) -> str:
    """``where`` of :func:`_jsonl_rows` or :func:`_table_rows`: a location, or a CSV record's index."""
    from classify.report import csv_record_line

    return f"line {csv_record_line(path, where)}" if isinstance(where, int) else where


def read_tagged_claims(path) -> pd.DataFrame:
    """Claims of a tag table written by ``classify tag`` (JSONL, CSV or Parquet: rows with ``id``, ``claims``, ...)."""
    from classify.io import checked_input_format

    path = Path(path)
    fmt = checked_input_format(path, "tagged file")
    rows = []
    for where, record in (_jsonl_rows(path) if fmt == "jsonl" else _table_rows(path, fmt)):
        if not isinstance(record, dict) or "claims" not in record:
            raise InputError(path, "expected a tagged post with 'claims' (run `classify tag` with a model "
                                   "that has a claims component)", location=_location(path, where))
        claims = record["claims"] or []
        if not isinstance(claims, list):
            raise InputError(path, "'claims' must be a list", location=_location(path, where))
        fallback_id = f"record {where + 1}" if isinstance(where, int) else where  # a table without ids
        for i, claim in enumerate(claims):
            if not isinstance(claim, dict) or not isinstance(claim.get("text"), str):
                raise InputError(path, f"claims[{i}] needs a 'text'", location=_location(path, where))
            rows.append({"post_id": str(record.get("id", fallback_id)), "channel": record.get("channel") or None,
                         "date": record.get("date"), "lang": record.get("lang") or "und",
                         "label": claim.get("label") or "checkworthy", "text": claim["text"]})
    frame = pd.DataFrame(rows, columns=["post_id", "channel", "date", "lang", "label", "text"])
    frame["date"] = pd.to_datetime(frame["date"], utc=True, errors="coerce", format="mixed")
    return frame


def cluster_tagged_file(path, output, options: ClusterOptions | None = None) -> pd.DataFrame:
    """Read claims from a tag table, group them and write the groups (JSONL/CSV/Parquet)."""
    from classify.io import checked_output_format, write_table

    checked_output_format(output)
    if Path(output).resolve() == Path(path).resolve():
        raise InputError(output, "the output is also the input: it would be overwritten; write it elsewhere")
    groups = cluster_claims(read_tagged_claims(path), options)
    write_table(groups, output)
    return groups
