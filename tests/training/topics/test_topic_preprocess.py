from training.topics.preprocess import STOP_WORDS, Preprocessor, strip_markup

from topic_corpus import CHANNELS, make_corpus


def test_strip_markup_keeps_anchor_text_and_drops_urls_handles_and_bots():
    text = ("**Срочно**: [Минфин сообщил](https://t.me/minfin/12) о бюджете, "
            "подробнее www.example.ru/news и bit.ly/abc, пишите @editor или news_bot")
    cleaned = strip_markup(text)
    assert "Минфин сообщил" in cleaned and "бюджете" in cleaned
    for gone in ("http", "t.me", "www", "example.ru", "bit.ly", "@editor", "news_bot", "**"):
        assert gone not in cleaned


def test_repeated_channel_lines_are_learned_as_boilerplate_and_removed():
    corpus = make_corpus(posts_per_subject=20)
    prep = Preprocessor(min_line_repeats=5)
    docs = prep.fit_transform(corpus["text"].tolist(), corpus["channel"].tolist())
    assert len(prep.boilerplate_lines_) == len(CHANNELS)
    words = {word for doc in docs for word in doc.split()}
    for footer_word in ("vpn", "subscrib", "подпиш", "прислат", "вестник", "daily"):
        assert not any(word.startswith(footer_word) for word in words), footer_word
    # a line seen fewer times than the threshold is content, not boilerplate
    assert Preprocessor(min_line_repeats=1000).fit(corpus["text"].tolist()).boilerplate_lines_ == []


def test_stop_words_and_numbers_are_dropped_and_inflections_share_a_stem():
    prep = Preprocessor(min_line_repeats=100).fit(["Санкции и санкций", "sanctions and the sanction"])
    assert prep.normalize("Санкции и санкций против 2024 банков") == "санкц санкц банк"
    assert prep.normalize("the sanctions and sanction") == "sanction sanction"
    assert {"и", "против", "the", "and", "подписаться"} <= STOP_WORDS


def test_display_form_is_the_most_frequent_surface_form():
    prep = Preprocessor(min_line_repeats=100).fit(["ракеты ракеты ракета", "ракетами"])
    assert prep.display("ракет") == "ракеты"
    assert prep.display("ракет unknownstem") == "ракеты unknownstem"


def test_restore_reproduces_the_fitted_transform():
    corpus = make_corpus(posts_per_subject=10)
    texts, channels = corpus["text"].tolist(), corpus["channel"].tolist()
    fitted = Preprocessor(min_line_repeats=3)
    docs = fitted.fit_transform(texts, channels)
    restored = Preprocessor(min_line_repeats=3).restore(fitted.boilerplate_lines_, {})
    assert restored.transform(texts) == docs == fitted.transform(texts)


def test_phrases_are_shown_in_their_most_frequent_surface_form():
    texts = ["министр иностранных дел выступил", "министра иностранных дел встретили",
             "уголовное дело закрыто", "дело передано в суд", "новое дело", "старое дело",
             "министр иностранных дел"]
    prep = Preprocessor(min_line_repeats=100)
    docs = prep.fit_transform(texts)
    phrase = prep.normalize("иностранных дел")
    assert prep.display(phrase) == "иностранных дело"  # word by word: "дело" is the commoner form of the stem
    prep.learn_phrase_forms(docs, [phrase, "министр"])
    assert prep.display(phrase) == "иностранных дел"
    assert prep.display(prep.normalize("министр")) == "министр"
