"""Batch tagging at scale: parallel, resumable, incremental, on one machine or a Dask cluster.

:func:`tag_batch` tags every post of many inputs into one output table. Each
input is read in chunks (``classify.ingest.post_chunks``), each chunk is tagged
(``classify.tag.tag_frame``, the model loaded once per worker process) and
written as a *part* in a work directory beside the output; at the end the parts
are joined in input order into the output, atomically (see
:mod:`classify.batch_state` for the files).

This process reads the inputs as one stream (so duplicates are found across
all of them, as in a single-process run) and sends chunks to the workers, at
most two per worker in flight; the workers tag and serialise them, and this
process writes the parts they send back. Tagging costs several times more than
reading, so the workers, not the reader, set the pace.

Memory is bounded by the chunk size times the chunks in flight plus one model
per worker, whatever the size of the input. The output is the same bytes
whatever the engine, number of jobs or interruptions.

``resume=True`` continues an interrupted run: the inputs are read again, the
chunks whose part exists are skipped, the rest is tagged. ``since_last=True``
tags only the posts the output does not hold yet (per channel, message ids
beyond the highest already tagged) and appends them to its rows; only such runs
keep ``<output>.state.json``, and a run without it deletes the one it outdates.
"""
from __future__ import annotations

import concurrent.futures as futures
import contextlib
import functools
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

from classify.batch_state import (PART_EXTENSIONS, SinceLastState, chunk_keys, check_manifest, make_manifest,
                                  part_path, read_keys, save_manifest, sha256_of, state_path_for, work_dir_for,
                                  write_part)
from classify.errors import InputError
from classify.io import TableWriter, atomic_output, checked_output_format, refuse_output_among_inputs
from classify.tag import NO_THEME, TagSummary, tag_arrow_schema, tag_frame, theme_count_lines
from classify.workers import use_system_arrow_allocator, warm_process_pool

ENGINES = ("local", "dask")


@dataclass
class BatchResult:
    """What a batch run did."""

    output: Path
    posts_read: int
    posts_tagged: int
    chunks: int
    chunks_resumed: int
    rows_written: int
    seconds: float
    ingest: str = ""  # classify.ingest.IngestStats.summary() of the inputs: duplicates, skipped records, ...
    # posts per theme (and NO_THEME), in theme order, among the rows of this run's parts (since-last: the new ones)
    theme_counts: dict[str, int] = field(default_factory=dict)
    part_rows: int = 0

    @property
    def posts_already_tagged(self) -> int:
        """Posts read but left out by ``since_last`` (or tagged in an interrupted run)."""
        return self.posts_read - self.posts_tagged

    def summary(self) -> str:
        parts = [f"{self.posts_read:,} posts read", f"{self.posts_tagged:,} tagged now"]
        if self.chunks_resumed:
            parts.append(f"{self.chunks_resumed} of {self.chunks} chunks taken from the interrupted run")
        rate = self.posts_read / self.seconds if self.seconds > 0 else 0.0
        parts.append(f"{self.rows_written:,} rows in {self.output} ({self.seconds:.1f} s, {rate:,.0f} posts/s)")
        lines = [", ".join(parts)] + ([f"input: {self.ingest}"] if self.ingest else [])
        themes = [theme for theme in self.theme_counts if theme != NO_THEME]
        return "\n".join(lines + theme_count_lines(Counter(self.theme_counts), self.part_rows, themes))


# ---------------------------------------------------------------- what runs in a worker

# bundle path as the client knows it -> where a Dask worker plugin wrote its copy (classify.distributed)
shipped_models: dict[str, str] = {}


@functools.lru_cache(maxsize=4)
def cached_model(model_path: str):
    """Load a model bundle once per process (per worker, for process pools and Dask workers)."""
    from classify.model import load_model

    use_system_arrow_allocator()  # every worker passes here before its first chunk
    return load_model(shipped_models.get(model_path, model_path))


def model_fingerprint(model_path) -> str:
    """The sha256 of a bundle's metadata, which lists the sha256 of every file it loads."""
    from classify.bundle import METADATA_FILE, file_sha256

    path = Path(model_path)
    if not (path / METADATA_FILE).is_file():
        raise InputError(path, f"not a model bundle (no {METADATA_FILE})")
    return file_sha256(path / METADATA_FILE)


def tag_chunk(model_path: str, posts: pd.DataFrame, include_text: bool = True) -> pd.DataFrame:
    """Tag one chunk of posts with the (cached) model; what every engine runs per chunk."""
    return tag_frame(cached_model(model_path), posts, include_text=include_text)


def _serialise(tags: pd.DataFrame, fmt: str, themes: list[str]) -> bytes:
    """A tagged chunk in the output format, exactly as the output writer writes it."""
    with tempfile.TemporaryDirectory(prefix="classify-part-") as folder:
        path = Path(folder) / f"part{PART_EXTENSIONS[fmt]}"
        with TableWriter(path, schema=tag_arrow_schema(tags, themes)) as writer:
            writer.write(tags)
        return path.read_bytes()


def _tag_to_part(model_path: str, posts: pd.DataFrame, fmt: str, include_text: bool,
                 posts_read: int) -> tuple[bytes, dict]:
    tags = tag_chunk(model_path, posts, include_text)
    themes = cached_model(model_path).themes_
    counted = TagSummary(output=Path())
    counted.add(tags)
    keys = chunk_keys(posts_read, tags)
    keys["theme_counts"] = {theme: counted.theme_counts.get(theme, 0) for theme in [*themes, NO_THEME]}
    return _serialise(tags, fmt, themes), keys


# ---------------------------------------------------------------- engines


class _InlineExecutor(futures.Executor):
    """Runs each task at submit time in this process: one job needs no pool and no copying."""

    def submit(self, fn, /, *args, **kwargs):
        future: futures.Future = futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # handed over through the future, as a pool would
            future.set_exception(error)
        return future


@dataclass
class Engine:
    """An executor and how many tasks it runs at once."""

    executor: futures.Executor
    workers: int


@contextlib.contextmanager
def _engine(engine: str, jobs: int, model_path: str, scheduler: str | None) -> Iterator[Engine]:
    if engine == "dask":
        from classify.distributed import dask_engine

        with dask_engine(scheduler, model_path) as dask:
            yield dask
    elif jobs == 1:
        cached_model(model_path)
        yield Engine(_InlineExecutor(), 1)
    else:
        with warm_process_pool(jobs, cached_model, model_path) as pool:
            yield Engine(pool, jobs)


# ---------------------------------------------------------------- progress


def _estimate_posts(paths: list[Path]) -> int | None:
    """Posts to expect, for the progress bar's ETA: lines of line-based inputs, else None (rate only)."""
    total = 0
    for path in paths:
        if path.is_dir() or path.suffix.lower() not in (".jsonl", ".ndjson", ".csv", ".tsv"):
            return None
        with open(path, "rb") as handle:
            total += sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 22), b""))
    return total


def _progress_bar(enabled: bool, paths: list[Path]):
    from tqdm import tqdm

    return tqdm(total=_estimate_posts(paths) if enabled else None, unit=" posts", unit_scale=True,
                disable=not enabled, smoothing=0.1, mininterval=0.5, dynamic_ncols=True, desc="tagging")


# ---------------------------------------------------------------- the run


def _run(engine: Engine, inputs: list[tuple[Path, str]], work: Path, fmt: str, chunk_size: int, read_options: dict,
         model_path: str, include_text: bool, known: SinceLastState | None, bar, stats) -> int:
    """Read the expanded inputs here, tag in the workers (at most two chunks per worker in flight); returns the
    chunk count."""
    from classify.ingest import post_chunks

    in_flight: dict[futures.Future, tuple[Path, int]] = {}

    def collect(done) -> None:
        for future in done:
            part, posts = in_flight.pop(future)
            write_part(part, *future.result())
            bar.update(posts)

    chunks = 0
    # Languages are identified by the workers (tag_frame does it for posts without a lang column):
    # this process reads for all of them and would otherwise cap the speed-up from more jobs.
    for index, posts in enumerate(post_chunks(inputs, chunk_size=chunk_size, languages=False, stats=stats,
                                              **read_options)):
        chunks += 1
        part = part_path(work, index, fmt)
        if part.is_file():
            bar.update(len(posts))
            continue
        fresh = (known.new_posts(posts) if known is not None else posts).drop(columns="lang")
        future = engine.executor.submit(_tag_to_part, model_path, fresh, fmt, include_text, len(posts))
        in_flight[future] = (part, len(posts))
        while len(in_flight) >= 2 * engine.workers:
            collect(futures.wait(in_flight, return_when=futures.FIRST_COMPLETED).done)
    collect(futures.wait(in_flight).done if in_flight else ())
    return chunks


def _assemble(output: Path, sources: list[Path], fmt: str) -> None:
    """Join part files (the previous output first, for since-last) into ``output``, atomically."""
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
                if table.num_rows:
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
              progress: bool = False, input_format: str | None = None, skip_bad: bool = False,
              chat_types: str | None = None, channel: str | None = None, include_text: bool = True) -> BatchResult:
    """Tag every post of ``inputs`` (files, export folders, folders of files, globs) into ``output``.

    ``output`` is a .jsonl, .csv or .parquet file. ``jobs`` worker processes with
    the local engine; ``engine="dask"`` uses the workers of the Dask ``scheduler``.
    ``input_format``, ``skip_bad``, ``chat_types`` and ``channel`` are passed to
    :func:`classify.ingest.post_chunks`, ``include_text`` to :func:`classify.tag.tag_frame`.
    See the module docstring for ``resume`` and ``since_last``. Raises ``InputError``
    for bad input, naming the file.
    """
    from classify.ingest import IngestStats
    from classify.ingest.detect import expand_inputs, folders_read_file_by_file

    started = time.perf_counter()
    use_system_arrow_allocator()
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "dask" and not scheduler:
        raise ValueError("the dask engine needs a scheduler address (e.g. tcp://10.0.0.5:8786)")
    if jobs < 1 or chunk_size < 1:
        raise ValueError("jobs and chunk_size must be at least 1")
    output = Path(output).resolve()
    fmt = checked_output_format(output)
    model_path = str(Path(model_path).resolve())
    model_sha = model_fingerprint(model_path)
    inputs = [inputs] if isinstance(inputs, (str, Path)) else list(inputs)
    expanded = [(path.resolve(), name) for path, name in expand_inputs(inputs, input_format)]
    paths = [path for path, _ in expanded]
    refuse_output_among_inputs(output, paths, folders_read_file_by_file(inputs, input_format))

    state_file = state_path_for(output)
    known, baseline = None, None
    if since_last and state_file.is_file():
        known = SinceLastState.load(state_file)
        if known.model_sha256 != model_sha:
            raise InputError(state_file, "the output was tagged with another model; "
                                         "delete this state file to tag everything again")
        if not output.is_file() or sha256_of(output) != known.output_sha256:
            raise InputError(output, "the output is missing or changed since its since-last state was written; "
                                     f"delete {state_file.name} to tag everything again")
        if known.include_text is not None and known.include_text != include_text:
            held, option = ("with", "without --no-text") if known.include_text else ("without", "with --no-text")
            raise InputError(output, f"its rows were tagged {held} the post texts; run {option} to append to it, "
                                     f"or delete {state_file.name} to tag everything again")
        baseline = sha256_of(state_file)

    work = work_dir_for(output)
    read_options = {"format": input_format, "skip_bad": skip_bad, "chat_types": chat_types, "channel": channel}
    manifest = make_manifest(paths, model_sha256=model_sha, chunk_size=chunk_size, output_format=fmt,
                             options={**read_options, "include_text": include_text}, since_last_baseline=baseline)
    if resume and (work / "manifest.json").is_file():
        check_manifest(work, manifest)
    else:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        save_manifest(work, manifest)
    resumed = {part.name for part in work.glob("part-*") if not part.name.endswith(".keys.json")}

    stats = IngestStats()
    with _engine(engine, jobs, model_path, scheduler) as running, _progress_bar(progress, paths) as bar:
        chunks = _run(running, expanded, work, fmt, chunk_size, read_options, model_path, include_text, known, bar,
                      stats)
    if not chunks:  # no post at all: still a table with the tag columns (a Parquet file needs them)
        from classify.ingest import posts_frame

        write_part(part_path(work, 0, fmt), *_tag_to_part(model_path, posts_frame([]), fmt, include_text, 0))
        chunks = 1

    parts = [part_path(work, index, fmt) for index in range(chunks)]
    keys = [read_keys(part) for part in parts]
    _assemble(output, ([output] if known is not None else []) + parts, fmt)
    state = known if known is not None else SinceLastState(model_sha)
    state.include_text = include_text
    for chunk in keys:
        state.add(chunk)
    if since_last:
        state.save(state_file, sha256_of(output))
    else:  # a state left by an earlier --since-last run describes the output just replaced
        state_file.unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    tagged_now = sum(k["rows"] for part, k in zip(parts, keys) if part.name not in resumed)
    theme_counts: Counter = Counter()
    for chunk in keys:
        theme_counts.update(chunk.get("theme_counts", {}))  # update() keeps the themes no post has
    return BatchResult(output=output, posts_read=sum(k["posts"] for k in keys), posts_tagged=tagged_now,
                       chunks=len(parts), chunks_resumed=len(resumed & {part.name for part in parts}),
                       rows_written=state.rows, seconds=time.perf_counter() - started, ingest=stats.summary(),
                       theme_counts=dict(theme_counts), part_rows=sum(k["rows"] for k in keys))
