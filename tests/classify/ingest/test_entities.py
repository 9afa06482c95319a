import re

from classify.ingest.entities import scan_plain

# The link pattern as first written, with re.IGNORECASE: the spelt-out pattern must find the same links.
_REFERENCE_URL = re.compile(r"(?:https?://|tg://|www\.|t\.me/)[^\s<>\"'«»]+", re.IGNORECASE)


def _reference_links(text: str) -> list[str]:
    if "://" in text or "www." in text or "t.me/" in text:
        return [match.group().rstrip(".,;:!?)]}") for match in _REFERENCE_URL.finditer(text)]
    return []


def test_links_match_case_insensitively_like_the_reference():
    texts = [
        "Brief: HTTPS://Mfa.example/News, Www.embassy.example T.ME/ostalia_mfa tg://resolve?domain=x",
        "odd spellings: HTTPſ://a.example hTtP://b.example hhttp://c.example thttp://d.example",
        "not links: http:/broken ww.short wwww.four.example T.me/ Tg:/ WWW.",
        "«https://quoted.example/a»; <http://angle.example> 'http://single.example' (t.me/paren).",
        "Министр: подробнее на www.mid.example/ru/press и в канале t.me/mid_press!",
        "no link here, only #hashtags and #теги",
    ]
    for text in texts:
        assert scan_plain(text)[0] == _reference_links(text), text


def test_hashtags_and_links_together():
    links, hashtags = scan_plain("Визит #МИД в Остлию: https://mfa.example/visit. #diplomacy#not")
    assert links == ["https://mfa.example/visit"]
    assert hashtags == ["#МИД", "#diplomacy"]


def test_hashtags_match_the_reference_pattern():
    reference = re.compile(r"(?<![\w#])#\w+")
    texts = ["#a#b", "x#a", "#a", "a #b_c #", "##x", "# x", "(#тег) #tag2", "#1 #", "é#x", "_#y", "url/#anchor #МИД"]
    for text in texts:
        assert scan_plain(text)[1] == reference.findall(text), text
