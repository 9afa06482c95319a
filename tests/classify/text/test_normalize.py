from classify.text.normalize import hash_key, normalized_bytes, remove_links, text_key


def test_variants_of_one_text_normalise_alike():
    base = "Ещё раз о переговорах в Осло: подробности на сайте."
    variants = [
        "**Ещё раз** о переговорах в Осло: [подробности на сайте](https://mfa.example/1).",
        "🔴 ещё раз о переговорах   в Осло —\nподробности на сайте!",
        "ЕЩЕ РАЗ О ПЕРЕГОВОРАХ В ОСЛО: ПОДРОБНОСТИ НА САЙТЕ",
    ]
    assert all(normalized_bytes(v) == normalized_bytes(base) for v in variants)
    assert len({text_key(v) for v in [base, *variants]}) == 1


def test_different_texts_differ():
    assert text_key("Переговоры в Осло") != text_key("Переговоры в Берне")
    assert text_key("Talks: 12 ships") != text_key("Talks: 13 ships")


def test_empty_after_normalisation_has_key_zero():
    for text in (None, "", "👍🔥", " \n*** — "):
        assert normalized_bytes(text) == b"" and text_key(text) == 0
    assert hash_key(b"x") & 1 == 1  # non-empty keys are never 0


def test_remove_links_keeps_labels():
    assert remove_links("См. [текст](https://a.example/x) и https://b.example/y.") == "См. текст и  "


def test_chunk_keys_equal_text_key_one_by_one():
    import pyarrow as pa

    from classify.text.normalize import text_keys

    texts = [
        "**Ещё** раз: [подробнее](https://mfa.example/1) 👉", "ЕЩЕ РАЗ ПОДРОБНЕЕ", None, "", "👍🔥", " \n*** — ",
        "Talks in Oslo — [link text](https://a.example/x y) [no\nlink](b) [x](c\u00a0d)",  # non-ASCII space ends a URL
        "İstanbul görüşmesi", "ΣΟΦΙΑ ΟΔΟΣ", "Ѣ старая буква", "Қазақстан", "Kelvin \u212a", "ﬀ ligature",
        "Straße", "ǅemal", "mixed ЁЖ ёж Ĳ", "tab\tand\u2028line\u3000space", "emoji\U0001f1f7\U0001f1fa flag",
        "Ѐ Ѝ Џ ѐ ѝ џ", "a_b-c.d/e", "中文 текст", "x" * 3000 + "Ё",
        "İSTANBUL", "Переговоры в İstanbul",  # Arrow lower-cases İ to "i", Python to "i" + combining dot
    ]
    keys = text_keys(pa.array(texts, type=pa.large_string()))
    assert keys.tolist() == [text_key(text) for text in texts]
    sliced = pa.array(texts, type=pa.large_string())[3:9]  # arrays with an offset into their buffers
    assert text_keys(sliced).tolist() == [text_key(text) for text in texts[3:9]]
    many = texts * 30  # several slices of the chunk-wise computation
    assert text_keys(pa.array(many, type=pa.large_string())).tolist() == [text_key(text) for text in many]


def test_arrow_lower_case_equals_python_on_the_fast_path_letters():
    import pyarrow as pa
    import pyarrow.compute as pc

    letters = [chr(code) for code in [*range(0x80), *range(0x400, 0x460)]]
    assert pc.utf8_lower(pa.array(letters)).to_pylist() == [letter.lower() for letter in letters]


def test_re2_whitespace_class_covers_python_whitespace():
    from classify.text.normalize import _RE2_SPACE

    spaces = [code for code in range(0x110000) if chr(code).isspace()]
    assert max(spaces) <= 0x3000 and _RE2_SPACE.count("\\x{") == len(spaces)


def test_chunk_keys_equal_text_key_on_random_texts():
    """Random mixes of the characters each step treats specially: ASCII, Cyrillic, symbols, markup, other letters."""
    import random

    import pyarrow as pa

    from classify.text.normalize import text_keys

    pool = [chr(code) for code in [*range(0x20, 0x7F), *range(0x400, 0x460)]] + [
        "\u00a0", "«", "»", "\u2014", "№", "\u2126", "\u212a", "\u212b", "\ufe0f", "\ufeff", "\U0001f600", "\U0001f44d",
        "\U0001fb00", "\u2c00", "\u3000", "\U000e0041", "\u0301", "é", "İ", "中", "\u200b", "\u2029", "Ѣ", "Ґ",
        "](", "[", "]", "(", ")", "\n", " ", "ё", "Ё", "**", "https://a.example/x"]
    rng = random.Random(7)
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 30))) for _ in range(3000)]
    assert text_keys(pa.array(texts, type=pa.large_string())).tolist() == [text_key(text) for text in texts]
