"""Tagging on a Dask cluster: the same per-chunk tagging as :mod:`classify.batch`, run by Dask workers.

Two ways in:

- :func:`tag_dask` takes a Dask DataFrame of posts (the post schema, see
  ``classify.ingest.schema``) and returns a lazy Dask DataFrame of tags, one
  ``map_partitions`` call; each worker process loads the model once.
- ``classify tag --engine dask --scheduler tcp://HOST:8786`` (:func:`classify.batch.tag_batch`)
  reads the inputs on the client and sends chunks straight to the workers (not
  through the scheduler), keeping the work directory, ``--resume`` and
  ``--since-last`` of the local engine.

Workers need ``telegram-classify`` installed. The model bundle does not need to
be on their disks: :func:`ship_model` sends its files to every worker (also to
workers that join later) once, through a worker plugin.

Example::

    >>> import dask.dataframe as dd
    >>> from distributed import Client
    >>> from classify.distributed import ship_model, tag_dask
    >>> client = Client("tcp://10.0.0.5:8786")                      # doctest: +SKIP
    >>> ship_model(client, "models/default")                          # doctest: +SKIP
    >>> posts = dd.read_parquet("s3://archive/posts/")                # doctest: +SKIP
    >>> tag_dask(posts, "models/default").to_parquet("s3://archive/tags/")  # doctest: +SKIP
"""
from __future__ import annotations

import concurrent.futures as futures
import contextlib
import hashlib
from pathlib import Path
from typing import Iterator

from classify.batch import tag_chunk
from classify.errors import InputError

try:
    from distributed import WorkerPlugin as _WorkerPlugin
except ImportError:  # Dask is optional: the functions below say how to install it
    _WorkerPlugin = object

_INSTALL_HINT = "the dask engine needs Dask: pip install 'telegram-classify[dask]'"

#: Dask settings for the processes that start a tagging cluster (``dask.config.set(CLUSTER_CONFIG)``
#: before ``LocalCluster``, or a Dask config file where ``dask scheduler`` / ``dask worker`` run;
#: see docs/scaling.md). Dask's default ``MALLOC_TRIM_THRESHOLD_`` also switches off glibc's
#: dynamic mmap threshold, so every large array of the tagger is mapped and zero-filled anew:
#: about 25 % more CPU per post, in system time. One malloc arena instead of one per thread keeps
#: a worker about 50 MB smaller. The statistical profiler, the 20 ms event-loop tick, the 100 ms
#: memory monitor and the 500 ms system monitor are dashboard and safety aids that cost an idle
#: local cluster 4 % of a core in the scheduler's process and 2 % per worker; a batch job that
#: runs for minutes pays that throughout.
CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.nanny.pre-spawn-environ.MALLOC_ARENA_MAX": 1,
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def _require_dask():
    try:
        import dask.dataframe  # noqa: F401  (tag_dask needs it; fail here with the install hint)
        import distributed
    except ImportError as error:
        raise ImportError(_INSTALL_HINT) from error
    return distributed


def _tag_partition(posts, model_path: str, include_text: bool):
    return tag_chunk(model_path, posts, include_text)


def tag_dask(posts, model_path, *, include_text: bool = True, meta=None):
    """Tag a Dask DataFrame of posts; returns a lazy Dask DataFrame of tags (one partition per posts partition).

    ``meta`` (an empty DataFrame with the tag columns) is worked out by tagging
    an empty frame when not given. Partition order and row order are kept.
    """
    _require_dask()
    model_path = str(Path(model_path).resolve())
    if meta is None:
        meta = tag_chunk(model_path, posts._meta, include_text)
    return posts.map_partitions(_tag_partition, model_path, include_text, meta=meta)


def _bundle_files(model_path: Path) -> dict[str, bytes]:
    return {str(path.relative_to(model_path)): path.read_bytes()
            for path in sorted(model_path.rglob("*")) if path.is_file()}


class ModelBundlePlugin(_WorkerPlugin):
    """Carries a bundle's files; on each worker it writes them locally and loads the model once.

    Defined at module level so Dask pickles it by reference and ``setup`` updates
    the worker's own :data:`classify.batch.shipped_models`.
    """

    def __init__(self, path: str, files: dict[str, bytes]):
        self.path = path
        self.files = files
        self.name = "classify-model-" + hashlib.sha256(path.encode()).hexdigest()[:16]

    def setup(self, worker):
        from classify import batch

        folder = Path(worker.local_directory) / self.name
        for relative, data in self.files.items():
            target = folder / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        batch.shipped_models[self.path] = str(folder)
        batch.cached_model.cache_clear()
        batch.cached_model(self.path)


def ship_model(client, model_path) -> str:
    """Send a model bundle to every worker of ``client`` (and to workers that join later); load it there once.

    Returns the resolved bundle path, the key the tasks use to find the model.
    """
    _require_dask()
    model_path = str(Path(model_path).resolve())
    plugin = ModelBundlePlugin(model_path, _bundle_files(Path(model_path)))
    client.register_plugin(plugin, name=plugin.name)
    return model_path


class _DirectExecutor(futures.Executor):
    """Runs tasks on the workers; each chunk of posts goes straight to a worker, not through the scheduler.

    Passed in a task, a chunk would be part of the task graph: the scheduler
    would unpickle and re-pickle every post and (distributed 2026.8) keep
    about 2 KB per post after the task was done, in its own process.
    Scattered directly, the scheduler only learns where the chunk is; the
    task runs there and the chunk is dropped with it. Results come straight
    from the workers too (``direct_to_workers``).
    """

    def __init__(self, client, scheduler: str):
        self.client = client
        self.scheduler = scheduler
        self.executor = client.get_executor(pure=False)

    def submit(self, fn, /, *args, **kwargs):
        import pandas as pd

        try:
            args = [self.client.scatter(arg, direct=True, hash=False) if isinstance(arg, pd.DataFrame) else arg
                    for arg in args]
        except OSError as error:  # the worker chosen for the chunk went away
            raise self._lost_worker(error) from None
        return self._explain_lost_chunks(self.executor.submit(fn, *args, **kwargs))

    def _lost_worker(self, detail) -> InputError:
        return InputError(self.scheduler, f"a Dask worker left with chunks it was holding ({detail}); "
                                          "run again with --resume to tag only the unfinished chunks")

    def _explain_lost_chunks(self, task: futures.Future) -> futures.Future:
        """A chunk lost with its worker cancels the task: say so, and how to go on, instead of CancelledError."""
        outcome: futures.Future = futures.Future()

        def settle(done: futures.Future) -> None:
            if done.cancelled():
                outcome.set_exception(self._lost_worker("its task was cancelled"))
            elif done.exception() is not None:
                outcome.set_exception(done.exception())
            else:
                outcome.set_result(done.result())

        task.add_done_callback(settle)
        return outcome


@contextlib.contextmanager
def dask_engine(scheduler: str, model_path: str) -> Iterator:
    """Connect to ``scheduler`` and ship the model; yield a :class:`classify.batch.Engine` for its workers."""
    from classify.batch import Engine

    distributed = _require_dask()
    try:
        client = distributed.Client(scheduler, timeout="20s", direct_to_workers=True)
    except OSError as error:
        raise InputError(scheduler, f"cannot reach the Dask scheduler ({error})") from None
    with client:
        ship_model(client, model_path)
        threads = sum(client.nthreads().values())
        if not threads:
            raise InputError(scheduler, "the Dask scheduler has no workers")
        yield Engine(_DirectExecutor(client, scheduler), threads)
