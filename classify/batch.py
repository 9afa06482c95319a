"""Batch tagging at scale: parallel, resumable, incremental.

:func:`tag_batch` reads posts in chunks (``classify.ingest.post_chunks``), tags
each chunk in a worker (``classify.tag.tag_frame``; the model is loaded once per
worker process) and writes each tagged chunk as a *part* in a work directory
beside the output. At the end the parts are joined, in input order, into the
output, atomically. Memory is bounded by ``chunk_size`` times the number of
chunks in flight (two per worker), whatever the size of the input.

Work directory ``<output>.parts/``
    ``manifest.json`` fingerprints the run (inputs' sizes and sha256, model
    sha256, chunk size, output format, since-last baseline). ``part-NNNNNN.<ext>``
    is chunk N tagged, in the output format, written atomically, with
    ``part-NNNNNN.keys.json`` beside it. After a crash or Ctrl-C, ``resume=True``
    re-reads the inputs, skips the chunks whose part exists and tags the rest; the
    joined output is byte for byte the output of an uninterrupted run. A
    manifest that no longer matches (an input or the model changed) is an error.

Since-last state ``<output>.state.json``
    What the output already holds, per channel: the highest ``message_id``
    tagged (Telegram message ids only grow inside a channel), plus the ids of
    posts that have no message id. With ``since_last=True`` only posts beyond
    that are tagged, and they are appended to the previous output's rows. The
    state records the model sha256; a different model is refused, because the
    old rows would carry another model's tags.

Engines: ``"local"`` (``jobs`` processes on this machine; ``jobs=1`` tags in
this process) and ``"dask"`` (the workers of the Dask scheduler at
``scheduler``; see :mod:`classify.distributed`).
"""
from __future__ import annotations

import concurrent.futures as futures
import contextlib
import functools
import json
import multiprocessing
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from classify.errors import InputError
from classify.io import TableWriter, atomic_output, output_format

MANIFEST_VERSION = 1
STATE_VERSION = 1
ENGINES = ("local", "dask")
_EXTENSIONS = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet"}


@dataclass
class BatchResult:
    """What a batch run did: posts read, posts tagged now, chunks taken from an interrupted run, timing."""

    output: Path
    posts_read: int
    posts_tagged: int
    posts_already_tagged: int
    chunks: int
    chunks_resumed: int
    rows_written: int
    seconds: float

    def summary(self) -> str:
        parts = [f"{self.posts_read:,} posts read", f"{self.posts_tagged:,} tagged"]
        if self.posts_already_tagged:
            parts.append(f"{self.posts_already_tagged:,} already tagged before (--since-last)")
        if self.chunks_resumed:
            parts.append(f"{self.chunks_resumed} of {self.chunks} chunks resumed")
        rate = self.posts_read / self.seconds if self.seconds > 0 else 0.0
        parts.append(f"{self.rows_written:,} rows in {self.output} ({self.seconds:.1f} s, {rate:,.0f} posts/s)")
        return ", ".join(parts)


# ---------------------------------------------------------------- the work done in a worker


# bundle path as the client knows it -> where a Dask worker plugin wrote its copy (classify.distributed)
shipped_models: dict[str, str] = {}


@functools.lru_cache(maxsize=4)
def cached_model(model_path: str):
    """Load a model bundle once per process (per worker, for process pools and Dask workers)."""
    from classify.model import load_model

    return load_model(shipped_models.get(model_path, model_path))


def model_fingerprint(model_path) -> str:
    """The sha256 of a bundle's metadata, which lists the sha256 of every file it loads."""
    from classify.bundle import METADATA_FILE, file_sha256

    path = Path(model_path)
    if not (path / METADATA_FILE).is_file():
        raise InputError(path, f"not a model bundle (no {METADATA_FILE})")
    return file_sha256(path / METADATA_FILE)


def _warm_worker(model_path: str) -> None:
    cached_model(model_path)


def tag_chunk(model_path: str, posts: pd.DataFrame) -> pd.DataFrame:
    """Tag one chunk of posts with the (cached) model; what every engine runs per chunk."""
    from classify.tag import tag_frame

    return tag_frame(cached_model(model_path), posts)


def _part_keys(tags: pd.DataFrame) -> dict:
    """Since-last keys of a tagged chunk: highest message id per channel and ids without a message id."""
    keyed = tags["message_id"].notna() if "message_id" in tags else pd.Series(False, index=tags.index)
    highest = (tags.loc[keyed].groupby("channel", sort=True)["message_id"].max() if keyed.any() else pd.Series())
    return {"rows": len(tags), "max_message_id": {str(channel): int(value) for channel, value in highest.items()},
            "ids": sorted(str(value) for value in tags.loc[~keyed, "id"].dropna())}


def _tag_to_part(model_path: str, posts: pd.DataFrame, part_format: str) -> tuple[bytes, dict]:
    """Tag a chunk and serialise it in the output format (the serialisation runs in the worker too)."""
    import tempfile

    tags = tag_chunk(model_path, posts)
    with tempfile.TemporaryDirectory(prefix="classify-part-") as folder:
        path = Path(folder) / f"part{_EXTENSIONS[part_format]}"
        with TableWriter(path) as writer:
            if len(tags) or part_format != "parquet":
                writer.write(tags)
        return path.read_bytes(), _part_keys(tags)


# ---------------------------------------------------------------- inputs, manifest, state


def expand_inputs(inputs: Iterable) -> list[Path]:
    """Files, folders and glob patterns to a sorted, de-duplicated list of paths.

    A folder that is itself an export (``result.json`` or ``messages.html`` inside)
    stays one input; any other folder contributes the files directly inside it.
    """
    import glob

    paths: list[Path] = []
    for item in map(str, inputs):
        if any(char in item for char in "*?["):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise InputError(item, "the pattern matches no file")
            paths.extend(Path(match) for match in matches)
            continue
        path = Path(item)
        if not path.exists():
            raise InputError(path, "no such file or folder")
        if path.is_dir() and not any((path / name).is_file() for name in ("result.json", "messages.html")):
            inside = sorted(child for child in path.iterdir() if child.is_file() and not child.name.startswith("."))
            if not inside:
                raise InputError(path, "the folder holds no files")
            paths.extend(inside)
        else:
            paths.append(path)
    unique = list(dict.fromkeys(path.resolve() for path in paths))
    return unique


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        with open(file, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _input_fingerprints(paths: list[Path]) -> list[dict]:
    return [{"path": str(path), "bytes": sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
             if path.is_dir() else path.stat().st_size, "sha256": _sha256(path)} for path in paths]


def work_dir_for(output) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".parts")


def state_path_for(output) -> Path:
    output = Path(output)
    return output.with_name(output.name + ".state.json")


class SinceLastState:
    """What an output already holds; filters a chunk down to the posts not tagged yet."""

    def __init__(self, model_sha256: str, max_message_id: dict[str, int] | None = None, ids: Iterable[str] = (),
                 rows: int = 0, output_sha256: str | None = None):
        self.model_sha256 = model_sha256
        self.max_message_id = dict(max_message_id or {})
        self.ids = set(ids)
        self.rows = rows
        self.output_sha256 = output_sha256

    @classmethod
    def load(cls, path: Path) -> "SinceLastState":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise InputError(path, f"unreadable since-last state: {error}") from None
        if data.get("version") != STATE_VERSION:
            raise InputError(path, f"since-last state version {data.get('version')!r}, expected {STATE_VERSION}")
        return cls(data["model_sha256"], data["max_message_id"], data["ids"], data["rows"], data["output_sha256"])

    def new_posts(self, posts: pd.DataFrame) -> pd.DataFrame:
        if not len(posts):
            return posts
        channels = posts["channel"].astype("string")
        highest = channels.map(self.max_message_id).astype("Float64")
        message_ids = posts["message_id"].astype("Float64") if "message_id" in posts else pd.Series(
            pd.NA, index=posts.index, dtype="Float64")
        keyed = message_ids.notna()
        new = (keyed & (highest.isna() | (message_ids > highest))).fillna(False)
        if (~keyed).any():
            new |= ~keyed & ~posts["id"].astype("string").isin(self.ids).fillna(False)
        return posts.loc[new.astype(bool)]

    def add(self, keys: dict) -> None:
        self.rows += keys["rows"]
        for channel, value in keys["max_message_id"].items():
            self.max_message_id[channel] = max(value, self.max_message_id.get(channel, value))
        self.ids.update(keys["ids"])

    def save(self, path: Path, output_sha256: str) -> None:
        data = {"version": STATE_VERSION, "model_sha256": self.model_sha256, "output_sha256": output_sha256,
                "rows": self.rows,
                "max_message_id": dict(sorted(self.max_message_id.items())), "ids": sorted(self.ids)}
        with atomic_output(path, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)


# ---------------------------------------------------------------- engines


class _InlineExecutor(futures.Executor):
    """Runs each task at submit time in this process: one job needs no pool and no copying."""

    def submit(self, fn, /, *args, **kwargs):
        future: futures.Future = futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed to the caller through the future, like a pool would
            future.set_exception(error)
        return future


@contextlib.contextmanager
def _executor(engine: str, jobs: int, model_path: str, scheduler: str | None) -> Iterator[tuple]:
    """Yield (executor, workers) for the engine."""
    if engine == "dask":
        from classify.distributed import dask_executor

        with dask_executor(scheduler, model_path) as (executor, workers):
            yield executor, workers
    elif jobs == 1:
        cached_model(model_path)
        yield _InlineExecutor(), 1
    else:
        # spawn: workers start clean (no copied locks or threads) on every platform
        with futures.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_warm_worker, initargs=(model_path,)) as pool:
            yield pool, jobs


# ---------------------------------------------------------------- progress


def _estimate_posts(paths: list[Path]) -> int | None:
    """Posts to expect, for the progress bar's ETA: lines of line-based files, else None (rate only)."""
    total = 0
    for path in paths:
        if path.is_dir() or path.suffix.lower() not in (".jsonl", ".ndjson", ".csv"):
            return None
        with open(path, "rb") as handle:
            total += sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 22), b""))
    return total


def _progress_bar(enabled: bool, total: int | None):
    from tqdm import tqdm

    return tqdm(total=total, unit=" posts", unit_scale=True, disable=not enabled, smoothing=0.1,
                dynamic_ncols=True, desc="tagging")


# ---------------------------------------------------------------- the run


def _manifest(paths: list[Path], model_sha: str, chunk_size: int, fmt: str, baseline: str | None,
              read_options: dict) -> dict:
    return {"version": MANIFEST_VERSION, "inputs": _input_fingerprints(paths), "model_sha256": model_sha,
            "chunk_size": chunk_size, "output_format": fmt, "since_last_baseline": baseline,
            "read_options": read_options}


def _check_manifest(found: dict, wanted: dict, work: Path) -> None:
    if found == wanted:
        return
    for key in ("inputs", "model_sha256", "chunk_size", "output_format", "since_last_baseline", "read_options"):
        if found.get(key) != wanted.get(key):
            what = {"inputs": "the inputs changed", "model_sha256": "the model changed",
                    "chunk_size": "the chunk size changed", "output_format": "the output format changed",
                    "since_last_baseline": "the since-last state changed",
                    "read_options": "the reading options changed"}[key]
            raise InputError(work / "manifest.json",
                             f"cannot resume: {what} since the interrupted run; run again without --resume")
    raise InputError(work / "manifest.json", "cannot resume: unknown work directory version")


def _write_part(work: Path, index: int, fmt: str, payload: bytes, keys: dict) -> None:
    with atomic_output(work / f"part-{index:06d}.keys.json", "w", encoding="utf-8") as handle:
        json.dump(keys, handle)
    # The part file is the completion marker, so it is written last.
    with atomic_output(work / f"part-{index:06d}{_EXTENSIONS[fmt]}", "wb") as handle:
        handle.write(payload)


def _assemble(output: Path, parts: list[Path], fmt: str, previous: Path | None) -> None:
    """Join parts (after the previous output's rows, for since-last) into ``output``, atomically."""
    sources = ([previous] if previous is not None else []) + parts
    if fmt == "parquet":
        import pyarrow.parquet as pq

        writer = None
        with atomic_output(output, "wb") as handle:
            for source in sources:
                if source.stat().st_size == 0:
                    continue
                table = pq.read_table(source)
                if writer is None:
                    writer = pq.ParquetWriter(handle, table.schema)
                writer.write_table(table.cast(writer.schema))
            if writer is not None:
                writer.close()
        return
    header = None
    with atomic_output(output, "wb") as handle:
        for source in sources:
            with open(source, "rb") as part:
                if fmt == "csv":
                    first = part.readline()
                    if not first:
                        continue
                    if header is None:
                        header = first
                        handle.write(first)
                    elif first != header:
                        raise InputError(source, "its columns differ from the rest of the output")
                shutil.copyfileobj(part, handle, 1 << 22)


def tag_batch(inputs: Iterable, output, *, model_path, jobs: int = 1, chunk_size: int = 5_000,
              resume: bool = False, since_last: bool = False, engine: str = "local", scheduler: str | None = None,
              progress: bool = False, input_format: str | None = None, skip_bad: bool = False) -> BatchResult:
    """Tag every post of ``inputs`` (files, folders, globs) into ``output`` (.jsonl, .csv or .parquet).

    See the module docstring for the work directory, ``resume`` and ``since_last``.
    Returns a :class:`BatchResult`; raises ``InputError`` for bad input naming the file.
    """
    from classify.ingest import post_chunks

    started = time.perf_counter()
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "dask" and not scheduler:
        raise ValueError("the dask engine needs a scheduler address (e.g. tcp://10.0.0.5:8786)")
    if jobs < 1 or chunk_size < 1:
        raise ValueError("jobs and chunk_size must be at least 1")
    output = Path(output)
    fmt = output_format(output)
    model_path = str(Path(model_path).resolve())
    model_sha = model_fingerprint(model_path)
    paths = expand_inputs(inputs)

    state_file = state_path_for(output)
    state = SinceLastState(model_sha)
    previous = None
    baseline = None
    if since_last and state_file.is_file():
        state = SinceLastState.load(state_file)
        if state.model_sha256 != model_sha:
            raise InputError(state_file, "the previous output was tagged with another model; "
                                         "run without --since-last to re-tag everything")
        if not output.is_file() or _sha256(output) != state.output_sha256:
            raise InputError(output, "the output is missing or changed since its since-last state was written; "
                                     "run without --since-last to re-tag everything")
        baseline = _sha256(state_file)
        previous = output

    work = work_dir_for(output)
    read_options = {"input_format": input_format, "skip_bad": skip_bad}
    manifest = _manifest(paths, model_sha, chunk_size, fmt, baseline, read_options)
    if resume and (work / "manifest.json").is_file():
        _check_manifest(json.loads((work / "manifest.json").read_text(encoding="utf-8")), manifest, work)
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        with atomic_output(work / "manifest.json", "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=1)

    posts_read = posts_tagged = already = resumed = chunks = 0
    with _executor(engine, jobs, model_path, scheduler) as (executor, workers), \
            _progress_bar(progress, _estimate_posts(paths) if progress else None) as bar:
        in_flight: dict[futures.Future, tuple[int, int]] = {}
        limit = 2 * workers

        def collect(done: Iterable[futures.Future]) -> None:
            nonlocal posts_tagged
            for future in done:
                index, size = in_flight.pop(future)
                payload, keys = future.result()
                _write_part(work, index, fmt, payload, keys)
                posts_tagged += keys["rows"]
                bar.update(size)

        for index, posts in enumerate(post_chunks(paths, chunk_size=chunk_size, format=input_format,
                                                  skip_bad=skip_bad)):
            chunks += 1
            posts_read += len(posts)
            if (work / f"part-{index:06d}{_EXTENSIONS[fmt]}").is_file():
                resumed += 1
                bar.update(len(posts))
                continue
            fresh = state.new_posts(posts) if previous is not None else posts
            already += len(posts) - len(fresh)
            in_flight[executor.submit(_tag_to_part, model_path, fresh, fmt)] = (index, len(posts))
            while len(in_flight) >= limit:
                collect(futures.wait(in_flight, return_when=futures.FIRST_COMPLETED).done)
        collect(futures.wait(in_flight).done if in_flight else ())

    parts = [work / f"part-{index:06d}{_EXTENSIONS[fmt]}" for index in range(chunks)]
    _assemble(output, parts, fmt, previous)
    for index in range(chunks):
        state.add(json.loads((work / f"part-{index:06d}.keys.json").read_text(encoding="utf-8")))
    state.save(state_file, _sha256(output))
    shutil.rmtree(work, ignore_errors=True)
    return BatchResult(output=output, posts_read=posts_read, posts_tagged=posts_tagged, posts_already_tagged=already,
                       chunks=chunks, chunks_resumed=resumed, rows_written=state.rows,
                       seconds=time.perf_counter() - started)
