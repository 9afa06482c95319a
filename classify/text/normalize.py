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
from operator import itemgetter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from classify.text import kernels

_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]*)\)")
# The link's label (group 1) as the replacement: a C callable, faster than expanding the template r"\1".
_LABEL = itemgetter(1)
# Latin-1 punctuation, modifier letters and combining marks, general punctuation,
# arrows, technical symbols, dingbats, CJK punctuation, variation selectors, emoji.
_SYMBOLS = re.compile(
    "[\u0080-\u00bf\u02b0-\u036f\u2000-\u2bff\u3000-\u303f\ufe00-\ufe0f\ufeff\U0001f000-\U0001faff\U000e0000-\U000e007f]+"
)
# Every ASCII byte that is not a letter or digit: whitespace, punctuation, markdown markers.
_ASCII_NON_ALNUM = bytes(c for c in range(128) if not chr(c).isalnum())
_YO, _YE = "ё".encode(), "е".encode()

# The same steps in RE2 (pyarrow.compute) for whole chunks: RE2's \s is ASCII-only, so Python's
# whitespace is spelt out (no character above U+3000 is whitespace).
_RE2_SPACE = "".join(f"\\x{{{c:x}}}" for c in range(0x3001) if chr(c).isspace())
_RE2_MARKDOWN_LINK = rf"\[([^\]\n]*)\]\(([^){_RE2_SPACE}]*)\)"

_LINK = re.compile(r"(?:https?://|www\.|t\.me/)[^\s<>\"'\])]+")


def normalized_bytes(text: str | None) -> bytes:
    """The canonical form of ``text`` used to compare posts (UTF-8; b"" when nothing is left)."""
    if not text:
        return b""
    if "](" in text:
        text = _MARKDOWN_LINK.sub(_LABEL, text)
    folded = _SYMBOLS.sub("", text).lower().encode("utf-8", "surrogatepass")
    return folded.translate(None, _ASCII_NON_ALNUM).replace(_YO, _YE)


def hash_key(canonical: bytes) -> int:
    """64-bit hash of a normalised text (odd), 0 for the empty text."""
    if not canonical:
        return 0
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "little") | 1


def utf8_buffers(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets from 0, UTF-8 bytes) of a large_string array without nulls, as read-only numpy views."""
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset:texts.offset + len(texts) + 1]
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[-1]]
    return offsets - offsets[0], data


def _canonical_keys(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """:func:`hash_key` of each lower-cased, symbol-free slice ``data[offsets[i]:offsets[i + 1]]``
    once its ASCII punctuation and spaces are dropped and ``ё`` read as ``е`` (as in
    :func:`normalized_bytes`): two C-speed bytes calls per text cost less than byte-wide numpy masks."""
    buffer = data.tobytes()
    bounds = offsets.tolist()
    return _hash_keys([buffer[start:end].translate(None, _ASCII_NON_ALNUM).replace(_YO, _YE)
                       for start, end in zip(bounds, bounds[1:])])


def _hash_keys(canonical: list[bytes]) -> np.ndarray:
    """:func:`hash_key` of each normalised text."""
    blake2b = hashlib.blake2b
    digests = b"".join([blake2b(text, digest_size=8).digest() for text in canonical])
    keys = np.frombuffer(digests, dtype="<u8").astype(np.uint64) | np.uint64(1)
    keys[np.fromiter(map(len, canonical), dtype=np.int64, count=len(canonical)) == 0] = 0
    return keys


# Slices of ~1,000 texts keep the byte-wide numpy temporaries of text_keys at a few MB.
_SLICE = 1024


def text_keys(texts: pa.Array) -> np.ndarray:
    """:func:`text_key` of every text of a string array (nulls: 0), a slice of texts at a time.

    Same steps as :func:`normalized_bytes`, in the compiled loop of :mod:`classify.text.kernels`
    when it was built, else in pyarrow and numpy; texts with letters beyond ASCII and basic
    Cyrillic or rarer symbols go through :func:`text_key` one by one.
    """
    canonical = kernels.canonical_texts(texts)
    if canonical is not None:
        left_to_python = [index for index, value in enumerate(canonical) if value is None]
        for index in left_to_python:
            canonical[index] = normalized_bytes(texts[index].as_py())
        return _hash_keys(canonical)
    return np.concatenate([np.empty(0, dtype=np.uint64)] + [
        _slice_keys(texts.slice(start, _SLICE)) for start in range(0, len(texts), _SLICE)])


def _without_symbols(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """``texts`` without the usual symbols (Latin-1 punctuation U+0080-U+00BF, U+2000-U+2BFF,
    variation selectors, U+FEFF, emoji U+1F000-U+1FAFF), and the indexes of the texts that need
    the slow path: letters beyond ASCII and basic Cyrillic (U+0400-U+045F) or rarer symbols.

    Looked for before lower-casing: Arrow lower-cases some letters otherwise than Python
    (İ becomes "i", not "i" + combining dot), which would hide them.
    """
    offsets, data = utf8_buffers(texts)
    # Lead bytes of characters beyond ASCII and basic Cyrillic (lead bytes D0 and D1), usually few.
    leads = np.flatnonzero((data >= 0xC2) & ((data & 0xFE) != 0xD0))
    padded = np.concatenate([data, np.zeros(2, dtype=np.uint8)])
    lead, second, third = data[leads], padded[leads + 1], padded[leads + 2]
    length = ((lead == 0xC2) * 2
              + (((lead == 0xE2) & (second <= 0xAF))
                 | ((lead == 0xEF) & (((second == 0xB8) & (third <= 0x8F)) | ((second == 0xBB) & (third == 0xBF))))) * 3
              + ((lead == 0xF0) & (second == 0x9F) & (third <= 0xAB)) * 4)
    is_symbol = length > 0
    symbols, length = leads[is_symbol], length[is_symbol]
    other_bytes = np.concatenate([leads[~is_symbol],
                                  np.flatnonzero((data[:-1] == 0xD1) & (data[1:] >= 0xA0))])  # U+0460-U+047F
    others = np.unique(np.searchsorted(offsets, other_bytes, side="right") - 1)
    if not len(symbols):
        return texts, others
    # Every byte of every symbol: its start repeated over its length, plus 0, 1, ... within it.
    ends = np.cumsum(length)
    removed = np.repeat(symbols, length) + (np.arange(ends[-1]) - np.repeat(ends - length, length))
    keep = np.ones(len(data), dtype=bool)
    keep[removed] = False
    offsets = offsets - np.searchsorted(removed, offsets)
    return pa.LargeStringArray.from_buffers(len(texts), pa.py_buffer(offsets), pa.py_buffer(data[keep])), others


def _slice_keys(texts: pa.Array) -> np.ndarray:
    source = texts
    texts = pc.fill_null(texts.cast(pa.large_string()), "")
    texts = pc.replace_substring_regex(texts, _RE2_MARKDOWN_LINK, r"\1")
    folded, others = _without_symbols(texts)
    offsets, data = utf8_buffers(pc.utf8_lower(folded))
    keys = _canonical_keys(data, offsets)
    for index in others.tolist():
        keys[index] = text_key(source[index].as_py())
    return keys


def text_key(text: str | None) -> int:
    """64-bit hash of the normalised text; 0 when the text is empty after normalisation."""
    return hash_key(normalized_bytes(text))


def remove_links(text: str) -> str:
    """``text`` with markdown links reduced to their labels and bare URLs replaced by a space."""
    if "](" in text:
        text = _MARKDOWN_LINK.sub(_LABEL, text)
    if "://" in text or "www." in text or "t.me/" in text:
        text = _LINK.sub(" ", text)
    return text
