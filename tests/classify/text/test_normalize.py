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
