"""Small invented labeled posts with claim spans (RU and EN), for claim tests."""
from __future__ import annotations

import random

from labels.records import LabeledRecord, Span

FACTS = {
    "ru": ["Товарооборот с {c} в {y} году вырос на {n}%.", "В {c} задержали {n} человек, сообщили в полиции.",
           "Министр заявил, что бюджет на {y} год составит {n} млрд рублей.",
           "Посол {c} был вызван в МИД после заявления от {d} мая.",
           "По данным Росстата, инфляция в {y} году составила {n},5%.",
           "Над регионом сбиты {n} беспилотников, заявили в Минобороны."],
    "en": ["Trade with {c} grew by {n}% in {y}.", "Police in {c} detained {n} people on Monday.",
           "The minister said the {y} budget will reach {n} billion dollars.",
           "The ambassador of {c} was summoned on May {d}.",
           "Official data show inflation reached {n}.5% in {y}.",
           "The ministry said {n} drones were shot down over the region."],
}
OTHER = {
    "ru": ["Подписывайтесь на наш канал!", "Как вы думаете, что будет дальше?", "Это просто позор.",
           "Доброе утро, друзья!", "Читайте подробнее по ссылке.", "Делитесь мнением в комментариях."],
    "en": ["Subscribe to our channel!", "What do you think will happen next?", "This is a disgrace.",
           "Good morning, friends!", "Read more at the link.", "Share your opinion in the comments."],
}
COUNTRIES = {"ru": ["Индией", "Китаем", "Бразилией", "Турцией"], "en": ["India", "China", "Brazil", "Turkey"]}


def make_posts(n_posts: int = 60, seed: int = 3, langs=("ru", "en")) -> list[LabeledRecord]:
    rng = random.Random(seed)
    records = []
    for i in range(n_posts):
        lang = langs[i % len(langs)]
        parts, spans, cursor = [], [], 0
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.55:
                sentence = rng.choice(FACTS[lang]).format(c=rng.choice(COUNTRIES[lang]), y=rng.randint(2015, 2025),
                                                          n=rng.randint(2, 90), d=rng.randint(1, 28))
                spans.append(Span(cursor, cursor + len(sentence)))
            else:
                sentence = rng.choice(OTHER[lang])
            parts.append(sentence)
            cursor += len(sentence) + 1
        records.append(LabeledRecord(id=f"{lang}-{i}", text=" ".join(parts), lang=lang, claims=spans))
    return records
