"""Generate a large invented archive of Telegram channel posts for the scale benchmark.

Every text is assembled from the templates and word lists below (written for
this benchmark, not taken from any data set): Russian and English posts on the
taxonomy's themes, with realistic lengths (a few words to a few thousand
characters, lognormal), a small share of other languages and of media-only
posts with no text, views on every post and reactions on some channels.

Each channel is one JSONL file (``<channel>.jsonl``) with the plain post fields
``channel, message_id, date, text, views, forwards, reactions``, dates ascending.

    python benchmarks/synthetic_archive.py -n 1000000 -o /tmp/archive
"""
from __future__ import annotations

import argparse
import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

# theme -> language -> sentence templates; {slots} come from SLOTS[language]
THEMES = {
    "security": {
        "en": ["{org} has moved {number} more battalions to the border near {place}.",
               "The ministry warned that new missile deployments in {place} threaten regional stability.",
               "Joint exercises of {org} forces near {place} involve {number} troops and {number2} aircraft.",
               "Any attempt to expand military infrastructure towards {place} will receive an adequate response.",
               "The defence minister discussed air defence and border security with {person}."],
        "ru": ["{org_ru} перебросил ещё {number} батальонов к границе у {place_ru}.",
               "В министерстве предупредили, что размещение ракет в {place_ru} угрожает стабильности в регионе.",
               "В совместных учениях сил {org_ru} у {place_ru} участвуют {number} военнослужащих и {number2} самолётов.",
               "Любые попытки приблизить военную инфраструктуру к {place_ru} получат адекватный ответ.",
               "Министр обороны обсудил с {person_ru} вопросы ПВО и безопасности границ."],
    },
    "ukraine": {
        "en": ["Kyiv received another package of {number2} armoured vehicles from {org}.",
               "The settlement of the conflict in Ukraine is impossible without addressing its root causes.",
               "Shelling of {place} overnight damaged {number} residential buildings, local authorities said.",
               "Talks on the exchange of prisoners continued in {place} with the mediation of {person}.",
               "Western supplies of long-range weapons to Kyiv only prolong the conflict."],
        "ru": ["Киев получил очередной пакет из {number2} бронемашин от {org_ru}.",
               "Урегулирование конфликта на Украине невозможно без устранения его первопричин.",
               "Ночной обстрел {place_ru} повредил {number} жилых домов, сообщили местные власти.",
               "Переговоры об обмене пленными продолжились в {place_ru} при посредничестве {person_ru}.",
               "Западные поставки дальнобойного оружия Киеву лишь затягивают конфликт."],
    },
    "economy": {
        "en": ["Trade between the two countries grew by {percent}% last year and reached {number} billion dollars.",
               "Sanctions have cost European industry more than {number} billion euros, according to {org}.",
               "Gas deliveries through the {pipeline} pipeline fell by {percent}% in {month}.",
               "The new agreement opens the market for grain and fertiliser exports to {place}.",
               "Energy prices in {place} have risen {number2} times since the start of the year."],
        "ru": ["Товарооборот двух стран вырос за год на {percent}% и достиг {number} млрд долларов.",
               "По данным {org_ru}, санкции обошлись европейской промышленности более чем в {number} млрд евро.",
               "Поставки газа по газопроводу «{pipeline}» в {month_ru} сократились на {percent}%.",
               "Новое соглашение открывает рынок {place_ru} для экспорта зерна и удобрений.",
               "Цены на энергоносители в {place_ru} выросли в {number2} раза с начала года."],
    },
    "arctic": {
        "en": ["The nuclear icebreaker escorted {number2} tankers along the Northern Sea Route in {month}.",
               "Cargo traffic on the Northern Sea Route reached {number} million tonnes this season.",
               "The Arctic Council must return to practical cooperation on the environment and shipping.",
               "A new research station on {island} will monitor permafrost and sea ice.",
               "Foreign warships near {island} raise concern about the militarisation of the Arctic."],
        "ru": ["Атомный ледокол провёл {number2} танкеров по Северному морскому пути в {month_ru}.",
               "Грузопоток по Севморпути в этом сезоне достиг {number} млн тонн.",
               "Арктический совет должен вернуться к практическому сотрудничеству по экологии и судоходству.",
               "Новая научная станция на {island_ru} будет следить за вечной мерзлотой и морским льдом.",
               "Иностранные военные корабли у {island_ru} вызывают тревогу из-за милитаризации Арктики."],
    },
    "history": {
        "en": ["{number} years ago the Red Army liberated {place}; we remember the feat of the soldiers.",
               "Attempts to rewrite the history of the Second World War are unacceptable.",
               "A memorial to the victims of the siege was restored in {place} with the help of volunteers.",
               "Archive documents published today show how the {year} conference shaped post-war Europe.",
               "The demolition of Soviet monuments in {place} is an insult to the memory of the fallen."],
        "ru": ["{number} лет назад Красная армия освободила {place_ru}; мы помним подвиг солдат.",
               "Попытки переписать историю Второй мировой войны недопустимы.",
               "В {place_ru} силами волонтёров восстановлен мемориал жертвам блокады.",
               "Опубликованные сегодня архивные документы показывают, как конференция {year} года определила "
               "послевоенную Европу.",
               "Снос советских памятников в {place_ru} оскорбляет память павших."],
    },
    "diplomacy": {
        "en": ["The minister held talks with {person} on bilateral relations and the situation in {place}.",
               "Consultations between the foreign ministries will take place in {place} on {day} {month}.",
               "We welcome the decision of {place} to restore full diplomatic relations.",
               "The ambassador presented his credentials and discussed the agenda of the {org} summit.",
               "The sides signed a memorandum on political dialogue for {year}-{year2}."],
        "ru": ["Министр провёл переговоры с {person_ru} о двусторонних отношениях и ситуации в {place_ru}.",
               "Консультации министерств иностранных дел пройдут в {place_ru} {day} {month_ru_gen}.",
               "Приветствуем решение {place_ru} восстановить дипломатические отношения в полном объёме.",
               "Посол вручил верительные грамоты и обсудил повестку саммита {org_ru}.",
               "Стороны подписали меморандум о политическом диалоге на {year}-{year2} годы."],
    },
    "information": {
        "en": ["Western media again spread fakes about events in {place}; here are the facts.",
               "The blocking of our journalists' accounts is a flagrant violation of freedom of speech.",
               "A wave of cyber attacks hit government websites, {number} incidents were recorded in a day.",
               "The so-called investigation by {media} relies on anonymous sources and doctored images.",
               "We call on the platforms to stop censoring alternative points of view."],
        "ru": ["Западные СМИ снова распространяют фейки о событиях в {place_ru}; приводим факты.",
               "Блокировка аккаунтов наших журналистов — грубое нарушение свободы слова.",
               "Волна кибератак обрушилась на сайты госорганов, за сутки зафиксировано {number} инцидентов.",
               "Так называемое расследование {media} основано на анонимных источниках и поддельных снимках.",
               "Призываем платформы прекратить цензуру альтернативных точек зрения."],
    },
    "culture_science": {
        "en": ["A festival of Russian cinema opens in {place} on {day} {month} with {number2} films.",
               "Scientists from {number2} countries will join the expedition to study the ocean floor.",
               "Our athletes won {number2} medals at the international tournament in {place}.",
               "The exhibition of icons and manuscripts will run in {place} until the end of {month}.",
               "Students from {place} can apply for {number} government scholarships this year."],
        "ru": ["Фестиваль российского кино откроется в {place_ru} {day} {month_ru_gen}, в программе {number2} фильмов.",
               "В экспедиции по изучению океанского дна примут участие учёные из {number2} стран.",
               "Наши спортсмены завоевали {number2} медалей на международном турнире в {place_ru}.",
               "Выставка икон и рукописей продлится в {place_ru} до конца {month_ru_gen}.",
               "Студенты из {place_ru} могут подать заявки на {number} государственных стипендий в этом году."],
    },
    "rights_humanitarian": {
        "en": ["A humanitarian convoy of {number} tonnes of food and medicine arrived in {place}.",
               "The persecution of compatriots and the Russian language in {place} must stop.",
               "UN agencies report that {number} civilians in {place} need urgent assistance.",
               "We demand the release of the journalist detained in {place} on absurd charges.",
               "Refugees from {place} receive housing and medical care in temporary centres."],
        "ru": ["Гуманитарный конвой с {number} тоннами продовольствия и медикаментов прибыл в {place_ru}.",
               "Преследование соотечественников и русского языка в {place_ru} должно прекратиться.",
               "По данным агентств ООН, {number} мирных жителей {place_ru} нуждаются в срочной помощи.",
               "Требуем освободить журналиста, задержанного в {place_ru} по абсурдным обвинениям.",
               "Беженцы из {place_ru} получают жильё и медицинскую помощь во временных центрах."],
    },
    "domestic": {
        "en": ["The government approved a programme to build {number} kilometres of roads by {year2}.",
               "Regional elections will be held on {day} {month}; {number} candidates are registered.",
               "Wages in the region rose by {percent}% while unemployment fell to a record low.",
               "The president signed a law on support for large families and young specialists.",
               "Floods in the {region} region damaged {number} houses; rescuers are working on site."],
        "ru": ["Правительство утвердило программу строительства {number} км дорог до {year2} года.",
               "Региональные выборы пройдут {day} {month_ru_gen}, зарегистрировано {number} кандидатов.",
               "Зарплаты в регионе выросли на {percent}%, а безработица снизилась до рекордного минимума.",
               "Президент подписал закон о поддержке многодетных семей и молодых специалистов.",
               "Паводок в {region_ru} повредил {number} домов, на месте работают спасатели."],
    },
}

FILLER = {
    "en": ["Read the full statement on our website.", "Details to follow.", "Stay with us.",
           "The full text of the interview is available at the link below.",
           "This was stated by the spokesperson at a briefing on {day} {month}.",
           "Comment of the press service:", "We will keep you informed.",
           "Photos from the event are in the album below.", "Subscribe to our channel."],
    "ru": ["Полный текст заявления — на нашем сайте.", "Подробности позже.", "Оставайтесь с нами.",
           "Полный текст интервью доступен по ссылке ниже.",
           "Об этом заявил официальный представитель на брифинге {day} {month_ru_gen}.",
           "Комментарий пресс-службы:", "Будем держать вас в курсе.",
           "Фотографии с мероприятия — в альбоме ниже.", "Подписывайтесь на наш канал."],
}

OTHER_LANGUAGE_POSTS = [
    "La delegación se reunió hoy con representantes del gobierno para discutir la cooperación económica.",
    "Le ministre a rencontré son homologue pour évoquer la situation régionale et la sécurité.",
    "Die Botschaft lädt zu einer Ausstellung über die Geschichte der diplomatischen Beziehungen ein.",
    "Il console ha visitato la mostra dedicata agli scambi culturali tra i nostri paesi.",
    "Delegacja omówiła współpracę gospodarczą i sytuację w regionie.",
]

SLOTS = {
    "en": {"org": ["NATO", "the EU", "the Pentagon", "the OSCE", "BRICS", "the SCO", "the UN"],
           "place": ["Brussels", "Warsaw", "Riga", "Vilnius", "Helsinki", "Belgrade", "Ankara", "Geneva",
                     "Donetsk", "Kherson", "Odessa", "Tallinn", "Budapest", "Beijing", "New Delhi", "Cairo"],
           "person": ["the Turkish foreign minister", "the UN Secretary-General", "his Chinese counterpart",
                      "the OSCE chairman", "the Indian ambassador", "the Hungarian foreign minister"],
           "pipeline": ["TurkStream", "Power of Siberia", "Yamal-Europe", "Blue Stream"],
           "island": ["Svalbard", "Franz Josef Land", "Novaya Zemlya", "Wrangel Island"],
           "media": ["a British newspaper", "an American TV channel", "a German magazine", "a Brussels portal"],
           "region": ["Orenburg", "Kurgan", "Tyumen", "Amur", "Irkutsk"],
           "month": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                     "October", "November", "December"]},
    "ru": {"org_ru": ["НАТО", "ЕС", "Пентагон", "ОБСЕ", "БРИКС", "ШОС", "ООН"],
           "place_ru": ["Брюсселе", "Варшаве", "Риге", "Вильнюсе", "Хельсинки", "Белграде", "Анкаре", "Женеве",
                        "Донецке", "Херсоне", "Одессе", "Таллине", "Будапеште", "Пекине", "Нью-Дели", "Каире"],
           "person_ru": ["министром иностранных дел Турции", "генсеком ООН", "китайским коллегой",
                         "председателем ОБСЕ", "послом Индии", "главой МИД Венгрии"],
           "pipeline": ["Турецкий поток", "Сила Сибири", "Ямал — Европа", "Голубой поток"],
           "island_ru": ["Шпицбергене", "Земле Франца-Иосифа", "Новой Земле", "острове Врангеля"],
           "media": ["британской газеты", "американского телеканала", "немецкого журнала", "брюссельского портала"],
           "region_ru": ["Оренбургской области", "Курганской области", "Тюменской области", "Амурской области"],
           "month_ru": ["январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре",
                        "октябре", "ноябре", "декабре"],
           "month_ru_gen": ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
                            "сентября", "октября", "ноября", "декабря"]},
}

HASHTAGS = {"en": ["#diplomacy", "#Arctic", "#history", "#economy", "#facts"],
            "ru": ["#дипломатия", "#Арктика", "#история", "#экономика", "#факты"]}
THEME_IDS = list(THEMES)
START = datetime(2023, 1, 2, tzinfo=timezone.utc)
SPAN_DAYS = 700


class _Slots(dict):
    """Fills ``{slot}`` placeholders: numbers are drawn fresh, words from the language's lists."""

    def __init__(self, rng: random.Random, lang: str):
        super().__init__()
        self.rng, self.lang = rng, lang

    def __missing__(self, key):
        rng = self.rng
        if key == "number":
            return str(rng.choice([rng.randint(2, 99), rng.randint(100, 999), rng.randint(10, 60)]))
        if key == "number2":
            return str(rng.randint(2, 12))
        if key == "percent":
            return str(rng.randint(2, 45))
        if key == "day":
            return str(rng.randint(1, 28))
        if key in ("year", "year2"):
            return str(rng.randint(1943, 1947) if key == "year" else rng.randint(2025, 2030))
        words = SLOTS[self.lang].get(key) or SLOTS["en" if self.lang == "ru" else "ru"][key]
        return rng.choice(words)


def _channels(count: int, rng: random.Random) -> list[dict]:
    """Invented channels: Russian, English and bilingual, with their own theme mix and audience size."""
    kinds = ["mfa", "embassy", "news", "mission", "consulate", "press"]
    channels = []
    for i in range(count):
        profile = rng.choices(["ru", "en", "bilingual"], weights=[5, 2, 3])[0]
        en_share = {"ru": 0.04, "en": 0.93, "bilingual": 0.45}[profile]
        focus = {theme: rng.gammavariate(0.6, 1.0) for theme in THEME_IDS}
        channels.append({
            "name": f"{rng.choice(kinds)}_{profile}_{i:02d}", "en_share": en_share, "focus": focus,
            "audience": math.exp(rng.uniform(7.0, 11.5)), "reactions": rng.random() < 0.6,
            "weight": rng.paretovariate(1.3),
        })
    return channels


def _post_text(rng: random.Random, channel: dict) -> tuple[str, str]:
    if rng.random() < 0.03:
        return "", "media"
    if rng.random() < 0.02:
        return rng.choice(OTHER_LANGUAGE_POSTS), "other"
    lang = "en" if rng.random() < channel["en_share"] else "ru"
    slots = _Slots(rng, lang)
    themes = rng.choices(THEME_IDS, weights=list(channel["focus"].values()), k=rng.choice([1, 1, 1, 2]))
    # Sentence counts are lognormal: median 3, a long tail up to Telegram's 4096-character limit.
    sentences = max(1, min(40, int(rng.lognormvariate(1.4, 0.8))))
    parts = []
    for _ in range(sentences):
        pool = FILLER[lang] if rng.random() < 0.15 else THEMES[rng.choice(themes)][lang]
        parts.append(rng.choice(pool).format_map(slots))
    paragraphs, current = [], []
    for sentence in parts:
        current.append(sentence)
        if rng.random() < 0.3:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    text = "\n\n".join(paragraphs)
    if rng.random() < 0.2:
        text += "\n\n" + " ".join(rng.sample(HASHTAGS[lang], 2))
    if rng.random() < 0.1:
        text += f"\n\nhttps://example.org/{lang}/{rng.randint(10_000, 99_999)}"
    return text[:4096], lang


def generate_archive(out_dir, n_posts: int = 1_000_000, *, channels: int = 40, seed: int = 0) -> list[Path]:
    """Write ``n_posts`` invented posts over ``channels`` JSONL files in ``out_dir``; returns the paths.

    The same ``n_posts``, ``channels`` and ``seed`` always give the same bytes.
    """
    rng = random.Random(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    specs = _channels(channels, rng)
    total_weight = sum(spec["weight"] for spec in specs)
    counts = [int(n_posts * spec["weight"] / total_weight) for spec in specs]
    counts[0] += n_posts - sum(counts)
    paths = []
    for spec, count in zip(specs, counts):
        channel_rng = random.Random(f"{seed}/{spec['name']}")
        offsets = sorted(channel_rng.uniform(0, SPAN_DAYS * 86400) for _ in range(count))
        path = out_dir / f"{spec['name']}.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for message_id, offset in enumerate(offsets, start=1):
                text, _ = _post_text(channel_rng, spec)
                views = int(spec["audience"] * channel_rng.lognormvariate(0.0, 0.6))
                record = {"channel": spec["name"], "message_id": message_id,
                          "date": (START + timedelta(seconds=int(offset))).isoformat(), "text": text,
                          "views": views, "forwards": int(views * channel_rng.uniform(0.0, 0.02)),
                          "reactions": int(views * channel_rng.uniform(0.0, 0.03)) if spec["reactions"] else None}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--posts", type=int, default=1_000_000)
    parser.add_argument("--channels", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--out", required=True)
    args = parser.parse_args()
    paths = generate_archive(args.out, args.posts, channels=args.channels, seed=args.seed)
    size = sum(path.stat().st_size for path in paths)
    print(f"{args.posts:,} posts in {len(paths)} files, {size / 1e6:.1f} MB, in {args.out}")


if __name__ == "__main__":
    main()
