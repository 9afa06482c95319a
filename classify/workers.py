"""Process pools whose workers start with what they need already loaded (a model, a language model)."""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from concurrent import futures
from typing import Callable, Iterator


def use_system_arrow_allocator() -> None:
    """Allocate Arrow buffers (the storage of pandas' string columns) with the system allocator in this process.

    Arrow's bundled mimalloc keeps the pages it frees. On benchmarks/scale.py's Dask run that
    was 35 MB more in the reading process and 16 MB more per worker, for the same CPU time
    reading and tagging (measured side by side in one process). A pool chosen with
    ``ARROW_DEFAULT_MEMORY_POOL`` is left alone.
    """
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


@contextlib.contextmanager
def warm_process_pool(jobs: int, load: Callable | None = None, *args) -> Iterator[futures.ProcessPoolExecutor]:
    """``jobs`` worker processes that have run ``load(*args)``, started before this returns.

    On Linux ``load`` runs here first and the workers are forked from this process, so they
    share what it loaded copy-on-write (hundreds of MB less per worker than a fresh process).
    Elsewhere fork is unsafe, and each spawned worker runs ``load`` once. The workers start
    at once, while the caller has no other threads yet; on leaving, unstarted tasks are cancelled.
    ``load`` should be cached (e.g. ``functools.lru_cache``): forked workers call it again and must
    find what the parent loaded instead of loading it anew.
    """
    start = "fork" if sys.platform == "linux" else "spawn"
    if start == "fork" and load is not None:
        load(*args)
    with futures.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(start),
                                     initializer=load, initargs=args) as pool:
        pool.submit(int).result()
        try:
            yield pool
        finally:
            pool.shutdown(cancel_futures=True)
