"""Process pools whose workers start with what they need already loaded (a model, a language model)."""
from __future__ import annotations

import contextlib
import multiprocessing
import sys
from concurrent import futures
from typing import Callable, Iterator


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
