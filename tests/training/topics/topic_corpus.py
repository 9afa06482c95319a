"""An invented bilingual corpus of five clearly distinct subjects, generated from templates.

Each channel signs its posts with a fixed footer (subscribe links, a bot), the
boilerplate the topic model must not turn into topics.
"""
from __future__ import annotations

import random

import pandas as pd

SUBJECTS = {
    # subject -> (theme the taxonomy should map it to, Russian templates, English templates, slot values)
    "finance": ("economy", [
        "Центральный банк {verb} ключевую ставку до {num}%, инфляция за месяц составила {small}%.",
        "Курс рубля к доллару {verb2} до {num} рублей, биржевые торги открылись ростом акций банков.",
        "Цены на бензин и продукты выросли на {small}%, аналитики ждут ускорения инфляции и роста ставок по кредитам.",
        "Банки повысили ставки по вкладам и ипотеке вслед за решением ЦБ по ключевой ставке.",
    ], [
        "The central bank {everb} its key rate to {num}% as inflation reached {small}% this month.",
        "The rouble {everb2} to {num} per dollar; bank shares rose when stock exchange trading opened.",
        "Fuel and food prices rose {small}%, economists expect inflation and loan rates to climb further.",
    ], {"verb": ["повысил", "сохранил", "снизил"], "verb2": ["ослаб", "укрепился"],
        "everb": ["raised", "kept", "cut"], "everb2": ["weakened", "strengthened"]}),
    "military": ("security", [
        "Силы ПВО сбили {num} беспилотников над областью, ракетная угроза сохраняется.",
        "Минобороны провело военные учения с применением ракетных комплексов и зенитных систем.",
        "Войска отработали пуски ракет, армия получила новые комплексы противовоздушной обороны.",
        "НАТО перебросило войска и оружие к границе, военные усилили группировку у рубежей.",
    ], [
        "Air defence forces shot down {num} drones overnight; the missile threat remains.",
        "The defence ministry held military exercises with missile launchers and air defence systems.",
        "NATO moved troops and weapons to the border as the army reinforced its units.",
    ], {}),
    "space": ("culture_science", [
        "Астрономы обнаружили у далекой звезды экзопланету, телескоп зафиксировал следы воды в атмосфере.",
        "Ракета вывела на орбиту научный спутник, космический аппарат отправится к Луне через {small} месяца.",
        "Ученые показали снимки галактики, полученные космическим телескопом, исследование опубликовано в журнале.",
        "Космонавты вышли в открытый космос с орбитальной станции и провели научные эксперименты.",
    ], [
        "Astronomers found an exoplanet near a distant star; the space telescope saw water in its atmosphere.",
        "Scientists released images of a galaxy taken by the space telescope, the research was published today.",
        "Astronauts made a spacewalk from the orbital station to run science experiments.",
    ], {}),
    "cooking": ("new", [
        "Рецепт дня: запеките курицу с картофелем и чесноком, добавьте сливочное масло и зелень.",
        "Как испечь пышные блины: мука, молоко, яйца, щепотка соли и сахара, жарьте на сковороде.",
        "Суп с грибами и сметаной: обжарьте лук и морковь, добавьте картофель и варите {small}0 минут.",
        "Домашний пирог с яблоками и корицей: тесто на кефире, духовка и {num} минут выпечки.",
    ], [
        "Recipe of the day: roast chicken with potatoes and garlic, add butter and fresh herbs.",
        "How to bake fluffy pancakes: flour, milk, eggs, a pinch of salt and sugar, fry in a pan.",
        "Apple pie with cinnamon: knead the dough, heat the oven and bake for {num} minutes.",
    ], {}),
    "arctic": ("arctic", [
        "Атомный ледокол провел караван судов по Северному морскому пути, лед в Арктике толщиной {small} метра.",
        "Полярники на Шпицбергене начали новый сезон исследований арктического льда и климата.",
        "Грузоперевозки по Севморпути выросли, ледоколы обеспечили навигацию в арктических морях.",
        "Арктический совет обсудил судоходство в полярных водах и защиту северной природы.",
    ], [
        "A nuclear icebreaker led a convoy along the Northern Sea Route through thick Arctic ice.",
        "Polar researchers on Svalbard started a new season of Arctic ice and climate studies.",
        "Shipping on the Northern Sea Route grew as icebreakers kept Arctic navigation open.",
    ], {}),
}

CHANNELS = {
    "Вестник": "📢 [Подписаться на Вестник](https://t.me/vestnik_demo) | [Прислать новость](https://t.me/vestnik_demo_bot)",
    "Daily Wire Demo": "👉 Read us without VPN: example.org/daily | Subscribe @dailywire_demo",
    "Утро": "❤️ Подпишись на Утро — t.me/+AbCdEf123",
}


TAILS = {
    "finance": ["Рынок облигаций отреагировал спокойно.", "Экономисты ждут замедления роста цен.",
                "Bond markets stayed calm.", "Analysts expect slower price growth."],
    "military": ["Обломки ракет упали в поле.", "Тревога объявлена в соседних районах.",
                 "Debris of the missiles fell in a field.", "Air raid alerts sounded nearby."],
    "space": ["Запуск показали в прямом эфире.", "Следующая миссия к Марсу запланирована на осень.",
              "The launch was streamed live.", "The next mission to Mars is planned for autumn."],
    "cooking": ["Подавайте горячим со сметаной.", "Приятного аппетита!", "Serve hot with sour cream.",
                "Enjoy your meal!"],
    "arctic": ["Температура воздуха опустилась ниже минус тридцати.", "Белые медведи подходили к станции.",
               "Air temperature fell below minus thirty.", "Polar bears came close to the station."],
}


def make_corpus(posts_per_subject: int = 50, seed: int = 7) -> pd.DataFrame:
    """Posts with columns id, channel, date, text, subject (the subject is for checking, not for fitting).

    A post is two sentences of its subject in one language plus, often, a closing remark.
    """
    rng = random.Random(seed)
    rows = []
    channels = list(CHANNELS)
    start = pd.Timestamp("2024-03-04", tz="UTC")
    for subject, (_theme, russian, english, slots) in SUBJECTS.items():
        for i in range(posts_per_subject):
            english_post = i % 3 == 2
            templates = english if english_post else russian
            sentences = [t.format(num=rng.randint(10, 90), small=rng.randint(2, 9),
                                  **{name: rng.choice(values) for name, values in slots.items()})
                         for t in rng.sample(templates, 2)]
            tails = TAILS[subject][2:] if english_post else TAILS[subject][:2]
            if rng.random() < 0.7:
                sentences.append(rng.choice(tails))
            channel = channels[(i + len(rows)) % len(channels)]
            rows.append({"channel": channel, "text": " ".join(sentences) + f"\n\n{CHANNELS[channel]}",
                         "date": start + pd.Timedelta(hours=7 * i + rng.randint(0, 6)), "subject": subject})
    rng.shuffle(rows)
    frame = pd.DataFrame(rows)
    frame["message_id"] = range(1, len(frame) + 1)
    frame["id"] = frame["channel"] + "/" + frame["message_id"].astype(str)
    return frame[["id", "channel", "message_id", "date", "text", "subject"]]


def theme_of(subject: str) -> str:
    return SUBJECTS[subject][0]
