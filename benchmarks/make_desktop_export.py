"""Write a large, realistic Telegram Desktop JSON export (``result.json``) for benchmarks.

The posts are invented bilingual (RU/EN) posts of a fictional foreign ministry
channel, laid out the way Telegram Desktop writes them (``text`` as a string or a
list of entity objects, the same parts again in ``text_entities``, string
``date_unixtime``, reactions, forwards, replies, edits, media and service
messages). The file is written message by message, so memory stays flat whatever
the size, and the same seed always gives the same bytes.

    python benchmarks/make_desktop_export.py --size-mb 1000 -o /tmp/big/result.json
    python benchmarks/make_desktop_export.py --size-mb 50 --account -o /tmp/acc/result.json
    python benchmarks/make_desktop_export.py --size-mb 200 --short -o /tmp/short/result.json

``--account`` writes a full-account export (``chats.list[]`` and ``left_chats.list[]``)
with the channel plus a few non-channel chats; the summary line printed at the end
says how many channel posts a reader should find.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import datetime, timezone
from pathlib import Path

CHANNEL_NAME = "МИД Велории / MFA of Veloria"
CHANNEL_ID = 1870001234
START_UNIXTIME = 1_672_531_200  # 2023-01-01T00:00:00Z

RU_OPENERS = [
    "Министр иностранных дел Республики Велория провёл переговоры с коллегой из {country_gen}.",
    "Состоялся телефонный разговор заместителя министра с послом {country_gen}.",
    "Комментарий официального представителя МИД в связи с заявлениями властей {country_gen}.",
    "В Нордхавене открылась международная конференция по вопросам {topic_ru}.",
    "Посольство Велории в {country_prep} напоминает гражданам о правилах въезда.",
    "Делегация Велории приняла участие в заседании Совета по {topic_ru}.",
]
RU_BODIES = [
    "Стороны обсудили вопросы {topic_ru} и договорились продолжить диалог.",
    "Было подчёркнуто, что {claim_ru}.",
    "Официальный представитель заявил, что {claim_ru}, и призвал партнёров к сдержанности.",
    "Подписан меморандум о сотрудничестве в области {topic_ru} на {years} лет.",
    "Отмечен рост товарооборота на {pct}% по итогам года.",
]
EN_OPENERS = [
    "Foreign Minister of Veloria held talks with his counterpart from {country}.",
    "Deputy Foreign Minister had a phone call with the Ambassador of {country}.",
    "Comment by the MFA Spokesperson on recent statements by {country}.",
    "An international conference on {topic_en} opened in Nordhaven today.",
    "The Embassy of Veloria in {country} reminds citizens of the entry rules.",
    "The Velorian delegation took part in a meeting of the Council on {topic_en}.",
]
EN_BODIES = [
    "The sides discussed {topic_en} and agreed to continue the dialogue.",
    "It was stressed that {claim_en}.",
    "The Spokesperson said that {claim_en} and urged partners to show restraint.",
    "A memorandum on cooperation in {topic_en} was signed for {years} years.",
    "Trade turnover grew by {pct}% over the year.",
]
COUNTRIES = [  # (genitive, prepositional, English)
    ("Осталии", "Осталии", "Ostalia"),
    ("Мерении", "Мерении", "Merenia"),
    ("Карбада", "Карбаде", "Karbad"),
    ("Лувании", "Лувании", "Luvania"),
    ("Тессы", "Тессе", "Tessa"),
]
TOPICS = [
    ("энергетической безопасности", "energy security"),
    ("продовольственной безопасности", "food security"),
    ("миграции", "migration"),
    ("кибербезопасности", "cybersecurity"),
    ("морского судоходства", "maritime shipping"),
    ("климата", "climate"),
]
CLAIMS = [
    ("санкции против Велории неэффективны", "the sanctions against Veloria are ineffective"),
    ("Велория не поставляет оружие третьим странам", "Veloria does not supply weapons to third countries"),
    ("учения у границы носят оборонительный характер", "the exercises near the border are defensive"),
    ("доклад наблюдателей основан на непроверенных данных", "the observers' report relies on unverified data"),
]
HASHTAGS = ["#Велория", "#Veloria", "#МИД", "#MFA", "#дипломатия", "#diplomacy", "#Нордхавен"]
LINKS = ["https://mfa.veloria.example/news/{n}", "https://veloria.example/press/{n}", "mfa.veloria.example/ru/{n}"]
EMOJI = ["👍", "❤", "🔥", "👏", "🤔", "😡", "🙏", "👎", "😁", "🕊"]
FORWARD_SOURCES = ["Посольство Велории в Осталии", "Veloria Today", "Пресс-служба Президента Велории", None]
PLAIN_FILES = "(File not included. Change data exporting settings to download.)"
OTHER_CHATS = [
    ("Нордхавен Новости", "public_supergroup"),
    ("Alex Petrov", "personal_chat"),
    ("Рабочая группа", "private_group"),
]


def _fill(template: str, rng: random.Random) -> str:
    country = rng.choice(COUNTRIES)
    topic = rng.choice(TOPICS)
    claim = rng.choice(CLAIMS)
    return template.format(
        country=country[2], country_gen=country[0], country_prep=country[1], topic_ru=topic[0], topic_en=topic[1],
        claim_ru=claim[0], claim_en=claim[1], years=rng.randint(2, 10), pct=rng.randint(2, 40),
    )


MONTHS_RU = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
             "октября", "ноября", "декабря"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December"]


def _sentences(rng: random.Random, lang: str, long: bool) -> list[str]:
    openers, bodies = (RU_OPENERS, RU_BODIES) if lang == "ru" else (EN_OPENERS, EN_BODIES)
    opener = _fill(rng.choice(openers), rng)
    if rng.random() < 0.7:  # news posts open with the day they report on
        day, month = rng.randint(1, 28), rng.randrange(12)
        opener = (f"{day} {MONTHS_RU[month]} — " if lang == "ru" else f"{MONTHS_EN[month]} {day} — ") + opener
    parts = [opener]
    for _ in range(rng.randint(2, 6) if long else rng.randint(0, 1)):
        parts.append(_fill(rng.choice(bodies), rng))
    return parts


def _text_parts(rng: random.Random, n: int, short: bool) -> list:
    """Text as Telegram Desktop stores it: plain strings mixed with entity objects."""
    lang = rng.choice(("ru", "en", "ru", "both"))
    long = not short and rng.random() < 0.25
    sentences = _sentences(rng, "ru" if lang == "both" else lang, long)
    if short:
        sentences = sentences[:1]
    elif lang == "both":
        sentences += ["\n\n"] + _sentences(rng, "en", long)
    parts: list = []
    if rng.random() < 0.5:
        parts.append({"type": "bold", "text": "⚡️ " + sentences.pop(0)})
        if sentences:
            parts.append("\n\n")
    body = " ".join(sentences).replace(" \n\n ", "\n\n").removeprefix("\n\n ")
    if body:
        parts.append(body)
    roll = rng.random()
    if roll < 0.3:
        parts += ["\n\n", {"type": "text_link", "text": "Подробнее / Read more",
                           "href": rng.choice(LINKS).format(n=n)}]
    elif roll < 0.45:
        parts += ["\n🔗 ", {"type": "link", "text": rng.choice(LINKS).format(n=n)}]
    if rng.random() < 0.4:
        for tag in rng.sample(HASHTAGS, rng.randint(1, 3)):
            parts += [" ", {"type": "hashtag", "text": tag}]
    if rng.random() < 0.1:
        parts += ["\n", {"type": "italic", "text": "Заявление будет опубликовано полностью."},
                  " ", {"type": "mention", "text": "@mfa_veloria"}]
    if rng.random() < 0.05:
        parts += [" ", {"type": "custom_emoji", "text": "🇻🇪", "document_id": "5400000000000000001"},
                  " ", {"type": "spoiler", "text": "скоро"}]
    return parts


def _serialize_text(parts: list):
    if len(parts) == 1 and isinstance(parts[0], str):
        return parts[0]
    return parts


def _text_entities(parts: list) -> list:
    return [{"type": "plain", "text": p} if isinstance(p, str) else p for p in parts]


def _reactions(rng: random.Random) -> list:
    out = []
    for emoji in rng.sample(EMOJI, rng.randint(1, 5)):
        out.append({"type": "emoji", "count": rng.randint(1, 900), "emoji": emoji})
    if rng.random() < 0.1:
        out.append({"type": "custom_emoji", "count": rng.randint(1, 50), "document_id": "5368324170671202286"})
    if rng.random() < 0.05:
        out.append({"type": "paid", "count": rng.randint(1, 20)})
    return out


def _iso_local(unixtime: int) -> str:
    # the exporter writes its own local wall time; the generator pretends it ran in UTC+3
    return datetime.fromtimestamp(unixtime + 3 * 3600, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def make_message(rng: random.Random, msg_id: int, unixtime: int, *, channel: str, channel_id: int,
                 short: bool = False) -> dict:
    """One message dict in Telegram Desktop's field order."""
    if rng.random() < 0.02:
        return {"id": msg_id, "type": "service", "date": _iso_local(unixtime), "date_unixtime": str(unixtime),
                "actor": channel, "actor_id": f"channel{channel_id}", "action": "pin_message",
                "message_id": max(1, msg_id - rng.randint(1, 50)), "text": "", "text_entities": []}
    msg = {"id": msg_id, "type": "message", "date": _iso_local(unixtime), "date_unixtime": str(unixtime)}
    if rng.random() < 0.15:
        edited = unixtime + rng.randint(60, 7200)
        msg["edited"] = _iso_local(edited)
        msg["edited_unixtime"] = str(edited)
    msg["from"] = channel
    msg["from_id"] = f"channel{channel_id}"
    if rng.random() < 0.1:
        msg["forwarded_from"] = rng.choice(FORWARD_SOURCES)
    if rng.random() < 0.05 and msg_id > 1:
        msg["reply_to_message_id"] = msg_id - rng.randint(1, min(msg_id - 1, 30))
    roll = rng.random()
    media_only = False
    if roll < 0.15:
        msg["photo"] = f"photos/photo_{msg_id}@{_iso_local(unixtime)[:10]}.jpg"
        msg["width"], msg["height"] = 1280, 853
        media_only = rng.random() < 0.3
    elif roll < 0.2:
        msg["file"] = PLAIN_FILES
        msg["thumbnail"] = PLAIN_FILES
        msg["media_type"] = "video_file"
        msg["mime_type"] = "video/mp4"
        msg["duration_seconds"] = rng.randint(10, 600)
        msg["width"], msg["height"] = 1920, 1080
        media_only = rng.random() < 0.3
    elif roll < 0.21:
        msg["file"] = f"files/statement_{msg_id}.pdf"
        msg["mime_type"] = "application/pdf"
    elif roll < 0.215:
        msg["poll"] = {"question": "Какие темы осветить на брифинге? / Topics for the briefing?",
                       "closed": False, "total_voters": rng.randint(10, 5000),
                       "answers": [{"text": t, "voters": rng.randint(0, 900), "chosen": False}
                                   for t in ("Энергетика / Energy", "Миграция / Migration")]}
        media_only = True
    elif roll < 0.22:
        msg["file"] = PLAIN_FILES
        msg["media_type"] = "sticker"
        msg["sticker_emoji"] = "🕊"
        media_only = True
    parts = [] if media_only else _text_parts(rng, msg_id, short)
    msg["text"] = _serialize_text(parts) if parts else ""
    msg["text_entities"] = _text_entities(parts)
    if rng.random() < 0.6:
        msg["reactions"] = _reactions(rng)
    return msg


def _dumps_indented(obj: dict, indent: str) -> str:
    text = json.dumps(obj, ensure_ascii=False, indent=1)
    return text.replace("\n", "\n" + indent)


class _Writer:
    def __init__(self, handle):
        self.handle = handle
        self.size = 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.handle.write(data)
        self.size += len(data)


def _write_chat(out: _Writer, rng: random.Random, *, name: str, chat_type: str, chat_id: int,
                indent: str, budget: int, first_unixtime: int, short: bool) -> tuple[int, int]:
    """Write one chat object; returns (messages written, posts that are not service messages)."""
    inner = indent + " "
    out.write(f"{{\n{inner}\"name\": {json.dumps(name, ensure_ascii=False)},\n{inner}\"type\": \"{chat_type}\",\n"
              f"{inner}\"id\": {chat_id},\n{inner}\"messages\": [")
    start = out.size
    unixtime = first_unixtime
    count = posts = 0
    while out.size - start < budget:
        count += 1
        unixtime += rng.randint(60, 5400)
        msg = make_message(rng, count, unixtime, channel=name, channel_id=chat_id, short=short)
        posts += msg["type"] != "service"
        out.write(("," if count > 1 else "") + "\n" + inner + " " + _dumps_indented(msg, inner + " "))
    out.write(f"\n{inner}]\n{indent}}}")
    return count, posts


def make_export(path, *, size_mb: float, seed: int = 0, account: bool = False, short: bool = False) -> dict:
    """Write the export to ``path`` (atomically) and return counts: messages, channel posts, bytes.

    ``short`` keeps every text to one sentence (plus links and hashtags), like news-flash channels.
    """
    from classify.io import atomic_output

    rng = random.Random(seed)
    budget = int(size_mb * 1024 * 1024)
    with atomic_output(path, "wb") as handle:
        out = _Writer(handle)
        if not account:
            messages, posts = _write_chat(out, rng, name=CHANNEL_NAME, chat_type="public_channel",
                                          chat_id=CHANNEL_ID, indent="", budget=budget,
                                          first_unixtime=START_UNIXTIME, short=short)
            out.write("\n")
            return {"messages": messages, "channel_posts": posts, "chats": 1, "bytes": out.size}
        out.write('{\n "about": "Here is the data you requested. (benchmark fixture, invented content)",\n'
                  ' "personal_information": {\n  "user_id": 42,\n  "first_name": "Analyst",\n'
                  '  "last_name": "",\n  "phone_number": "+0 000 000 0000",\n  "bio": ""\n },\n'
                  ' "chats": {\n  "about": "This page lists all chats from this export.",\n  "list": [\n   ')
        messages = posts = 0
        small = max(budget // 50, 1)
        chats = [(CHANNEL_NAME, "public_channel", CHANNEL_ID, budget - small * len(OTHER_CHATS))]
        chats += [(name, kind, 5_000_000 + i, small) for i, (name, kind) in enumerate(OTHER_CHATS)]
        for index, (name, kind, chat_id, chat_budget) in enumerate(chats):
            if index:
                out.write(",\n   ")
            written, chat_posts = _write_chat(out, rng, name=name, chat_type=kind, chat_id=chat_id,
                                              indent="   ", budget=chat_budget, first_unixtime=START_UNIXTIME,
                                              short=short)
            messages += written
            posts += chat_posts if kind.endswith("_channel") else 0
        out.write('\n  ]\n },\n "left_chats": {\n  "about": "Channels you left.",\n  "list": [\n   ')
        written, chat_posts = _write_chat(out, rng, name="Velorian Archive", chat_type="private_channel",
                                          chat_id=5_100_000, indent="   ", budget=small,
                                          first_unixtime=START_UNIXTIME, short=short)
        out.write("\n  ]\n }\n}\n")
        return {"messages": messages + written, "channel_posts": posts + chat_posts,
                "chats": len(chats) + 1, "bytes": out.size}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, required=True, help="approximate size of the messages in MiB")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--account", action="store_true", help="full-account export with several chats")
    parser.add_argument("--short", action="store_true", help="one-sentence posts (news-flash style)")
    args = parser.parse_args(argv)
    if args.size_mb <= 0:
        parser.error("--size-mb must be positive")
    counts = make_export(args.output, size_mb=args.size_mb, seed=args.seed, account=args.account,
                         short=args.short)
    print(f"{args.output}: {counts['bytes'] / 2**20:.1f} MiB, {counts['chats']} chats, "
          f"{counts['messages']} messages, {counts['channel_posts']} channel posts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
