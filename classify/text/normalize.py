"""Normalised text for duplicate detection.

Two posts are duplicates when their texts are equal after: Telegram markdown
removed (``[label](url)`` keeps only the label, ``**``/``__``/... dropped),
case folded, ``ё`` read as ``е``, and whitespace, punctuation, emoji and other
symbols removed. The normalised form is kept as UTF-8 bytes and usually only
its 64-bit hash (:func:`text_key`) is stored, so remembering millions of posts
stays cheap.

>>> normalized_bytes("**Ещё** раз: [подробнее](https://example.org) 👉") == normalized_bytes("еще раз подробнее")
True
"""
from __future__ import annotations

import hashlib
import re

_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]*)\)")
# Latin-1 punctuation, modifier letters and combining marks, general punctuation,
# arrows, technical symbols, dingbats, CJK punctuation, variation selectors, emoji.
_SYMBOLS = re.compile(
    "[\u0080-\u00bf\u02b0-\u036f\u2000-\u2bff\u3000-\u303f\ufe00-\ufe0f\ufeff\U0001f000-\U0001faff\U000e0000-\U000e007f]+"
)
# Every ASCII byte that is not a letter or digit: whitespace, punctuation, markdown markers.
_ASCII_NON_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())
_YO, _YE = "ё".encode(), "е".encode()

_LINK = re.compile(r"(?:https?://|www\.|t\.me/)[^\s<>\"'\])]+")


def normalized_bytes(text: str | None) -> bytes:
    """The canonical form of ``text`` used to compare posts (UTF-8; b"" when nothing is left)."""
    if not text:
        return b""
    if "](" in text:
        text = _MARKDOWN_LINK.sub(r"\1", text)
    folded = _SYMBOLS.sub("", text).lower().encode("utf-8", "surrogatepass")
    return folded.translate(None, _ASCII_NON_ALNUM).replace(_YO, _YE)


def hash_key(canonical: bytes) -> int:
    """64-bit hash of a normalised text (odd), 0 for the empty text."""
    if not canonical:
        return 0
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "little") | 1


def text_key(text: str | None) -> int:
    """64-bit hash of the normalised text; 0 when the text is empty after normalisation."""
    return hash_key(normalized_bytes(text))


def remove_links(text: str) -> str:
    """``text`` with markdown links reduced to their labels and bare URLs replaced by a space."""
    if "](" in text:
        text = _MARKDOWN_LINK.sub(r"\1", text)
    if "://" in text or "www." in text or "t.me/" in text:
        text = _LINK.sub(" ", text)
    return text
