"""The compiled loops give exactly what the Python definitions give (or hand the text back)."""
import os
import random

import numpy as np
import pyarrow as pa
import pytest

from classify.text import kernels, lang, normalize

_BUILT = kernels.available()
pytestmark = pytest.mark.skipif(
    not _BUILT and not os.environ.get("CLASSIFY_REQUIRE_KERNELS"),
    reason="classify.text._kernels was not built (no C compiler at install); the Python paths serve")

# Pieces that exercise every rule: markdown links, URLs, mentions, case, the letters that decide
# Russian and English, letters of other Cyrillic alphabets, symbols, emoji, unusual spaces and
# characters whose lower case is another length (İ) or another script's letter (the Kelvin sign).
_PIECES = [
    "в", "и", "И", "на", "не", "что", "Что", "ЧТО", "по", "это", "для", "ещё", "Ещё", "ЁЖ", "мы", "выборы", "эти",
    "сегодня", "которые", "the", "The", "THE", "and", "with", "that", "from", "this", "has", "their", "would",
    "news", "minister", "said", "і", "ї", "Ў", "ң", "ә", "ѐ", "Ѐ", "ђ", "ѣ", "é", "ß", "İ", "\u212a", "ΣΑΣ", "中国",
    "[", "]", "(", ")", "](", "[текст](https://t.me/x)", "[label](url)", "[a\nb](c)", "[x](a b)",
    "https://", "http://", "www.", "t.me/", "t.me/chan", "https://example.org/a?b=c", "https:// x",
    "@", "@user", "x@y", "@@a", "@_1", "²", "¹", "½", "µ", "_", " ", "  ", "\n", "\t", "\xa0", "\u2003", "\u3000",
    "\u1680", "\x1c", "\x85", ".", ",", "!", "?", "«", "»", "—", "…", "**", "__", "#тег", "👍", "🔥", "🇷🇺", "\ufe0f",
    "\u200b", "\ufeff", "1", "2025", "3.5", "%", "\u0301", "ʻ", "Ⓐ", "ⅰ", "Ⅻ", "①", "\U0001f100",
]


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        size = rng.choice([0, 1, 3, 8, 20, 60, 120])
        texts.append("".join(rng.choice(_PIECES) + rng.choice(["", " ", " ", "\n"]) for _ in range(size)))
    return texts


def _realistic_texts() -> list[str]:
    return [
        "Министр иностранных дел провёл переговоры с коллегой из Индии и обсудил вопросы торговли.",
        "The minister said that talks with the delegation from India were held in a constructive way.",
        "**Заявление** МИД России: [подробнее](https://t.me/mid/123) @mid_russia 👉 читайте на сайте",
        "Ещё раз о главном: https://example.org/news?id=5 это важно для всех, кто следит за событиями.",
        "Мұнда қазақ тілінде жазылған мәтін бар, ол орыс тілі емес және бұл тексеруге арналған.",
        "Бул кыргыз тилинде жазылган текст, ал орус тили эмес, бирок окшош тамгалар бар.",
        "Це український текст, і він не російський, хоча літери схожі на російські.",
        "K\u212aelvin and İstanbul with the news that this has been said from their side.",
        "",
        "👍",
    ]


def _python_shortcut(text: str, max_chars: int) -> object:
    return "empty" if not text else lang._shortcut(lang._strip_links(text[:max_chars]))


@pytest.mark.parametrize("max_chars", [200, 15])
def test_shortcut_codes_agree_with_python(max_chars):
    texts = _realistic_texts() + _random_texts(6000, seed=max_chars)
    codes = kernels.shortcut_codes(pa.array(texts, type=pa.large_string()), max_chars)
    names = {kernels.EMPTY: "empty", kernels.OPEN: None, kernels.RU: "ru", kernels.EN: "en"}
    decided = codes != kernels.DEFER
    assert decided.mean() > 0.5  # the loop must actually decide most texts, not defer everything
    assert {names[code] for code in codes[decided].tolist()} >= {"empty", None, "ru", "en"}
    for text, code in zip(texts, codes.tolist()):
        if code != kernels.DEFER:
            assert names[code] == _python_shortcut(text, max_chars), repr(text)


def test_shortcut_defers_texts_with_characters_it_does_not_lower_case():
    texts = ["İstanbul and the news that this has been said from their side", "ΣΑΣ and the text from this"]
    assert kernels.shortcut_codes(pa.array(texts), 200).tolist() == [kernels.DEFER, kernels.DEFER]


def test_canonical_texts_agree_with_python():
    texts = _realistic_texts() + _random_texts(6000, seed=7)
    canonical = kernels.canonical_texts(pa.array(texts, type=pa.large_string()))
    assert sum(value is not None for value in canonical) > len(texts) // 3
    for text, value in zip(texts, canonical):
        if value is not None:
            assert value == normalize.normalized_bytes(text), repr(text)


_LINK_PIECES = [
    "https://", "http://", "HTTP://", "hTtPs://", "httpſ://", "https//", "httpss://", "tg://", "TG://", "t.me/",
    "T.Me/", "www.", "WWW.", "wWw.", "://", "h", "t", "w", ".", "/", "mid.ru", "новости", "a", "#", "##", "#тег",
    "#Tag_1", "#1", "#_", "x#y", "\u0301", "а\u0301", "@", "<", ">", '"', "'", "«", "»", ")", "]", "}", ",", ";",
    ":", "!", "?", "(", "[", "👍", "🇷🇺", "\U00020000", "中", " ", "\n", "\t", "\xa0", "\u2003", "\x1c", "\x85",
]


def test_links_and_hashtags_agree_with_python():
    from classify.ingest.entities import scan_plain

    rng = random.Random(5)
    texts = _realistic_texts() + _random_texts(3000, seed=5) + [
        "".join(rng.choice(_LINK_PIECES) for _ in range(rng.choice([1, 3, 8, 30]))) for _ in range(6000)]
    found = kernels.links_and_hashtags(pa.array(texts, type=pa.large_string()), list(range(len(texts))))
    assert sum(value is not None for value in found) > 0.95 * len(texts)
    assert sum(bool(value and value[0]) for value in found) > 1000  # links found, not only empty lists
    assert sum(bool(value and value[1]) for value in found) > 1000
    for text, value in zip(texts, found):
        if value is not None:
            assert value == scan_plain(text), repr(text)
    assert kernels.links_and_hashtags(pa.array(["#\U00020000"]), [0]) == [None]  # beyond the tables: Python


@pytest.mark.parametrize("max_chars", [200, 15])
def test_lid_windows_agree_with_python(max_chars):
    texts = [text for text in _realistic_texts() + _random_texts(6000, seed=max_chars + 1) if text]
    cleaned = kernels.lid_windows(pa.array(texts, type=pa.large_string()), list(range(len(texts))), max_chars)
    assert sum(value is not None for value in cleaned) > 0.9 * len(texts)
    assert sum(bool(value) for value in cleaned) > 0.5 * len(texts)  # not all cleaned away
    for text, value in zip(texts, cleaned):
        if value is not None:
            assert value == lang.clean_for_lid(text[:2 * max_chars], max_chars), repr(text)
    assert kernels.lid_windows(pa.array(["\U000e0041 tag"]), [0], 200) == [None]  # beyond the tables: Python


def test_canonical_texts_reduce_markdown_links_as_python_does():
    pieces = ["[", "]", "(", ")", "](", "[a](b)", "[текст](https://t.me/x)", "[a\nb](c)", "[x](a b)", "[x](a\xa0b)",
              "[é](ü)", "[x](é)", "[[a](b)", "[a]](b)", "[a](b))", "[](x)", "[a]()", "ё", "Ё", "é", "Б", "a", " ", "\n",
              "\u2003", "👍"]
    rng = random.Random(3)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.choice([1, 3, 8, 25]))) for _ in range(5000)]
    canonical = kernels.canonical_texts(pa.array(texts, type=pa.large_string()))
    assert sum(value is not None for value in canonical) > len(texts) // 3
    for text, value in zip(texts, canonical):
        if value is not None:
            assert value == normalize.normalized_bytes(text), repr(text)


def test_nulls_and_plain_strings():
    texts = pa.array(["Один", None, "two"])
    assert kernels.shortcut_codes(texts, 200) is None  # the caller's Python path handles nulls
    assert kernels.canonical_texts(texts) == [b"\xd0\xbe\xd0\xb4\xd0\xb8\xd0\xbd", b"", b"two"]
    assert kernels.shortcut_codes(pa.array(["Один"], type=pa.string()), 200).tolist() == [kernels.OPEN]


def test_packed_words_refuse_what_the_loop_cannot_pack():
    assert np.frombuffer(kernels.packed_words(["ab"], "a"), dtype=np.uint64).tolist() == [1 * 64 + 2]
    with pytest.raises(ValueError):
        kernels.packed_words(["abcdefghijk"], "a")


def test_built_where_required():
    # .ci/run sets this: there the extension must have been compiled, so no test above may skip.
    if os.environ.get("CLASSIFY_REQUIRE_KERNELS"):
        assert kernels.available()


def test_callers_give_the_same_results_through_the_kernels():
    texts = _realistic_texts() + _random_texts(3000, seed=11)
    array = pa.array(texts, type=pa.large_string())
    assert lang.detect_languages(array) == lang.detect_languages(texts)
    assert normalize.text_keys(array).tolist() == [normalize.text_key(text) for text in texts]
    from classify.ingest.entities import scan_plain
    from classify.ingest.table import _text_fields

    rows = [row for row, text in enumerate(texts) if text]
    assert _text_fields(array, scanned=rows)[2] == [scan_plain(texts[row]) for row in rows]
