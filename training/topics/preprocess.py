"""Text preparation for topic models: Telegram boilerplate, URLs, stop words, stems.

Topic words must say what posts are about, not how channels sign them. Three
steps get there:

1. :func:`strip_markup` removes URLs, ``@handles``, bot names and Telegram
   markdown, keeping the anchor text of links.
2. :class:`Preprocessor` learns, per channel, the lines that recur in many
   distinct posts ("Subscribe | Send us news", "read us without VPN: ...") and
   drops them; it stores only hashes of those lines, never the text.
3. Words are lower-cased, stop words (Russian, English, Telegram jargon) and
   numbers dropped, and the rest reduced to Snowball stems (PyStemmer), so that
   "санкции", "санкций" and "санкциями" count as one word. Each stem is shown
   as its most frequent surface form in the corpus.

The normalized document is the stems joined by spaces; both the TF-IDF
embedding and BERTopic's c-TF-IDF read it with a whitespace tokenizer.
"""
from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from typing import Iterable, Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Function words and very frequent verbs/adverbs that carry no subject.
RUSSIAN_STOP_WORDS = frozenset("""
а без более бы был была были было быть в вам вас весь во вот все всего всех вы
где да даже для до его ее ей ему если есть еще же за здесь и из или им их к как
ко когда кто ли либо мне может мы на над надо наш не него нее нет ни них но ну о
об однако он она они оно от очень по под при с со так также такой там те тем то
того тоже той только том ты у уже хотя чего чей чем что чтобы чье чья эта эти это
я этот этого этой этом этих тот та тех нам нами вами ими мной тебя тебе себя себе
свой своя свое свои своих своим своей своего свою который которая которое которые
которых которым котором которой которого
весь всё вся всем всеми всю сам сама само сами самый самая самое самые
один одна одно одни два две три
ли бы же ведь вон вот ещё уж лишь почти именно также поэтому потому зачем почему
теперь тогда сейчас всегда никогда иногда снова опять там тут где-то куда откуда
очень более менее много мало несколько сколько столько больше меньше
нужно можно нельзя надо должен должна должны
будет будут буду будем будете была были было быть является являются стал стала
стали стало станет могут мог могла могли может можем
сказал сказала сказали заявил заявила заявили отметил отметила отметили
сообщил сообщила сообщили рассказал рассказала рассказали
также кроме через после перед между около среди вокруг против ради вместо
из-за из-под благодаря согласно
год года году лет годы день дня дней неделе неделю время
это этим эту этому такие такая такое таких такими
ни нибудь либо то-то чтоб ах ох эх
г т д др тыс млн млрд руб км см
""".split())

# Words every Telegram news channel uses to sign posts; they name no subject.
TELEGRAM_STOP_WORDS = frozenset("""
подписаться подписывайтесь подписывайся подпишись подписка подписчики прислать
новость новости канал канала каналу каналы телеграм телеграмм telegram tg
читать читайте подробнее источник фото видео live бот bot ссылка ссылке
subscribe subscribers channel source photo video read more link
""".split())

STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | RUSSIAN_STOP_WORDS | TELEGRAM_STOP_WORDS

_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^()\s]*\))*\)")
_URL = re.compile(r"(?:https?://|www\.|t\.me/)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:ru|com|org|net|me|ly|io|su|рф)\b/?\S*", re.I)
_HANDLE = re.compile(r"(?<!\w)@\w+|\b\w+_bot\b", re.I)
_MARKUP = re.compile(r"\*\*|__|~~|\|\||```|`")
_TOKEN = re.compile(r"[a-zа-яё][a-zа-яё0-9]*(?:-[a-zа-яё0-9]+)*", re.I)
_LINE_KEY = re.compile(r"[\W\d_]+")


def strip_markup(text: str) -> str:
    """Text without URLs, @handles, bot names and Telegram markdown; link anchors are kept."""
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    return _MARKUP.sub(" ", text)


def _line_key(line: str) -> str:
    """Hash of a line with case, punctuation, digits and emoji removed (so counts do not hide a repeat)."""
    key = _LINE_KEY.sub(" ", line.lower()).strip()
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16] if key else ""


def _stemmers():
    try:
        import Stemmer
    except ImportError as error:  # pragma: no cover - part of the topics extra
        raise ImportError("topic models need PyStemmer: pip install 'telegram-classify[topics]'") from error
    return Stemmer.Stemmer("russian"), Stemmer.Stemmer("english")


class Preprocessor:
    """Turns post texts into normalized documents (space-joined stems) for the topic model.

    Parameters
    ----------
    min_line_repeats : a line found in at least this many distinct posts of one
        channel is boilerplate and removed from every post.
    min_token_length : shorter words are dropped.
    extra_stop_words : more words to drop (compared after lower-casing).

    Examples
    --------
    >>> prep = Preprocessor(min_line_repeats=2).fit(
    ...     ["Ракеты запущены\\nПодписаться на нас", "Санкции введены\\nПодписаться на нас"])
    >>> prep.transform(["Новые санкции против банков\\nПодписаться на нас"])
    ['нов санкц банк']
    """

    def __init__(self, *, min_line_repeats: int = 5, min_token_length: int = 3,
                 extra_stop_words: Sequence[str] = ()):
        self.min_line_repeats = min_line_repeats
        self.min_token_length = min_token_length
        self.extra_stop_words = extra_stop_words

    # -- fitting -------------------------------------------------------------
    def fit(self, texts: Sequence[str], channels: Sequence[str] | None = None) -> "Preprocessor":
        """Learn boilerplate lines per channel and the display form of each stem."""
        self.fit_transform(texts, channels)
        return self

    def fit_transform(self, texts: Sequence[str], channels: Sequence[str] | None = None) -> list[str]:
        """Fit, and return the normalized documents of ``texts``."""
        channels = channels if channels is not None else [""] * len(texts)
        if len(channels) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(channels)} channels")
        line_keys = [[_line_key(line) for line in str(text).splitlines()] for text in texts]
        seen: dict[str, Counter] = defaultdict(Counter)
        for keys, channel in zip(line_keys, channels):
            seen[str(channel)].update(set(keys) - {""})
        boilerplate = sorted({key for counts in seen.values() for key, n in counts.items()
                              if n >= self.min_line_repeats})
        self._set_state(boilerplate, {})
        forms: dict[str, Counter] = defaultdict(Counter)
        docs = []
        self._surface_words: list[list[str]] = []
        for text, keys in zip(texts, line_keys):
            kept = "\n".join(line for line, key in zip(str(text).splitlines(), keys) if key not in self._boilerplate)
            stems = []
            words = self._words(strip_markup(kept))
            for word in words:
                stem = self._stem(word)
                forms[stem][word] += 1
                stems.append(stem)
            docs.append(" ".join(stems))
            self._surface_words.append(words)
        # Most frequent surface form; ties broken alphabetically so the map is deterministic.
        self.display_forms_ = {stem: min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]
                               for stem, counter in sorted(forms.items())}
        return docs

    def restore(self, boilerplate_lines: Iterable[str], display_forms: dict[str, str]) -> "Preprocessor":
        """Set the fitted state from saved values (see :mod:`training.topics.persist`)."""
        self._set_state(boilerplate_lines, display_forms)
        return self

    def _set_state(self, boilerplate_lines: Iterable[str], display_forms: dict[str, str]) -> None:
        self.boilerplate_lines_ = sorted(boilerplate_lines)
        self._boilerplate = frozenset(self.boilerplate_lines_)
        self._stop = STOP_WORDS | {w.lower().replace("ё", "е") for w in self.extra_stop_words}
        self._cache: dict[str, str] = {}
        self.display_forms_ = dict(display_forms)

    # -- transforming --------------------------------------------------------
    def remove_boilerplate(self, text: str) -> str:
        lines = [line for line in str(text).splitlines() if _line_key(line) not in self._boilerplate]
        return strip_markup("\n".join(lines))

    def _words(self, text: str) -> list[str]:
        words = []
        for match in _TOKEN.finditer(text.lower().replace("ё", "е")):
            word = match.group(0)
            if len(word) >= self.min_token_length and word not in self._stop:
                words.append(word)
        return words

    def _stem(self, word: str) -> str:
        stem = self._cache.get(word)
        if stem is None:
            if not hasattr(self, "_russian"):
                self._russian, self._english = _stemmers()
            stemmer = self._english if word[0] <= "z" else self._russian
            stem = "-".join(stemmer.stemWord(part) for part in word.split("-"))
            self._cache[word] = stem
        return stem

    def normalize(self, text: str) -> str:
        """One text as space-joined stems, without boilerplate, markup and stop words."""
        return " ".join(self._stem(word) for word in self._words(self.remove_boilerplate(text)))

    def normalize_terms(self, terms: Iterable[str]) -> list[str]:
        """Seed terms as stems (a multi-word term gives each of its stems)."""
        stems: list[str] = []
        for term in terms:
            for stem in self.normalize(term).split():
                if stem not in stems:
                    stems.append(stem)
        return stems

    def transform(self, texts: Iterable[str]) -> list[str]:
        return [self.normalize(text) for text in texts]

    def learn_phrase_forms(self, docs: Sequence[str], phrases: Iterable[str]) -> None:
        """Most frequent surface form of each multi-word phrase of stems, from the texts just fitted.

        ``docs`` are the normalized documents :meth:`fit_transform` returned. Frees the
        surface words kept for this; call it once, after choosing the phrases to show.
        """
        wanted = {tuple(p.split()) for p in phrases if " " in p}
        sizes = sorted({len(p) for p in wanted})
        counts: dict[tuple, Counter] = defaultdict(Counter)
        for doc, words in zip(docs, getattr(self, "_surface_words", [])):
            stems = doc.split()
            for size in sizes:
                for i in range(len(stems) - size + 1):
                    key = tuple(stems[i:i + size])
                    if key in wanted:
                        counts[key][" ".join(words[i:i + size])] += 1
        self.phrase_forms_ = {" ".join(key): min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]
                              for key, c in sorted(counts.items())}
        self._surface_words = []

    def display(self, term: str) -> str:
        """A stem, or a space-separated n-gram of stems, as readable words (its most frequent form)."""
        phrase = getattr(self, "phrase_forms_", {}).get(term)
        if phrase is not None:
            return phrase
        return " ".join(self.display_forms_.get(stem, stem) for stem in term.split())
