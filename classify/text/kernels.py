"""The compiled loops of ``classify.text._kernels``, fed with the Python definitions.

The extension is optional (built when ``pip install`` finds a C compiler). When it is
missing, :func:`shortcut_codes`, :func:`canonical_texts`, :func:`lid_windows` and
:func:`links_and_hashtags` return None and callers take their Python path, which gives the
same results. The character properties the loops use
(case, whitespace, word characters, the letter classes, the function words) are read here
from the very patterns and tables of :mod:`classify.text.lang` and
:mod:`classify.text.normalize`, once per process, so the two paths cannot drift apart.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

try:
    from classify.text import _kernels
except ImportError:  # built without a C compiler
    _kernels = None

_TABLE_SIZE = 0x20000  # the BMP and plane 1 (emoji); characters beyond are left to Python
LANG_SIMPLE, SPACE, WORD, NON_RUSSIAN, RUSSIAN_ONLY, KEY_SYMBOL, LANG_SYMBOL = 1, 2, 4, 8, 16, 32, 64
EMPTY, OPEN, RU, EN, DEFER = range(5)
_MAX_WORD_CHARS = 10


def available() -> bool:
    """Whether the compiled extension was built."""
    return _kernels is not None


def _positions(pattern: re.Pattern, chars: str) -> list[int]:
    return [index for match in pattern.finditer(chars) for index in range(match.start(), match.end())]


def character_flags() -> bytearray:
    """The property bits of every code point below U+20000, from Python's own definitions."""
    from classify.text import lang, normalize

    chars = "".join(map(chr, range(_TABLE_SIZE)))
    flags = bytearray(_TABLE_SIZE)
    # The shortcut lower-cases ASCII and basic Cyrillic itself; any other character must be its own lower case.
    for code, char in enumerate(chars):
        if code < 0x80 or 0x400 <= code <= 0x45F or char.lower() == char:
            flags[code] = LANG_SIMPLE
    for bit, pattern in ((SPACE, re.compile(r"\s")), (WORD, re.compile(r"\w")),
                         (NON_RUSSIAN, lang._NON_RUSSIAN_CYRILLIC), (RUSSIAN_ONLY, lang._RUSSIAN_ONLY),
                         (KEY_SYMBOL, normalize._SYMBOLS), (LANG_SYMBOL, lang._SYMBOLS)):
        for code in _positions(pattern, chars):
            flags[code] |= bit
    return flags


def packed_words(words, base: str) -> bytes:
    """The words as uint64 keys (6 bits per letter, ``base`` counted as 1), as the C code packs its runs."""
    keys = []
    for word in sorted(words):
        if len(word) > _MAX_WORD_CHARS or not all(0 <= ord(char) - ord(base) < 63 for char in word):
            raise ValueError(f"{word!r} cannot be packed")
        key = 0
        for char in word:
            key = key * 64 + ord(char) - ord(base) + 1
        keys.append(key)
    return np.array(keys, dtype=np.uint64).tobytes()


@lru_cache(maxsize=1)
def _configured():
    from classify.text import lang

    _kernels.configure(bytes(character_flags()), lang._LETTER_CLASSES, packed_words(lang._RUSSIAN_WORDS, "а"),
                       packed_words(lang._ENGLISH_WORDS, "a"), lang.MIN_LETTERS)
    return _kernels


def configure() -> None:
    """Build the tables now (about 50 ms): before forking workers that then share them."""
    if _kernels is not None:
        _configured()


def _buffers(texts: pa.Array) -> tuple[np.ndarray, np.ndarray] | None:
    """(offsets, UTF-8 bytes) of a string array for the compiled loops; None without the extension or
    for arrays with nulls."""
    from classify.text.normalize import utf8_buffers

    if _kernels is None or texts.null_count or not (pa.types.is_string(texts.type)
                                                    or pa.types.is_large_string(texts.type)):
        return None
    return utf8_buffers(texts.cast(pa.large_string()))


def shortcut_codes(texts: pa.Array, max_chars: int) -> np.ndarray | None:
    """Per text EMPTY, OPEN (ask the model), RU, EN or DEFER (ask ``lang._shortcut``): what
    ``lang._shortcut(lang._strip_links(text[:max_chars]))`` says; None without the extension or for
    arrays with nulls."""
    buffers = _buffers(texts)
    if buffers is None:
        return None
    offsets, data = buffers
    return np.frombuffer(_configured().shortcut_codes(offsets, data, max_chars), dtype=np.uint8)


def canonical_texts(texts: pa.Array) -> list[bytes | None] | None:
    """``normalize.normalized_bytes`` of each text (nulls: b""), None for the texts with characters
    the compiled loop leaves to Python; None as a whole without the extension."""
    buffers = _buffers(pc.fill_null(texts, "") if texts.null_count else texts)
    if buffers is None:
        return None
    offsets, data = buffers
    return _configured().canonical_texts(offsets, data)


def links_and_hashtags(texts: pa.Array, rows: list[int]) -> list[tuple[list[str], list[str]] | None] | None:
    """``entities.scan_plain`` of the texts at ``rows`` (no nulls among them), None for a text the
    compiled loop leaves to Python; None as a whole without the extension or for arrays with nulls."""
    buffers = _buffers(texts)
    if buffers is None:
        return None
    offsets, data = buffers
    return _configured().scan_texts(offsets, data, np.asarray(rows, dtype=np.int64))


def lid_windows(texts: pa.Array, rows: list[int], max_chars: int) -> list[str | None] | None:
    """``lang.clean_for_lid(text[:2 * max_chars], max_chars)`` of the texts at ``rows``, None for a text the
    compiled loop leaves to Python; None as a whole without the extension or for arrays with nulls."""
    buffers = _buffers(texts)
    if buffers is None:
        return None
    offsets, data = buffers
    return _configured().lid_windows(offsets, data, np.asarray(rows, dtype=np.int64), max_chars)
