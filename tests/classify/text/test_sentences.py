import pytest

from classify.text.sentences import mask_markup, split_sentences


def texts(text, lang):
    return [s.text for s in split_sentences(text, lang)]


def test_offsets_point_into_the_original_text():
    post = "**Глава МИД** заявил, что встреча пройдёт 5 июня. [Подробнее](https://example.org/a.b) на сайте.\n👉 Подписывайтесь!"
    sentences = split_sentences(post, "ru")
    assert sentences, "no sentences found"
    for sentence in sentences:
        assert post[sentence.start:sentence.end] == sentence.text
        assert "**" not in sentence.clean and "https" not in sentence.clean


def test_russian_initials_and_abbreviations_do_not_end_sentences():
    post = "М.В.Захарова прокомментировала заявление г-на Смита 27 мая 2025 г. в Москве. Это уже третий случай, т.е. не первый."
    assert texts(post, "ru") == [
        "М.В.Захарова прокомментировала заявление г-на Смита 27 мая 2025 г. в Москве.",
        "Это уже третий случай, т.е. не первый.",
    ]


def test_english_titles_and_dates_do_not_end_sentences():
    post = "On May 27, 2025, Mr. J. Smith said the U.S. economy grew 2.5% in Q1. Sen. Brown disagreed."
    assert texts(post, "en") == [
        "On May 27, 2025, Mr. J. Smith said the U.S. economy grew 2.5% in Q1.",
        "Sen. Brown disagreed.",
    ]


def test_line_breaks_and_emoji_bullets_end_sentences():
    post = "Итоги переговоров\n\n🔹 Стороны подписали 12 соглашений\n🔹 Товарооборот вырос на 8%\n▪️Следующая встреча в Пекине"
    assert texts(post, "ru") == [
        "Итоги переговоров",
        "Стороны подписали 12 соглашений",
        "Товарооборот вырос на 8%",
        "Следующая встреча в Пекине",
    ]


def test_markdown_does_not_split_or_leak_into_clean_text():
    post = "**Срочно.** Посол был вызван в МИД. Читайте [наш разбор тут.](https://t.me/chan/12)"
    sentences = split_sentences(post, "ru")
    assert [s.clean for s in sentences] == ["Срочно.", "Посол был вызван в МИД.", "Читайте наш разбор тут."]
    assert sentences[0].text == "Срочно."


def test_link_text_spanning_lines_is_unmasked_only_inside():
    post = "[Подписаться\nна канал](https://t.me/x)"
    masked = mask_markup(post)
    assert len(masked) == len(post)
    assert "https" not in masked and "Подписаться" in masked


@pytest.mark.parametrize("post", ["", "   \n\n", "🔥🔥🔥", "https://t.me/somechannel/123"])
def test_posts_without_words_have_no_sentences(post):
    assert split_sentences(post, "ru") == []


def test_unknown_language_falls_back_to_a_segmenter():
    assert texts("Hello there. Second one.", None) == ["Hello there.", "Second one."]
    assert texts("Hello there. Second one.", "other") == ["Hello there.", "Second one."]


@pytest.mark.shared
def test_sentences_match_the_annotated_claim_spans_of_the_gold_posts(shared_data):
    """Nearly every annotated claim span is covered at least half by one of our sentences (97.8% measured)."""
    from labels.records import read_labeled

    found = total = 0
    for record in read_labeled(shared_data / "themes" / "telegram_ru_gold.jsonl"):
        spans = [(s.start, s.end) for s in split_sentences(record.text, record.lang)]
        for claim in record.claims or []:
            total += 1
            found += any(min(claim.end, e) - max(claim.start, s) >= (claim.end - claim.start) / 2 for s, e in spans)
    assert total > 1000
    assert found / total >= 0.95


@pytest.mark.parametrize("line", [
    "Курс евро составил 105,2 рубля",
    "«Мы не ведём переговоров», — сказал он. Встреча отменена.",
    "В 2024 г. рост составил 3 %. По словам министра, это рекорд!",
    "Он уехал (см. карту) и вернулся... через год",
    "Цены выросли на 5%.   ",
    "Итоги :) Отличный день",
    "Вопрос? ответ в нижнем регистре. Новое предложение",
    "  Отступ в начале строки.",
])
def test_lines_razdel_would_not_split_skip_it_with_the_same_result(line):
    from razdel import sentenize

    from classify.text.sentences import _razdel_spans

    assert _razdel_spans(line) == [(s.start, s.stop) for s in sentenize(line)]


def test_emphasis_markers_are_masked_with_spaces_of_the_same_length():
    text = "***Срочно***: `код` и ~~старое~~ ||спойлер|| __курсив__"
    masked = mask_markup(text)
    assert len(masked) == len(text)
    assert masked.split() == ["*Срочно", "*:", "код", "и", "старое", "спойлер", "курсив"]


def test_bare_domains_with_a_path_are_masked_but_not_reported_speech():
    masked = mask_markup("Источник: mid.ru/ru/foreign_policy/news и сообщение ТАСС.")
    assert "mid.ru" not in masked and "сообщение ТАСС." in masked


def test_short_link_domain_inside_a_longer_host_is_masked_whole():
    for text in ("news.vk.com/wall1 ok", "see abc.t.me/x now", "https://mid.ru/a b"):
        masked = mask_markup(text)
        assert len(masked) == len(text)
        assert masked.split() == [word for word in text.split() if "/" not in word]


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_masked_markup_does_not_hide_the_next_sentence(lang):
    """The spaces left by a masked link and emphasis must not join two sentences (razdel looks for the
    next word within 10 characters of a period)."""
    post = "Подробнее [на сайте](https://mid.example/briefing/2025-05-12). 👉 __Министр__ заявил, что переговоры начнутся 5 мая."
    sentences = split_sentences(post, lang)
    assert [s.text for s in sentences] == ["Подробнее [на сайте](https://mid.example/briefing/2025-05-12).",
                                           "__Министр__ заявил, что переговоры начнутся 5 мая."]
    assert [post[s.start:s.end] for s in sentences] == [s.text for s in sentences]
    assert sentences[1].clean == "Министр заявил, что переговоры начнутся 5 мая."


def test_a_sentence_keeps_both_halves_of_an_emphasis_it_holds_one_of():
    assert texts("**Захарова:** Встреча прошла 27 мая. Он сказал: **это важно.** Конец", "ru") == [
        "**Захарова:** Встреча прошла 27 мая.", "Он сказал: **это важно.**", "Конец"]
    assert texts("**Первое. Второе.** Третье предложение.", "ru") == ["Первое.", "Второе.", "Третье предложение."]
    # An unpaired marker at the very start is not paired with one at the end of the post.
    post = "Код ошибки `E42 виден в журнале. Конец `"
    assert [(s.start, s.end) for s in split_sentences(post, "ru")] == [(0, 32), (33, 38)]


def test_a_sentence_opening_with_a_markdown_link_keeps_the_link_whole():
    text = "[Заявление](https://mid.example/statement) МИД: вызваны 15 послов. Подробнее [на сайте](https://mid.example)."
    first, second = split_sentences(text, "ru")
    assert first.text == "[Заявление](https://mid.example/statement) МИД: вызваны 15 послов."
    assert first.clean == "Заявление МИД: вызваны 15 послов."
    assert second.text == "Подробнее [на сайте](https://mid.example)."
    assert text[first.start:first.end] == first.text
