"""detect_languages_column answers as detect_languages does, text for text."""
import pyarrow as pa

from classify.text.lang import detect_languages, detect_languages_column

TEXTS = [
    "Министр провёл переговоры с коллегой из Индии, и стороны обсудили торговлю.",
    "Министр провел переговоры с коллегой из Индии",  # no ы/э/ё: left to the model
    "The minister met his Indian counterpart and said that the talks were useful for their trade.",
    "The minister met his counterpart",  # too few English function words: the model
    "Міністр провів переговори з колегою з Індії, і сторони обговорили торгівлю.",
    "Міністр правёў перамовы з калегам з Індыі, і бакі абмеркавалі гандаль.",
    "@mfa_ru: Министр провёл переговоры в Дели, и это важно для нас.",  # mention: decided one by one
    "İstanbul'da yapılan görüşmeler olumlu geçti ve taraflar yeniden buluşacak.",
    "Подробнее: [читать на сайте](https://example.org/a) и https://example.org/b — это всё.",
    "Der Minister hat mit seinem indischen Amtskollegen gesprochen und die Beziehungen gelobt.",
    "👍🔥", "", None, "12:00", "ok",
    "THE MINISTER SAID THAT THE TALKS WITH THEIR PARTNERS WERE USEFUL.",
    "Министр провёл переговоры с коллегой из Индии, и стороны обсудили торговлю.",  # repeated text
    "Ёлки: в этом году их будет больше, чем в прошлом, и это радует жителей.",
]


def test_column_answers_equal_per_text_answers():
    assert detect_languages_column(pa.array(TEXTS)) == detect_languages(TEXTS)


def test_column_answers_for_other_prefix_lengths_and_types():
    for max_chars in (20, 60):
        assert (detect_languages_column(pa.array(TEXTS, type=pa.large_string()), max_chars=max_chars)
                == detect_languages(TEXTS, max_chars=max_chars))
    assert detect_languages_column(pa.array([], type=pa.string())) == []
