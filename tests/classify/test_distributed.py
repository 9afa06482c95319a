import concurrent.futures
import pickle

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed", reason="needs Dask: pip install 'telegram-classify[dask]'")
dd = pytest.importorskip("dask.dataframe", reason="needs Dask: pip install 'telegram-classify[dask]'")

from classify.batch import cached_model, tag_batch  # noqa: E402
from classify.distributed import ship_model, tag_dask  # noqa: E402
from classify.errors import InputError  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    import dask

    from classify.distributed import CLUSTER_CONFIG

    with dask.config.set(CLUSTER_CONFIG), distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def posts(small_archive) -> pd.DataFrame:
    from classify.ingest import read_posts

    return read_posts([small_archive])


def _model_loads() -> int:
    return cached_model.cache_info().misses


def _shipped_models() -> dict:
    from classify import batch  # looked up on the worker, not copied from here

    return dict(batch.shipped_models)


def test_tag_dask_gives_the_rows_of_tag_frame_and_loads_the_model_once_per_worker(cluster, tagging_bundle, posts):
    from classify.model import load_model
    from classify.tag import tag_frame

    with distributed.Client(cluster) as client:
        client.run(cached_model.cache_clear)
        tags = tag_dask(dd.from_pandas(posts, npartitions=8), tagging_bundle)
        assert tags.npartitions == 8
        result = tags.compute()
        loads = client.run(_model_loads)
    expected = tag_frame(load_model(tagging_bundle), posts)
    pd.testing.assert_frame_equal(result.reset_index(drop=True), expected.reset_index(drop=True))
    assert list(loads.values()) == [1, 1], "each worker process loads the model once, not once per partition"


def test_the_dask_engine_writes_the_bytes_of_a_local_run(cluster, tagging_bundle, small_archive, tmp_path):
    local = tag_batch([small_archive], tmp_path / "local.jsonl", model_path=tagging_bundle, chunk_size=100)
    on_dask = tag_batch([small_archive], tmp_path / "dask.jsonl", model_path=tagging_bundle, chunk_size=100,
                        engine="dask", scheduler=cluster.scheduler_address)
    assert on_dask.output.read_bytes() == local.output.read_bytes()
    assert on_dask.rows_written == 1200


class _TaskSpecSizes(distributed.diagnostics.plugin.SchedulerPlugin):
    """Records the pickled size of every task the scheduler hands to a worker."""

    def __init__(self, scheduler):
        self.scheduler = scheduler
        self.sizes: dict = {}

    def transition(self, key, start, finish, *args, **kwargs):
        if finish == "processing":
            self.sizes[key] = len(pickle.dumps(self.scheduler.tasks[key].run_spec))


def test_the_dask_engine_sends_the_posts_to_the_workers_not_through_the_scheduler(cluster, tagging_bundle,
                                                                                  small_archive, tmp_path):
    from classify.ingest import post_chunks

    chunks = [len(pickle.dumps(chunk)) for chunk in post_chunks([small_archive], chunk_size=100)]
    recorder = _TaskSpecSizes(cluster.scheduler)
    cluster.scheduler.add_plugin(recorder, name="task-spec-sizes")
    try:
        tag_batch([small_archive], tmp_path / "dask.jsonl", model_path=tagging_bundle, chunk_size=100,
                  engine="dask", scheduler=cluster.scheduler_address)
    finally:
        cluster.scheduler.remove_plugin(name="task-spec-sizes")
    assert len(recorder.sizes) == len(chunks), "one task per chunk"
    assert max(recorder.sizes.values()) < min(chunks) / 10, "a task names its chunk; the chunk itself is not in it"


def test_ship_model_gives_each_worker_its_own_copy_of_the_bundle(cluster, tagging_bundle):
    with distributed.Client(cluster) as client:
        key = ship_model(client, tagging_bundle)
        copies = client.run(_shipped_models)
    assert key == str(tagging_bundle.resolve())
    folders = [found[key] for found in copies.values()]
    assert len(set(folders)) == 2 and all(folder != key for folder in folders)


def test_an_unreachable_scheduler_is_a_clear_error(tagging_bundle, small_archive, tmp_path):
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        tag_batch([small_archive], tmp_path / "x.jsonl", model_path=tagging_bundle, engine="dask",
                  scheduler="tcp://127.0.0.1:9")


def test_a_chunk_lost_with_its_worker_is_a_clear_error_that_points_to_resume(cluster):
    from classify.distributed import _DirectExecutor

    with distributed.Client(cluster) as client:
        executor = _DirectExecutor(client, cluster.scheduler_address)
        task = concurrent.futures.Future()
        outcome = executor._explain_lost_chunks(task)
        task.cancel()
    error = outcome.exception(timeout=5)
    assert isinstance(error, InputError) and "--resume" in str(error)
