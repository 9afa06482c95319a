"""Telegram text entities: flatten them to plain text and pull out links and hashtags.

Telegram Desktop stores a message text either as a string or as a list mixing
plain strings with entity objects ``{"type": ..., "text": ..., "href"?: ...}``.
The plain text is the concatenation of every part's text, exactly; formatting
(bold, spoiler, custom emoji, ...) only wraps text and adds nothing to it.

>>> flatten_parts(["Talks with ", {"type": "bold", "text": "Ostalia"}, " ",
...                {"type": "hashtag", "text": "#MFA"}, " ",
...                {"type": "text_link", "text": "more", "href": "https://mfa.example/1"}])
('Talks with Ostalia #MFA more', ['https://mfa.example/1'], ['#MFA'])
"""
from __future__ import annotations

import re

#: entity types whose URL goes to ``links``: the href of a text link, the text of a bare link
LINK_FROM_HREF = "text_link"
LINK_FROM_TEXT = "link"
HASHTAG = "hashtag"
_COLLECTED = frozenset({LINK_FROM_HREF, LINK_FROM_TEXT, HASHTAG})

# (?:https?://|tg://|www\.|t\.me/)[^\s<>"'«»]+ matched case-insensitively, spelt out: re.IGNORECASE
# would stop the engine scanning for the first letter and make the scan 5 times slower
# (ſ is the only other character IGNORECASE equates with one of these letters).
_URL = re.compile(r"[hHtTwW](?:(?<=[hH])[tT][tT][pP][sSſ]?://|(?<=[tT])(?:[gG]://|\.[mM][eE]/)|(?<=[wW])[wW][wW]\.)"
                  r"[^\s<>\"'«»]+")
# "#" not preceded by a word character or "#"; the look-behind comes after the "#" so that the
# engine can jump from one "#" to the next (with it in front the scan is 4 times slower).
_HASHTAG = re.compile(r"#(?<![\w#]#)\w+")
_URL_TRAILING = ".,;:!?)]}"


def flatten_parts(parts: list) -> tuple[str, list[str], list[str]]:
    """``(plain text, links, hashtags)`` of a list of strings and entity objects.

    Raises ``TypeError`` when a part is neither a string nor an object with a
    string ``text`` (the reader turns that into a positioned ``InputError``).
    """
    if type(parts) is not list:
        raise TypeError(f"text must be a string or a list, not {type(parts).__name__}")
    chunks = []
    links: list[str] = []
    hashtags: list[str] = []
    try:
        for part in parts:
            if type(part) is str:
                chunks.append(part)
                continue
            text = part["text"]
            chunks.append(text)
            kind = part.get("type")
            if kind in _COLLECTED:
                if kind == LINK_FROM_HREF:
                    links.append(part.get("href") or text)
                elif kind == LINK_FROM_TEXT:
                    links.append(text)
                else:
                    hashtags.append(text)
        return "".join(chunks), links, hashtags
    except (TypeError, KeyError, AttributeError):
        bad = next(p for p in parts if type(p) is not str and (type(p) is not dict or type(p.get("text")) is not str))
        raise TypeError("text part must be a string or an entity object with a string 'text', "
                        f"got {bad!r:.80}") from None


def scan_plain(text: str) -> tuple[list[str], list[str]]:
    """Links and hashtags written in plain text that carries no entity information."""
    links = []
    if "://" in text or "www." in text or "t.me/" in text:
        links = [link.rstrip(_URL_TRAILING) for link in _URL.findall(text)]
    hashtags = _HASHTAG.findall(text) if "#" in text else []
    return links, hashtags


def reaction_key(kind: str | None, emoji: str | None = None, document_id=None) -> str:
    """Key of one reaction in ``reactions_by_emoji``: the emoji itself,
    ``custom:<document_id>`` for a custom emoji, ``paid`` for paid (star) reactions."""
    if kind == "custom_emoji":
        return f"custom:{document_id}" if document_id else "custom"
    if kind == "paid":
        return "paid"
    return emoji or (kind or "unknown")
