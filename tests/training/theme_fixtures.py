"""Small invented posts (RU and EN) with theme labels, for theme classifier, tagging and evaluation tests."""
from __future__ import annotations

import json
import random

PHRASES = {
    "security": {"ru": ["Минобороны провело учения флота", "ПВО сбила ракету над полигоном",
                        "НАТО перебрасывает войска к границе", "армия получила новые танки"],
                 "en": ["the defence ministry held naval drills", "air defence shot down a missile",
                        "NATO moves troops to the border", "the army received new tanks"]},
    "economy": {"ru": ["инфляция в стране ускорилась", "Центробанк повысил ключевую ставку",
                       "цены на нефть выросли на бирже", "товарооборот с Китаем вырос"],
                "en": ["inflation accelerated in the country", "the central bank raised its key rate",
                       "oil prices rose on the exchange", "trade with China grew"]},
    "arctic": {"ru": ["атомный ледокол прошёл Северным морским путём", "на Шпицбергене открыли станцию",
                      "заседание Арктического совета", "полярники вернулись из Арктики"],
               "en": ["a nuclear icebreaker crossed the Northern Sea Route", "a station opened on Svalbard",
                      "the Arctic Council met", "polar explorers returned from the Arctic"]},
    "culture_science": {"ru": ["учёные открыли новую планету", "в музее открылась выставка",
                               "сборная выиграла чемпионат по хоккею", "вышел новый фильм режиссёра"],
                        "en": ["scientists discovered a new planet", "the museum opened an exhibition",
                               "the team won the hockey championship", "the director released a new film"]},
}
FILLER = {"ru": ["Об этом сообщает корреспондент.", "Подробности позже.", "Сегодня утром."],
          "en": ["A correspondent reports.", "More details later.", "This morning."]}
THEMES = list(PHRASES)


def make_posts(n_posts: int = 80, seed: int = 5) -> list[dict]:
    """Posts of one or two themes each, alternating Russian and English: ``{id, text, lang, themes}``."""
    rng = random.Random(seed)
    posts = []
    for i in range(n_posts):
        lang = ("ru", "en")[i % 2]
        themes = sorted(rng.sample(THEMES, 2 if rng.random() < 0.25 else 1))
        parts = [rng.choice(PHRASES[theme][lang]).capitalize() + "." for theme in themes]
        parts.append(rng.choice(FILLER[lang]))
        rng.shuffle(parts)
        posts.append({"id": f"p{i}", "text": " ".join(parts), "lang": lang, "themes": themes})
    return posts


def write_jsonl(path, records) -> str:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return str(path)


def write_taxonomy(path) -> str:
    """A four-theme taxonomy TOML for the fixture posts."""
    blocks = ['id = "fixture-themes"', 'version = "1.0"', ""]
    seeds = {"security": (["army", "missile"], ["армия", "ракета"]),
             "economy": (["inflation", "oil"], ["инфляция", "нефть"]),
             "arctic": (["arctic", "icebreaker"], ["арктика", "ледокол"]),
             "culture_science": (["museum", "scientists"], ["музей", "учёные"])}
    for theme in THEMES:
        en, ru = seeds[theme]
        blocks += ["[[themes]]", f'id = "{theme}"', f'name = "{theme}"',
                   f'description.en = "Posts about {theme}."', f'description.ru = "Посты о теме {theme}."',
                   f"seed_terms.en = {json.dumps(en)}", f"seed_terms.ru = {json.dumps(ru, ensure_ascii=False)}", ""]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(blocks))
    return str(path)


def write_config(directory, *, n_posts: int = 80, seed: int = 13) -> str:
    """A training config over fixture files in ``directory``; returns the config path."""
    write_jsonl(directory / "train.jsonl", make_posts(n_posts))
    write_taxonomy(directory / "taxonomy.toml")
    config = directory / "themes.toml"
    config.write_text(f"""seed = {seed}
taxonomy = "taxonomy.toml"
[[data]]
path = "train.jsonl"
[model]
n_features = 4096
cv_folds = 3
""", encoding="utf-8")
    return str(config)
