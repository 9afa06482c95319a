"""Ingest speed, memory and language-identification agreement, with baselines, in one run.

Every timed case runs in its own Python process, so peak RSS (``ru_maxrss``) is the
case's own (it includes ~125 MB of imported libraries and the language model).
Throughput is printed as wall-clock posts/s and as CPU posts/s (process time:
steadier on a shared machine; with ``jobs=2`` the CPU time of the worker processes
is added, and peak RSS is the main process's), each beside its ratio to the target;
shared-dump cases run ``--repeat`` times and the best wall and CPU figures are kept; the machine's
load average is printed before and after the timed cases, so noisy wall-clock
figures can be read for what they are. The one-time start-up (imports, model load,
about a second) is timed apart and printed once.

    python benchmarks/ingest.py                   # shared dump + generated 1 GB Desktop export
    python benchmarks/ingest.py --size-mb 200     # a smaller generated export
    python benchmarks/ingest.py --size-mb 0       # shared dump only

Targets: >= 50,000 posts/s for the whole ingest (read + language + duplicates) of
the shared 22k-post Telethon dump; peak RSS < 300 MB while ingesting a 1 GB Desktop
export to Parquet. Baselines beside them: parsing the dump's JSON lines and nothing
else, the readers alone (no builder; the Telethon reader post by post and in blocks
of Arrow columns, as the table builder reads the dump), language identification alone (with and without
the Russian/English shortcut that spares fastText most texts, and fastText on just the texts
the shortcut leaves open), duplicate keys alone, finding links and hashtags in plain text
alone (the builder's job since readers leave it to it); and
the whole ingest in one process and with ``read_posts(jobs=2)`` (two worker processes
identify languages, hash texts and find their links while the main process reads and
builds the table);
and, as the ceiling of any split over two processes, two independent processes running
``read_posts`` at the same time on one half of the dump each.

The generated export (``benchmarks/make_desktop_export.py``) is written to a
temporary folder and deleted afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DUMP = SHARED / "telegram_ru_news" / "posts.jsonl"
TARGET_POSTS_PER_S = 50_000
TARGET_PEAK_MB = 300


# --- cases, each run in a child process --------------------------------------

def _texts(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line)["text"] for line in handle]


def _parse_only(path: Path, out) -> int:
    import orjson

    with open(path, "rb") as handle:
        return len([orjson.loads(line) for line in handle])


def _reader_only(path: Path, out) -> int:
    from classify.ingest import IngestStats
    from classify.ingest.detect import detect_format, read_options, reader

    name = detect_format(path)
    return sum(1 for _ in reader(name).read(path, stats=IngestStats(), **read_options(name, {"chat_types": "channels"})))


def _reader_columns(path: Path, out) -> int:
    from classify.ingest import IngestStats
    from classify.ingest.telethon import read_columns

    return sum(len(block) for block in read_columns(path, stats=IngestStats()))


def _read_posts(jobs: int):
    def run(path: Path, out) -> int:
        from classify.ingest import read_posts

        return len(read_posts(path, jobs=jobs))
    return run


def _write_posts(path: Path, out) -> int:
    from classify.ingest import write_posts

    return write_posts(path, out)


def _lang(shortcut: bool):
    def run(texts: list[str], out) -> int:
        import pyarrow as pa

        from classify.text.lang import detect_languages

        for start in range(0, len(texts), 5_000):  # as read_posts hands them over: Arrow arrays of a chunk
            detect_languages(pa.array(texts[start:start + 5_000], type=pa.large_string()), shortcut=shortcut)
        return len(texts)
    return run


def _open_texts(path: Path) -> tuple[list[str], int]:
    """The dump's distinct texts the ru/en shortcut leaves to fastText, and the dump's post count."""
    from classify.text.lang import PREFIX_CHARS, _shortcut, _strip_links

    texts = _texts(path)
    return list(dict.fromkeys(text for text in texts
                              if text and _shortcut(_strip_links(text[:PREFIX_CHARS])) is None)), len(texts)


def _lang_open(prepared: tuple[list[str], int], out) -> int:
    from classify.text.lang import detect_languages

    open_texts, posts = prepared
    detect_languages(open_texts, shortcut=False)
    return posts  # the rate is per post of the dump


def _keys(texts: list[str], out) -> int:
    from classify.ingest.table import _chunk_keys, _text_array

    for start in range(0, len(texts), 5_000):  # in read_posts' chunks
        _chunk_keys(_text_array(texts[start:start + 5_000]))
    return len(texts)


def _text_chunks(path: Path) -> list[tuple[object, list[int]]]:
    """The dump's texts as the builder holds them: Arrow arrays of 5,000, with the rows that have text."""
    from classify.ingest.table import _text_array

    texts = _texts(path)
    return [(_text_array(texts[start:start + 5_000]), [row for row, text in enumerate(texts[start:start + 5_000]) if text])
            for start in range(0, len(texts), 5_000)]


def _links(chunks: list[tuple[object, list[int]]], out) -> int:
    from classify.ingest.table import _links_and_hashtags

    for texts, rows in chunks:  # compiled when the extension was built, else scan_plain on each text
        _links_and_hashtags(texts, None, rows)
    return sum(len(texts) for texts, _ in chunks)


# name -> (prepare the input outside the timing, timed run)
CASES = {
    "parse-only": (None, _parse_only),
    "reader-only": (None, _reader_only),
    "reader-columns": (None, _reader_columns),
    "read_posts": (None, _read_posts(1)),
    "read_posts-2": (None, _read_posts(2)),
    "write_posts": (None, _write_posts),
    "lang": (_texts, _lang(True)),
    "lang-model-only": (_texts, _lang(False)),
    "lang-open-only": (_open_texts, _lang_open),
    "keys": (_texts, _keys),
    "links": (_text_chunks, _links),
}


def _child(name: str, path: str, out: str | None, synced: bool = False) -> None:
    """``synced``: say "ready" once prepared, then wait for a line on stdin before the timed run
    (so that two children start it together)."""
    sys.path.insert(0, str(ROOT))
    prepare, run = CASES[name]
    startup = time.perf_counter()
    if name != "parse-only":  # imports and the model load happen once per process, not per post
        import classify.ingest.desktop_json, classify.ingest.telethon, classify.ingest.table  # noqa: F401,E401
        from classify.text.lang import load_model
        load_model()  # and the compiled shortcut's tables
    startup = time.perf_counter() - startup
    data = prepare(Path(path)) if prepare else Path(path)
    if synced:
        print("ready", flush=True)
        sys.stdin.readline()
    started = time.time()
    wall, cpu = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    posts = run(data, Path(out) if out else None)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    # Worker processes (jobs > 1) are reaped when the run ends: their CPU time counts too.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    main_cpu = cpu
    cpu += (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"posts": posts, "wall": wall, "cpu": cpu, "main_cpu": main_cpu, "peak_mb": peak_mb,
                      "startup": startup, "started": started, "ended": time.time()}))


def run_case(name: str, path: Path, out: Path | None = None, repeat: int = 1) -> dict:
    """The case run ``repeat`` times, each in a fresh process: the best wall and the best CPU time of the runs."""
    runs = []
    for _ in range(repeat):
        command = [sys.executable, __file__, "--child", name, str(path)] + ([str(out)] if out else [])
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            raise SystemExit(f"case {name} failed:\n{done.stderr}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    best = dict(runs[0])
    best.update(wall=min(r["wall"] for r in runs), cpu=min(r["cpu"] for r in runs),
                main_cpu=min(r["main_cpu"] for r in runs), peak_mb=max(r["peak_mb"] for r in runs))
    return best


def run_halves_at_once(path: Path, work: Path, repeat: int = 1) -> dict:
    """``read_posts`` in two processes at the same time, each on one half of the JSON-lines file ``path``:
    what two cores give with the work split perfectly and nothing exchanged between the processes, the
    ceiling of any 2-process split of the same ingest. Wall: from the first start to the last end; the
    best of ``repeat`` runs."""
    lines = path.read_bytes().splitlines(keepends=True)
    halves = [work / "half-1.jsonl", work / "half-2.jsonl"]
    halves[0].write_bytes(b"".join(lines[:len(lines) // 2]))
    halves[1].write_bytes(b"".join(lines[len(lines) // 2:]))
    best = None
    for _ in range(repeat):
        children = [subprocess.Popen([sys.executable, __file__, "--child", "read_posts", str(half), "--synced"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
                    for half in halves]
        for child in children:
            if child.stdout.readline().strip() != "ready":
                raise SystemExit("case read_posts on half the dump did not start")
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        runs = [json.loads(child.communicate()[0].strip().splitlines()[-1]) for child in children]
        result = {"posts": sum(r["posts"] for r in runs), "cpu": sum(r["cpu"] for r in runs),
                  "wall": max(r["ended"] for r in runs) - min(r["started"] for r in runs),
                  "peak_mb": max(r["peak_mb"] for r in runs)}
        best = result if best is None or result["wall"] < best["wall"] else best
    return best


def _rates(result: dict) -> tuple[float, float]:
    """(wall-clock posts/s, CPU-time posts/s)."""
    wall = result["posts"] / result["wall"] if result["wall"] else float("inf")
    cpu = result["posts"] / result["cpu"] if result["cpu"] else float("inf")
    return wall, cpu


def _row(label: str, result: dict, note: str = "") -> str:
    wall, cpu = _rates(result)
    return (f"  {label:<44} {result['posts']:>9,} posts  {wall:>9,.0f}/s wall  {cpu:>9,.0f}/s cpu  "
            f"peak {result['peak_mb']:>6,.0f} MB  {note}")


def _speed_verdict(result: dict) -> str:
    wall, cpu = _rates(result)
    verdict = "meets" if wall >= TARGET_POSTS_PER_S else ("meets on CPU time only" if cpu >= TARGET_POSTS_PER_S
                                                          else "MISSES")
    return (f"target >= {TARGET_POSTS_PER_S:,}/s: wall {wall / TARGET_POSTS_PER_S:.2f}x, "
            f"cpu {cpu / TARGET_POSTS_PER_S:.2f}x of target ({verdict})")


def _load_note() -> str:
    """The machine's load, so readers can tell how far other processes slowed the wall-clock figures."""
    cores = os.cpu_count() or 1
    one, five, _ = os.getloadavg()
    busy = ("other processes compete for the CPU: wall-clock rates are depressed, CPU-time rates "
            "(user+sys of the case's process) are the steadier figure" if one > cores
            else "machine not overloaded: wall-clock and CPU-time rates should be close")
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {cores} cores: {busy}"


# --- language agreement ---------------------------------------------------------

def _catalog_texts(lang: str) -> list[str]:
    """Translated messages (>= 20 characters) of the operating system's gettext catalogs for ``lang``."""
    import gettext
    import glob

    texts = []
    for path in sorted(glob.glob(f"/usr/share/locale/{lang}/LC_MESSAGES/*.mo")
                       + glob.glob(f"/usr/share/vim/vim*/lang/{lang}/LC_MESSAGES/*.mo")):
        try:
            with open(path, "rb") as handle:
                catalog = gettext.GNUTranslations(handle)._catalog
        except (OSError, ValueError, IndexError, UnicodeDecodeError):  # catalogs the stdlib cannot parse
            continue
        texts.extend(v for k, v in catalog.items() if isinstance(k, str) and k and isinstance(v, str)
                     and v != k and len(v) >= 20)
    return texts


OTHER_LANGUAGES = ("be", "uk", "bg", "sr", "mk", "kk", "ky", "tg", "mn", "tt", "de", "fr", "es", "it", "nl", "pt",
                   "pl", "sv", "da", "nb", "cs", "tr", "ro", "hu", "fi", "id", "vi")


def lang_agreement() -> None:
    sys.path.insert(0, str(ROOT))
    import csv
    from collections import Counter

    from classify.text import lang

    def shortcut(text):
        return lang._shortcut(lang._strip_links(text[:lang.PREFIX_CHARS]))

    sets = {"telegram_ru_news (22k posts)": _texts(DUMP)}
    articles = [json.loads(line) for line in open(SHARED / "themes" / "news_articles_gold.jsonl", encoding="utf-8")]
    sets["news_articles_gold (en+ru)"] = [a["text"] for a in articles]
    sets["euvsdisinfo claims (en)"] = _texts(SHARED / "themes" / "euvsdisinfo_claims_en.jsonl")
    with open(SHARED / "checkworthy" / "ct24_english_dev.tsv", encoding="utf-8") as handle:
        sets["CheckThat! 2024 dev (en)"] = [row["Text"] for row in csv.DictReader(handle, delimiter="\t")]
    print("\nLanguage identification: production setting (200 chars, shortcut, early exit) vs fastText on the full text")
    for name, texts in sets.items():
        full = lang.detect_languages(texts, max_chars=1_000_000, shortcut=False, early_exit=False)
        used = lang.detect_languages(texts)
        model_200 = lang.detect_languages(texts, shortcut=False, early_exit=False)
        decided = [shortcut(text) for text in texts]
        agree = sum(a == b for a, b in zip(used, full)) / len(texts)
        agree_200 = sum(a == b for a, b in zip(model_200, full)) / len(texts)
        covered = sum(d is not None for d in decided) / len(texts)
        shares = {code: round(used.count(code) / len(used), 4) for code in ("ru", "en", "other")}
        line = (f"  {name:<30} agreement {agree:.4f} (model alone on 200 chars: {agree_200:.4f}); "
                f"shortcut decides {covered:.0%}; shares {shares}")
        if name.startswith("news_articles"):
            truth = [a["lang"] for a in articles]
            line += f"; vs the dataset's language: {sum(a == b for a, b in zip(used, truth)) / len(truth):.4f}"
        print(line)
    catalogs = {code: _catalog_texts(code) for code in OTHER_LANGUAGES}
    catalogs = {code: texts for code, texts in catalogs.items() if texts}
    if not catalogs:
        print("  (no gettext catalogs under /usr/share/locale: shortcut false-positive check skipped)")
        return
    fired = {code: [t for t in texts if shortcut(t) is not None] for code, texts in catalogs.items()}
    total = sum(len(texts) for texts in catalogs.values())
    wrong = {code: len(texts) for code, texts in fired.items() if texts}
    print(f"  shortcut on {total:,} translated messages of {len(catalogs)} other languages "
          f"(this system's gettext catalogs): decided 'ru'/'en' for {sum(wrong.values())} {wrong or ''}")
    for code, texts in fired.items():
        if texts:
            said = lang.detect_languages(texts, max_chars=1_000_000, shortcut=False, early_exit=False)
            print(f"    {code}: fastText on the full text says {dict((c, said.count(c)) for c in set(said))}")
    # The early exit only changes what the model answers on a cleaned head longer than its short head.
    changed, long_heads = {}, 0
    for code, texts in catalogs.items():
        texts = [text for text in texts if len(lang.clean_for_lid(text)) > lang.EARLY_CHARS + lang.EARLY_CHARS // 4]
        long_heads += len(texts)
        early = lang.detect_languages(texts, shortcut=False)
        whole = lang.detect_languages(texts, shortcut=False, early_exit=False)
        moved = [(a, b) for a, b in zip(whole, early) if a != b]
        if moved:
            changed[code] = dict(Counter(f"{a}->{b}" for a, b in moved))
    print(f"  early exit on the {long_heads:,} of those messages with a long enough head: changed "
          f"{sum(sum(c.values()) for c in changed.values())} answers {changed or ''}")


# --- main --------------------------------------------------------------------

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=float, default=1000, help="size of the generated export (0: skip it)")
    parser.add_argument("--keep", action="store_true", help="keep the generated export (printed path)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each shared-dump case; the best wall and the best CPU time are printed")
    parser.add_argument("--no-agreement", action="store_true", help="skip the language-agreement check")
    args = parser.parse_args(argv)
    if not DUMP.is_file():
        print(f"shared dump missing: {DUMP}", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    try:
        print(_load_note())
        repeat = max(1, args.repeat)
        print(f"\n(a) shared Telethon dump {DUMP.name} ({DUMP.stat().st_size / 2**20:.1f} MiB); "
              f"best wall and best CPU time of {repeat} runs each")
        print("    stages alone (baselines):")
        print(_row("parse JSON lines only (orjson)", run_case("parse-only", DUMP, repeat=repeat)))
        print(_row("Telethon reader only, post by post", run_case("reader-only", DUMP, repeat=repeat)))
        reader = run_case("reader-columns", DUMP, repeat=repeat)
        print(_row("Telethon reader only, blocks as columns", reader, "(what read_posts reads the dump with)"))
        print(_row("lang: every text through fastText", run_case("lang-model-only", DUMP)))
        lang = run_case("lang", DUMP, repeat=repeat)
        print(_row("lang: with the ru/en shortcut", lang))
        keys = run_case("keys", DUMP, repeat=repeat)
        print(_row("duplicate keys (normalise + hash) only", keys))
        links = run_case("links", DUMP, repeat=repeat)
        print(_row("links and hashtags found in the text only", links))
        lang_open = run_case("lang-open-only", DUMP, repeat=repeat)
        print(_row("lang: fastText on the texts left open only", lang_open, "(rate per post of the dump)"))
        floor_cpu = lang_open["cpu"] + keys["cpu"]
        print(f"  {'fastText (open texts) + keys: CPU summed':<44} {reader['posts']:>9,} posts  "
              f"{'':>15}  {reader['posts'] / floor_cpu:>9,.0f}/s cpu  "
              f"({floor_cpu / reader['posts'] * 1e6:.1f} us/post that any path giving the same table "
              f"spends, before reading)")
        stages_cpu = sum(stage["cpu"] for stage in (reader, lang, keys, links))
        print(f"  {'reader + lang + keys + links: CPU summed':<44} {reader['posts']:>9,} posts  "
              f"{'':>15}  {reader['posts'] / stages_cpu:>9,.0f}/s cpu  "
              f"({stages_cpu / reader['posts'] * 1e6:.1f} us/post before the table is built; "
              f"the target allows {1e6 / TARGET_POSTS_PER_S:.0f})")
        print("    ingest:")
        labels = {"read_posts": "read_posts -> DataFrame (1 process)",
                  "read_posts-2": "read_posts(jobs=2) -> DataFrame (3 processes)",
                  "write_posts": "write_posts -> Parquet (classify ingest)"}
        for name, label in labels.items():
            result = run_case(name, DUMP, work / "dump.parquet" if name == "write_posts" else None, repeat=repeat)
            print(_row(label, result, _speed_verdict(result)))
            if name == "read_posts-2":
                # With every core free the run takes at least the main process's CPU time and at least
                # the CPU time of all processes spread over the cores: an estimate, not a measurement.
                idle = max(result["main_cpu"], result["cpu"] / (os.cpu_count() or 1))
                print(f"  {'':<44} main process alone {result['posts'] / result['main_cpu']:,.0f}/s cpu; "
                      f"estimate for the same work on {os.cpu_count()} idle cores: "
                      f"{result['posts'] / idle:,.0f}/s wall (not measured)")
                halves = run_halves_at_once(DUMP, work, repeat=repeat)
                print(_row("2 processes, read_posts on half each, at once", halves,
                           "(ceiling of a 2-process split: "
                           f"{_rates(halves)[0] / TARGET_POSTS_PER_S:.2f}x of target)"))
        if args.size_mb > 0:
            export = work / "export" / "result.json"
            subprocess.run([sys.executable, str(ROOT / "benchmarks" / "make_desktop_export.py"),
                            "--size-mb", str(args.size_mb), "-o", str(export)], check=True, cwd=ROOT,
                           stdout=subprocess.DEVNULL)
            size = export.stat().st_size / 2**20
            print(f"\n(b) generated Telegram Desktop export ({size:,.0f} MiB)")
            print("    baseline:")
            print(_row("Desktop JSON reader only (no builder)", run_case("reader-only", export)))
            print("    ingest:")
            result = run_case("write_posts", export, work / "export.parquet")
            verdict = "meets" if result["peak_mb"] < TARGET_PEAK_MB else "MISSES"
            print(_row("write_posts -> Parquet (classify ingest)", result,
                       f"target peak < {TARGET_PEAK_MB} MB: {result['peak_mb']:,.0f} MB = "
                       f"{result['peak_mb'] / TARGET_PEAK_MB:.2f}x of the limit ({verdict})"))
            if args.keep:
                kept = Path(tempfile.gettempdir()) / "ingest-bench-export.json"
                shutil.move(export, kept)
                print(f"    kept {kept}")
        print(f"\n  start-up once per process (imports + language model): {reader['startup']:.2f} s")
        print(f"  after the timed cases: {_load_note()}")
        if not args.no_agreement:
            lang_agreement()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_args = [arg for arg in sys.argv[2:] if arg != "--synced"]
        _child(child_args[0], child_args[1], child_args[2] if len(child_args) > 2 else None,
               synced="--synced" in sys.argv)
    else:
        sys.exit(main())
