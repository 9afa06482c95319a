import os

from classify.workers import warm_process_pool

_loaded = []


def _load(value):  # cached, as the contract asks
    if value not in _loaded:
        _loaded.append(value)


def _state():
    return os.getpid(), list(_loaded)


def test_workers_run_the_loader_once_and_are_other_processes():
    with warm_process_pool(2, _load, "model") as pool:
        results = [pool.submit(_state).result() for _ in range(4)]
    assert all(pid != os.getpid() for pid, _ in results)
    # forked from this process (which loaded first) or spawned: either way each worker holds it once
    assert all(state == ["model"] for _, state in results)


def test_without_a_loader_nothing_is_loaded():
    _loaded.clear()
    with warm_process_pool(1) as pool:
        assert pool.submit(_state).result()[1] == []


def _arrow_pool_after_choosing(environment: dict) -> str:
    import subprocess
    import sys

    code = ("import pyarrow; from classify.workers import use_system_arrow_allocator; "
            "use_system_arrow_allocator(); print(pyarrow.default_memory_pool().backend_name)")
    env = {key: value for key, value in os.environ.items() if key != "ARROW_DEFAULT_MEMORY_POOL"}
    completed = subprocess.run([sys.executable, "-c", code], env={**env, **environment},
                               capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def test_arrow_buffers_come_from_the_system_allocator_unless_the_user_chose_a_pool():
    assert _arrow_pool_after_choosing({}) == "system"
    assert _arrow_pool_after_choosing({"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}) == "mimalloc"
