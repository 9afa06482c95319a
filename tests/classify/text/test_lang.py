import socket

import pytest

from classify.text import lang
from classify.text.lang import clean_for_lid, detect_language, detect_languages

RUSSIAN = [
    "Министр иностранных дел провёл переговоры с коллегой из Индии о поставках удобрений.",
    "Заседание Совета Безопасности ООН перенесено на следующую неделю по просьбе делегаций.",
    "Историк нашёл в архиве письма полярников экспедиции 1937 года",
]
ENGLISH = [
    "The Foreign Minister held talks with his Indian counterpart on fertiliser supplies.",
    "The UN Security Council meeting was postponed until next week at the request of delegations.",
    "Historians found letters written by members of a 1937 polar expedition in the archive.",
]


def test_russian_and_english():
    assert detect_languages(RUSSIAN + ENGLISH) == ["ru"] * 3 + ["en"] * 3


@pytest.mark.parametrize("text", [
    "Міністр закордонних справ провів переговори з колегою з Індії щодо постачання добрив.",  # Ukrainian
    "Der Außenminister führte Gespräche mit seinem indischen Amtskollegen über Düngemittel.",  # German
    "Министърът на външните работи проведе разговори с колегата си от Индия за доставките на торове.",  # Bulgarian
])
def test_other_languages_are_other(text):
    assert detect_language(text) == "other"


@pytest.mark.parametrize("text", [None, "", "👍🔥", "Да!", "https://mfa.example/ru/press/1", "12:00 — 14:30", "#Арктика"])
def test_empty_or_too_short_is_other(text):
    assert detect_language(text) == "other"


def test_markup_links_and_emoji_do_not_decide():
    text = ("🇷🇺 **Заявление** [министерства](https://mfa.example/en/statement/2025/03) о безопасности "
            "судоходства в Балтийском море https://mfa.example/en/docs @mfa_press_bot #Balt")
    assert clean_for_lid(text) == "Заявление министерства о безопасности судоходства в Балтийском море Balt"
    assert detect_language(text) == "ru"
    english_with_russian_link = "The Minister met the Indian ambassador today: https://mfa.example/ru/новости/встреча-с-послом"
    assert detect_language(english_with_russian_link) == "en"


def test_cleaned_prefix_is_bounded():
    cleaned = clean_for_lid("Переговоры в Осло продолжаются. " * 40)
    assert len(cleaned) <= lang.PREFIX_CHARS and not cleaned.endswith(" ")
    assert "\n" not in clean_for_lid("Первая строка\nвторая строка")


def test_shortcut_agrees_with_the_model():
    texts = RUSSIAN + ENGLISH + [
        "Путин и Токаев обсудили работу космодрома Байконур и совместные проекты в ракетной отрасли.",
        "Курс рубля: доллар подешевел на 40 копеек, евро — на 25 копеек; Мосбиржа сообщила об итогах торгов.",
        "Apple и Google обновили правила для разработчиков в России — подробности в нашем обзоре.",
    ]
    assert detect_languages(texts, shortcut=True) == detect_languages(texts, shortcut=False)


@pytest.mark.parametrize("text, expected", [
    ("Министр иностранных дел провёл переговоры в Дели и обсудил поставки удобрений.", "ru"),
    ("The minister said that talks with the delegation from India were useful.", "en"),
    # no "ы/э/ё" or too few function words: the model decides
    ("Историк нашел родину колеса", None),
    ("Talks in Delhi: fertiliser supplies", None),
    # other languages with the same letters
    ("Тэлефон даведачнай службы працуе кругласутачна", None),  # Belarusian: no "и"
    ("Бул документти даярдаган адамдардын тизмеси жана алардын даректери", None),  # Kyrgyz
    ("Der Minister sagte, was die Delegation will, ist also klar.", None),  # German
    ("De minister zei dat het gesprek nuttig was en is of blijft.", None),  # Dutch
])
def test_shortcut_decides_only_when_sure(text, expected):
    assert lang._shortcut(text) == expected


def test_identical_texts_are_identified_once(monkeypatch):
    calls = {"shortcut": 0, "model": 0}

    def counted(name, real):
        def call(*args):
            calls[name] += 1
            return real(*args)
        return call

    monkeypatch.setattr(lang, "_shortcut", counted("shortcut", lang._shortcut))
    monkeypatch.setattr(lang, "_label_of_clean", counted("model", lang._label_of_clean))
    ukrainian = "Міністр закордонних справ провів переговори з колегою з Індії щодо постачання добрив."
    assert detect_languages(ENGLISH[:1] * 5 + [ukrainian] * 5) == ["en"] * 5 + ["other"] * 5
    assert calls == {"shortcut": 2, "model": 2}  # once per distinct text (both are left to the model)


def _recorded_predictions(monkeypatch, answer_for_head=None):
    """The texts the model is asked about; ``answer_for_head`` replaces its answer on short heads."""
    asked = []
    real = lang._predict

    def predict(text):
        asked.append(text)
        if answer_for_head is not None and len(text) <= lang.EARLY_CHARS:
            return answer_for_head
        return real(text)

    monkeypatch.setattr(lang, "_predict", predict)
    return asked


LONG_RUSSIAN = ("Министр иностранных дел провёл переговоры с коллегой из Индии о поставках удобрений, "
                "а также обсудил подготовку визита делегации в следующем месяце.")


def test_a_sure_short_head_settles_the_language(monkeypatch):
    asked = _recorded_predictions(monkeypatch)
    assert detect_languages([LONG_RUSSIAN], shortcut=False) == ["ru"]
    assert len(asked) == 1 and len(asked[0]) <= lang.EARLY_CHARS and LONG_RUSSIAN.startswith(asked[0])


def test_an_unsure_short_head_goes_to_the_whole_prefix(monkeypatch):
    asked = _recorded_predictions(monkeypatch, answer_for_head=(lang.EARLY_CONFIDENCE - 0.01, "ru"))
    assert detect_languages([LONG_RUSSIAN], shortcut=False) == ["ru"]
    assert [len(text) for text in asked] == [len(asked[0]), len(clean_for_lid(LONG_RUSSIAN))]
    assert len(asked[0]) <= lang.EARLY_CHARS < len(asked[1])


def test_a_sure_head_of_a_third_language_goes_to_the_whole_prefix(monkeypatch):
    asked = _recorded_predictions(monkeypatch, answer_for_head=(0.99, "uk"))
    assert detect_languages([LONG_RUSSIAN], shortcut=False) == ["ru"]
    assert len(asked) == 2


def test_without_early_exit_the_model_sees_the_whole_prefix_once(monkeypatch):
    asked = _recorded_predictions(monkeypatch)
    assert detect_languages([LONG_RUSSIAN], shortcut=False, early_exit=False) == ["ru"]
    assert asked == [clean_for_lid(LONG_RUSSIAN)]


def test_model_is_loaded_once_and_offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("language identification tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    lang._model.cache_clear()
    assert detect_languages(ENGLISH) == ["en"] * 3
    assert lang._model() is lang._model()
    assert lang._model.cache_info().misses == 1


@pytest.mark.shared
def test_shared_russian_dump_is_russian(shared_data):
    import json

    with open(shared_data / "telegram_ru_news" / "posts.jsonl", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle]
    langs = detect_languages(texts)
    assert langs.count("ru") / len(langs) > 0.99


def test_arrow_array_gets_the_same_answers_as_strings():
    import pyarrow as pa

    long_open = "Сводка: " + "12:00 — " * 20 + "Министр провёл переговоры с коллегой из Индии о поставках."  # the model reads past 200 characters
    texts = RUSSIAN + ENGLISH + [None, "", "👍", long_open, long_open, "Міністр закордонних справ провів переговори.",
                                 "The Minister met the Indian ambassador today: https://mfa.example/ru/новости/1"]
    array = pa.array(texts, type=pa.large_string())
    for max_chars, shortcut in ((lang.PREFIX_CHARS, True), (lang.PREFIX_CHARS, False), (30, True)):
        assert (detect_languages(array, max_chars=max_chars, shortcut=shortcut)
                == detect_languages(texts, max_chars=max_chars, shortcut=shortcut))
