from training.topics.model import topic_label


def test_label_takes_three_top_words_without_repeating_them():
    assert topic_label(21, ["рублей", "миллионов рублей", "миллионов", "тысяч"]) == "21_рублей_миллионов-рублей_тысяч"
    assert topic_label(3, ["мид", "мид", "глава мид"]) == "3_мид_глава-мид"
    assert topic_label(0, []) == "0_"
