"""The chunked post-table builder against a plain one-post-at-a-time reference implementation."""
import hashlib
import json

import pandas as pd
import pytest

from classify.ingest import IngestStats, post_chunks, posts_frame, read_posts
from classify.ingest.detect import expand_inputs, read_options, reader
from classify.ingest.entities import scan_plain
from classify.text import lang
from classify.text.normalize import normalized_bytes

_TEXTS = [
    "**Ещё раз** о переговорах в Осло: [подробности](https://mfa.example/1) 👉 #МИД",
    "ЕЩЕ РАЗ О ПЕРЕГОВОРАХ В ОСЛО: ПОДРОБНОСТИ",
    "The minister met his counterpart from Ostalia and said that the talks would continue. HTTPS://Mfa.example/2",
    "the minister met his counterpart from ostalia and said that the talks would continue",
    "Міністр провів зустріч із колегою з Осло, і вони обговорили питання безпеки.",
    "Министр ВИДЕЛ коллегу в Осло; стороны обсудили вопросы безопасности и торговли. T.ME/mfa_channel",
    "ΣΥΝΑΝΤΗΣΗ ΥΠΟΥΡΓΩΝ ΣΤΗΝ ΟΣΛΟ", "Συνάντηση υπουργών στην Όσλο",
    "İstanbul görüşmesi yarın yapılacak", "istanbul görüşmesi yarın yapılacak",
    "Қазақстан сыртқы істер министрі Ослода кездесу өткізді", "👍🔥", "", None,
    "Ѣ старая буква и новые слова: что это было, никто не знает", "Kelvin \u212a and ﬀ ligature",
    "@mfa_press сообщает: министр встретился с коллегой, обсудили также визы и торговлю",
    "Подробнее: www.mid.example/ru и tg://resolve?domain=mid — что было решено на встрече",
    "中文 текст about talks", "Straße der Einheit", "tab\tand\u2028line\u3000space",
    "Министр провёл переговоры с коллегой из Индии.", "министр провел переговоры с коллегой из индии",
]


def _reference_shortcut(text: str):
    """lang._shortcut as first written: function words counted on regex word runs only."""
    letters, cyrillic, latin = lang._letter_counts(text)
    if letters < lang.MIN_LETTERS:
        return None
    lowered = text.lower()
    if cyrillic >= 0.75 * letters:
        if ("и" in lowered and lang._RUSSIAN_ONLY.search(text) and not lang._NON_RUSSIAN_CYRILLIC.search(text)
                and len(lang._RUSSIAN_WORDS.intersection(lang._CYRILLIC_WORD.findall(lowered))) >= 2):
            return "ru"
    elif latin >= 0.95 * letters and len(lang._ENGLISH_WORDS.intersection(lang._LATIN_WORD.findall(lowered))) >= 3:
        return "en"
    return None


def _reference_lang(text: str) -> str:
    if not text:
        return "other"
    decided = _reference_shortcut(lang._strip_links(text[:lang.PREFIX_CHARS]))
    return decided or lang._label_of_clean(lang.clean_for_lid(text, lang.PREFIX_CHARS))


def _reference_table(path) -> pd.DataFrame:
    """Each post completed on its own: dict of normalised texts, no chunks, no hashing tricks."""
    posts, first_by_text, hash_ids = [], {}, {}
    for file, name in expand_inputs([path], None):
        for post in reader(name).read(file, stats=IngestStats(), **read_options(name, {})):
            post["text"] = post.get("text") or ""
            channel, message_id = post.get("channel"), post.get("message_id")
            canonical = normalized_bytes(post["text"])
            if post.get("id") is None:
                if message_id is not None and channel is not None:
                    post["id"] = f"{channel}/{message_id}"
                else:
                    base = "sha1:" + hashlib.sha1(f"{channel or ''}\n".encode() + canonical).hexdigest()
                    hash_ids[base] = hash_ids.get(base, 0) + 1
                    post["id"] = base if hash_ids[base] == 1 else f"{base}:{hash_ids[base]}"
            links, hashtags = scan_plain(post["text"])
            post["links"] = links if post.get("links") is None else post["links"]
            post["hashtags"] = hashtags if post.get("hashtags") is None else post["hashtags"]
            post["lang"] = _reference_lang(post["text"])
            post["duplicate_of"] = first_by_text.get(canonical) if canonical else None
            if canonical:
                first_by_text.setdefault(canonical, post["id"])
            posts.append(post)
    return posts_frame(posts)


@pytest.fixture
def dump(tmp_path):
    path = tmp_path / "mixed.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for number, text in enumerate(_TEXTS * 2):  # the second round repeats every text: duplicates across chunks
            record = {"channel": "Северный вестник", "message_id": 100 + number, "text": text,
                      "date": f"2024-03-{1 + number % 28:02d}T10:00:00+00:00", "views": number * 10}
            if number % 5 == 4:  # some records without a message id: sha1 ids
                del record["message_id"]
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.mark.parametrize("chunk_size", [1, 7, 5000])
def test_chunked_table_equals_reference(dump, chunk_size):
    expected = _reference_table(dump)
    got = pd.concat(list(post_chunks(dump, chunk_size=chunk_size)), ignore_index=True)
    pd.testing.assert_frame_equal(got, expected)
    assert expected["duplicate_of"].notna().sum() >= len(_TEXTS) - 3  # each non-empty text again in round two
    assert set(expected["lang"]) == {"ru", "en", "other"}


def test_read_posts_equals_reference_on_shared_dump(shared_data):
    path = shared_data / "telegram_ru_news" / "posts.jsonl"
    expected = _reference_table(path)
    pd.testing.assert_frame_equal(read_posts(path), expected)
    # Worker batches are smaller than the frames: more than one per frame, and more than the workers hold at once.
    chunks = list(post_chunks(path, chunk_size=5000, jobs=2))
    assert len(chunks) > 2 * 2 and max(map(len, chunks)) <= 5000
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), expected)


def test_worker_processes_give_the_same_table(dump):
    expected = _reference_table(dump)
    chunks = list(post_chunks(dump, chunk_size=3, jobs=2))  # more chunks than the workers hold in flight
    assert len(chunks) > 4
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), expected)
    pd.testing.assert_frame_equal(read_posts(dump, jobs=2), expected)


def test_worker_processes_without_languages_give_the_same_table(dump, monkeypatch):
    from classify.ingest import table

    expected = _reference_table(dump).assign(lang=None).astype({"lang": "string"})
    monkeypatch.setattr(table, "load_language_model", lambda: pytest.fail("no language model without languages"))
    chunks = list(post_chunks(dump, chunk_size=3, jobs=2, languages=False))
    pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), expected)


def test_jobs_must_be_positive(dump):
    with pytest.raises(ValueError, match="jobs"):
        read_posts(dump, jobs=0)


def test_worker_processes_pass_on_input_errors_and_stop_with_the_stream(dump, tmp_path):
    from classify.errors import InputError
    from classify.ingest import iter_posts

    broken = tmp_path / "broken.jsonl"
    lines = dump.read_text(encoding="utf-8").split("\n")[:-1]  # (splitlines would split at U+2028 too)
    broken.write_text("\n".join(lines[:30] + ['{"channel": "x", "message_id": 1, "text": "об'] + lines[30:]) + "\n",
                      encoding="utf-8")
    with pytest.raises(InputError, match="line 31"):
        list(post_chunks(broken, chunk_size=4, jobs=2))
    stream = iter_posts(dump, jobs=2)
    assert next(stream)["id"] == "Северный вестник/100"
    stream.close()  # leaves the worker pool behind without waiting for the rest
