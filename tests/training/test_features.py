import numpy as np

from training.features import (_BIGRAM_MULTIPLIER, _BIGRAM_OFFSET, _TOKEN, _WORD_SALT,
                               HashedTextFeatures, clean_text, polynomial_hash, seed_stem)

MASK = 2 ** 64 - 1
TEXTS = [
    "Ледокол «Арктика» вышел в рейс по Севморпути; ледокол вернётся к маю.",
    "NATO drills near the border: see https://example.org/news and [the report](https://t.me/x/1)",
    "",
    "Курс рубля 𝐀𝐁 вырос на 2,5% 🚀🚀 — ЦБ__ключевая__ставка",
    "a\x00b İstanbul ΣΟΦΟΣ",
]


def _mix(value: int) -> int:
    value ^= value >> 33
    value = value * 0xFF51AFD7ED558CCD & MASK
    value ^= value >> 33
    value = value * 0xC4CEB9FE1A85EC53 & MASK
    return value ^ value >> 33


def _reference_counts(text: str, n: int, sizes) -> tuple[dict, dict]:
    """The word and character bucket counts of one text, one string at a time (the slow way)."""
    tokens = _TOKEN.findall(clean_text(text).replace("\x00", " "))
    hashes = [_mix(polynomial_hash(token) ^ int(_WORD_SALT)) for token in tokens]
    words, chars = {}, {}
    keys = [h % n for h in hashes]
    keys += [_mix((a * int(_BIGRAM_MULTIPLIER) & MASK) ^ (b + int(_BIGRAM_OFFSET) & MASK)) % n
             for a, b in zip(hashes, hashes[1:])]
    for key in keys:
        words[key] = words.get(key, 0) + 1
    for token in tokens:
        padded = f" {token} "
        for size in sizes:
            for start in range(len(padded) - size + 1):
                key = _mix(polynomial_hash(padded[start:start + size]) ^ size) % n
                chars[key] = chars.get(key, 0) + 1
    return words, chars


def _as_dict(row) -> dict:
    row = row.tocsr()
    return {int(k): float(v) for k, v in zip(row.indices, row.data)}


def test_chunk_counts_equal_a_string_by_string_reference():
    features = HashedTextFeatures(n_features=2 ** 12, char_ngrams=(2, 5))
    # TEXTS[:4] take the fast path; the NUL and "İ" of TEXTS[4] send the whole chunk down the slow one.
    for texts in (TEXTS[:4], TEXTS):
        (words, chars, _), _ = features._counts(texts)
        for i, text in enumerate(texts):
            expected_words, expected_chars = _reference_counts(text, 2 ** 12, range(2, 6))
            assert _as_dict(words[i]) == expected_words, text
            assert _as_dict(chars[i]) == expected_chars, text


def test_links_and_case_are_cleaned_like_clean_text():
    features = HashedTextFeatures(n_features=2 ** 12, char_ngrams=None)
    (words, _, _), _ = features._counts(["Смотрите https://example.org/a ЁЖИК", "смотрите  ежик"])
    assert _as_dict(words[0]) == _as_dict(words[1])


def test_a_text_gets_the_same_features_in_any_chunk_bit_for_bit():
    features = HashedTextFeatures(n_features=2 ** 12, seed_terms=[[seed_stem("ледокол")], ["nato"]]).fit(TEXTS)
    together = features.transform(TEXTS)
    for i, text in enumerate(TEXTS):
        alone = features.transform([text])
        assert np.array_equal(alone.indices, together[i].indices)  # same order: same float sums downstream
        assert np.array_equal(alone.data, together[i].data)


def test_seed_terms_count_each_word_once_per_group_and_phrases_in_order():
    features = HashedTextFeatures(n_features=2 ** 8, char_ngrams=None, seed_terms=[
        ["воен", "военн", "arctic council"], ["северн морск пут"], ["x"]])
    # punctuation between a phrase's words is no break
    (_, _, seeds), _ = features._counts(["Военные и военный флот", "The Arctic Council; arctic. council",
                                           "Северным морским путём", "морским северным путём", "xyz x"])
    expected = [[2, 0, 0], [2, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 2]]
    assert seeds.toarray().tolist() == expected


def test_features_are_deterministic_across_fits_and_empty_input_works():
    first = HashedTextFeatures(n_features=2 ** 10).fit(TEXTS).transform(TEXTS)
    second = HashedTextFeatures(n_features=2 ** 10).fit(list(TEXTS)).transform(TEXTS)
    assert (first != second).nnz == 0
    assert HashedTextFeatures(n_features=2 ** 10).fit(TEXTS).transform([]).shape == (0, 2 * 2 ** 10)


def test_min_df_ignores_buckets_seen_in_too_few_fitting_texts():
    fitting = ["флот вышел в море", "флот вернулся", "море штормит"]
    features = HashedTextFeatures(n_features=2 ** 12, char_ngrams=None, min_df=2,
                                  seed_terms=[["ледокол"]]).fit(fitting)
    words, _, seeds = features.transform_blocks(["флот вышел", "ледокол ледокол"])
    kept = {int(i) for i, v in zip(words[0].indices, words[0].data) if v > 0}
    both = HashedTextFeatures(n_features=2 ** 12, char_ngrams=None)._counts(["флот"])[0][0].indices
    assert kept == {int(both[0])}  # "флот" (2 texts) stays; "вышел" and "флот вышел" (1 text) go
    assert seeds[1].sum() > 0  # seed-term columns are kept whatever their frequency
