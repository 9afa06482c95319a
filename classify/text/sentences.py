"""Sentence segmentation with character offsets into the original post text.

Posts keep Telegram markdown (``**bold**``, ``__italic__``, ``[text](url)``),
emoji bullets and line breaks used as sentence ends. The segmenters are
well-kept libraries: ``razdel`` for Russian (initials such as "М.В.Захарова",
"г.", "т.е."), ``sentencex`` for English and other languages ("Mr.", "U.S.",
"May 27, 2025"). Markdown and URLs are first *masked* with spaces in a copy of
the text of the same length, so every offset found in the copy is an offset
into the original; each line is segmented on its own, because Telegram posts
end sentences (headlines, bullet items) with a line break and no period.

>>> [s.text for s in split_sentences("**Захарова:** Встреча прошла 27 мая. 🔹Итоги\\nMr. Smith left.", "ru")]
['**Захарова:** Встреча прошла 27 мая.', 'Итоги', 'Mr. Smith left.']
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

__all__ = ["Sentence", "split_sentences", "mask_markup"]

# [text](url): keep "text", mask the brackets and the target.
_LINK = re.compile(r"\[([^\[\]]{0,1000})\]\(([^()\s]{1,2000})\)")
_TLDS = r"\.(?:ru|com|org|net|info|io|me|ly|ua|by|su|рф|gov|edu|uk|de|fr)/"
# One pattern, so a short-link domain inside a longer host ("news.vk.com/...") is masked whole.
_URL = re.compile(r"(?:https?://|www\.)\S+|\b(?:t\.me|bit\.ly|vk\.com|youtu\.be)/\S*|\b[\w-]+(?:\.[\w-]+)*"
                  + _TLDS + r"\S*", re.IGNORECASE)
# Every match of _URL contains one of these (in the lower-cased text) or a ".tld/": trying the pattern
# at every word of every post is the costliest step of masking, so most texts skip it.
_URL_MARKS = ("://", "www.", "t.me/", "bit.ly/", "vk.com/", "youtu.be/")
_HAS_DOMAIN_PATH = re.compile(_TLDS, re.IGNORECASE)
# Markdown emphasis markers (**bold**, __italic__, ~~strike~~, ||spoiler||, `code`): fixed strings that
# share no character, so plain replacements (much faster than a regex with a callback) mask them.
_EMPHASIS = ("**", "__", "~~", "||", "`")
_BULLET_CHARS = set("•·▪▫►▶◆◇■□●○‣⁃∙◦-–—*>|#+")


@dataclass(frozen=True)
class Sentence:
    """One sentence: ``text == post[start:end]``; ``clean`` is the text without markup, for features."""

    start: int
    end: int
    text: str
    clean: str


def _spaces(match: re.Match) -> str:
    return " " * (match.end() - match.start())


def _unlinked(match: re.Match) -> str:
    # keep the link text (it may span lines); blank the brackets and the target
    return " " + match.group(1) + " " * (match.end() - match.end(1))


def mask_markup(text: str) -> str:
    """The text with markdown markers and URLs replaced by spaces (same length, same offsets)."""
    if "](" in text:
        text = _LINK.sub(_unlinked, text)
    if "/" in text or "www." in text:
        lowered = text.lower()
        if any(mark in lowered for mark in _URL_MARKS) or _HAS_DOMAIN_PATH.search(text):
            text = _URL.sub(_spaces, text)
    for marker in _EMPHASIS:
        if marker in text:
            text = text.replace(marker, " " * len(marker))
    return text


def _is_decoration(char: str) -> bool:
    """Whitespace, emoji and bullets that open or close a line but are not part of a sentence."""
    if char.isalnum():
        return False
    if char.isspace() or char in _BULLET_CHARS:
        return True
    category = unicodedata.category(char)
    # So: emoji and pictographs; Sk: skin-tone modifiers; Cf: zero-width joiners; Mn: variation selectors.
    return category in ("So", "Sk", "Cf", "Mn", "Co", "Cs")


def _razdel_spans(line: str) -> list[tuple[int, int]]:
    sentenize, delimiters, first_token = _razdel()
    end = len(line.rstrip())
    if not any(_razdel_may_split(line, m.end(), first_token) for m in delimiters.finditer(line, 0, end)):
        return [(len(line) - len(line.lstrip()), end)] if end else []
    return [(s.start, s.stop) for s in sentenize(line)]


def _razdel_may_split(line: str, stop: int, first_token: re.Pattern) -> bool:
    """Whether razdel could split after a delimiter ending at ``stop``.

    Its first rules join when no whitespace follows (no_space_prefix), when no token follows within
    its 10-character window (empty_side) and when the next token is a lower-case word (lower_right);
    a line where every delimiter is joined so is one sentence, found here without razdel's rule
    machinery (most lines of a post are).
    """
    if stop >= len(line) or not line[stop].isspace():
        return False
    token = first_token.match(line[stop:stop + 10])
    return token is not None and not (token.group(1).isalpha() and token.group(1).islower())


@functools.lru_cache(maxsize=1)
def _razdel() -> tuple[Callable, re.Pattern, re.Pattern]:
    """razdel's sentence segmenter and its own delimiter and first-token patterns (imported once)."""
    from razdel import sentenize
    from razdel.segmenters.sentenize import DELIMITER, FIRST_TOKEN

    return sentenize, re.compile(DELIMITER), FIRST_TOKEN


def _sentencex_spans(lang: str) -> Callable[[str], list[tuple[int, int]]]:
    def spans(line: str) -> list[tuple[int, int]]:
        from sentencex import get_sentence_boundaries

        return [(b["start_index"], b["end_index"]) for b in get_sentence_boundaries(lang, line)]

    return spans


def _segmenter(lang: str | None) -> Callable[[str], list[tuple[int, int]]]:
    if lang == "ru" or lang is None:
        return _razdel_spans
    return _sentencex_spans(lang if lang not in ("other", "und", "") else "en")


_HAS_WORD = re.compile(r"\w")
_SPACE_RUN = re.compile(r" {2,}")


def _compacted(line: str) -> tuple[str, tuple[list[int], list[int]] | None]:
    """``line`` with each run of spaces as one space, and where it moved characters: for each run,
    the index in the result of the character after it and the count of spaces removed up to there
    (None when nothing was collapsed). Masked markup leaves such runs, and a segmenter reads them
    as text: razdel looks for the next word within 10 characters of a period, so
    "[site](url). __Next__ sentence" masked would stay one sentence."""
    if "  " not in line:
        return line, None
    bounds, removed_before, removed = [], [], 0
    for run in _SPACE_RUN.finditer(line):
        removed += run.end() - run.start() - 1
        bounds.append(run.end() - removed)
        removed_before.append(removed)
    return _SPACE_RUN.sub(" ", line), (bounds, removed_before)


def _line_spans(segment: Callable[[str], list[tuple[int, int]]], line: str) -> list[tuple[int, int]]:
    """``segment(line)`` read on the line with its space runs collapsed, as offsets into ``line``."""
    compact, moves = _compacted(line)
    spans = segment(compact)
    if moves is None:
        return spans
    bounds, removed_before = moves

    def original(index: int) -> int:
        run = bisect.bisect_right(bounds, index)
        return index + (removed_before[run - 1] if run else 0)

    return [(original(start), original(end - 1) + 1) for start, end in spans if end > start]


def _trimmed(masked: str, start: int, end: int) -> tuple[int, int]:
    while start < end and _is_decoration(masked[start]):
        start += 1
    while end > start and (masked[end - 1].isspace() or (_is_decoration(masked[end - 1])
                                                         and masked[end - 1] not in "-–—*>|#+")):
        end -= 1
    return start, end


def _balanced(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence widened by an emphasis marker right before or after it when the sentence holds
    its other half: "**Захарова:** Встреча ..." rather than "Захарова:** Встреча ..."."""
    sentence = text[start:end]
    for marker in _EMPHASIS:
        if sentence.count(marker) % 2:
            if start >= len(marker) and text.startswith(marker, start - len(marker)):
                start -= len(marker)
            elif text.startswith(marker, end):
                end += len(marker)
    return start, end


def split_sentences(text: str, lang: str | None = None) -> list[Sentence]:
    """Sentences of ``text`` in order, each with offsets into ``text``.

    ``lang`` picks the segmenter: ``"ru"`` (and unknown) -> razdel, others -> sentencex.
    Lines are segmented separately; sentences without a letter or digit
    (a lone emoji, a masked URL) are left out.
    """
    if not text:
        return []
    masked = mask_markup(text)
    emphasis = any(marker in text for marker in _EMPHASIS)
    links = "](" in text
    segment = _segmenter(lang)
    sentences: list[Sentence] = []
    line_start = 0
    for line in masked.split("\n"):
        if _HAS_WORD.search(line):
            for start, end in _line_spans(segment, line):
                start, end = _trimmed(masked, line_start + start, line_start + end)
                if links and start and text[start - 1] == "[" and masked[start - 1] == " ":
                    start -= 1  # the sentence opens with a link's label: keep its bracket, as its end keeps "](url)"
                if emphasis:
                    start, end = _balanced(text, start, end)
                piece = masked[start:end]
                if _HAS_WORD.search(piece):
                    sentences.append(Sentence(start, end, text[start:end], " ".join(piece.split())))
        line_start += len(line) + 1
    return sentences
