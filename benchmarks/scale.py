"""Scale benchmark: batch tagging of a large invented archive, end to end, side by side.

Generates (once, cached in ``--workdir``) an archive of ``--posts`` posts
(default 1,000,000) over 40 channels with ``benchmarks/synthetic_archive.py``,
then runs each configuration in a fresh process and reports posts/s end to end
(reading, language id, tagging, writing), wall time, CPU time and the peak
memory of the whole process tree (sampled every 0.2 s; PSS, i.e. shared pages
counted once, and the RSS sum, which counts shared libraries once per process):

- ``tag_files``: the single-process streaming tagger (``classify.tag.tag_files``), the baseline;
- ``jobs=1`` and ``jobs=2``: ``classify.batch.tag_batch`` with the local engine;
- ``dask``: ``tag_batch`` on a Dask ``LocalCluster`` on loopback (2 worker processes, 1 thread each),
  started inside the measured process, so its start-up counts;
- ``jobs=1`` on a tenth of the archive: memory must not grow with the input.

Targets (issue 7): peak memory < 1 GB at any input size; jobs=2 >= 1.7x jobs=1;
Dask local run within 25% of the single-machine throughput, judged against jobs=2 (the
same two cores; dask / jobs=1 is printed too). The Dask cluster uses
``classify.distributed.CLUSTER_CONFIG``.

    python benchmarks/scale.py                       # 1,000,000 posts
    python benchmarks/scale.py --posts 100000 --model models/default
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from synthetic_archive import generate_archive  # noqa: E402

TARGET_MEMORY_BYTES = 1 << 30
TARGET_SPEEDUP = 1.7
TARGET_DASK_RATIO = 0.75


def _run_config(config: dict) -> None:
    """Child process: run one configuration and print its result as JSON on the last line."""
    started = time.perf_counter()
    if config["kind"] == "tag_files":
        from classify.model import load_model
        from classify.tag import tag_files

        tag_files(config["inputs"], config["output"], model=load_model(config["model"]),
                  chunk_size=config["chunk_size"], progress=False)
    elif config["kind"] == "dask":
        import dask
        from distributed import LocalCluster

        from classify.batch import tag_batch
        from classify.distributed import CLUSTER_CONFIG

        # The settings docs/scaling.md gives for tagging workers (malloc, profiler). The scheduler
        # runs in this process; the workers are two spawned processes that load the model once each.
        dask.config.set(CLUSTER_CONFIG)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            tag_batch(config["inputs"], config["output"], model_path=config["model"], engine="dask",
                      scheduler=cluster.scheduler_address, chunk_size=config["chunk_size"])
    else:
        from classify.batch import tag_batch

        tag_batch(config["inputs"], config["output"], model_path=config["model"], jobs=config["jobs"],
                  chunk_size=config["chunk_size"])
    print(json.dumps({"seconds": time.perf_counter() - started}))


def _measure(config: dict) -> dict:
    """Run a configuration in a fresh process; sample the memory of its whole process tree.

    ``peak_pss`` sums the proportional set size of every process (shared library
    pages counted once overall): the RAM the run really holds. ``peak_rss`` sums
    resident sizes, counting shared pages once per process (an upper bound).
    ``cpu_seconds`` is user + system time of the tree.
    """
    import resource

    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    process = subprocess.Popen([sys.executable, __file__, "--run-config", json.dumps(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    root = psutil.Process(process.pid)
    peak_rss = peak_pss = 0
    while process.poll() is None:
        rss = pss = 0
        try:
            for member in [root, *root.children(recursive=True)]:
                info = member.memory_full_info()
                rss += info.rss
                pss += info.pss
        except psutil.Error:
            pass
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{config['name']} failed:\n{stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"seconds": json.loads(stdout.strip().splitlines()[-1])["seconds"], "peak_rss": peak_rss,
            "peak_pss": peak_pss, "cpu_seconds": cpu, "load": (load + os.getloadavg()[0]) / 2}


def _same_output(first: Path, second: Path) -> bool:
    return first.read_bytes() == second.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description="Batch tagging at scale: posts/s, peak memory, speed-ups.")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--model", default=str(HERE.parent / "models" / "default"))
    parser.add_argument("--chunk-size", type=int, default=1_000,
                        help="posts per chunk; memory per worker grows with it (5,000: about +100 MB per worker)")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "classify-scale"))
    parser.add_argument("--skip", nargs="*", default=[], help="configurations to leave out (tag_files, dask, ...)")
    parser.add_argument("--run-config", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_config:
        _run_config(json.loads(args.run_config))
        return

    work = Path(args.workdir)
    archive = work / f"archive-{args.posts}"
    if not (archive / "DONE").is_file():
        started = time.perf_counter()
        paths = generate_archive(archive, args.posts)
        (archive / "DONE").write_text("\n".join(path.name for path in paths))
        print(f"generated {args.posts:,} posts in {time.perf_counter() - started:.0f} s")
    small = work / f"archive-{args.posts // 10}"
    if not (small / "DONE").is_file():
        generate_archive(small, args.posts // 10)
        (small / "DONE").write_text("ok")
    size = sum(path.stat().st_size for path in archive.glob("*.jsonl"))
    print(f"archive: {args.posts:,} posts, 40 channels, {size / 1e6:.0f} MB of JSONL ({archive})")

    inputs = [str(archive / "*.jsonl")]
    base = {"model": args.model, "chunk_size": args.chunk_size, "inputs": inputs}
    configs = [
        {"name": "tag_files", "kind": "tag_files", **base, "inputs": sorted(map(str, archive.glob("*.jsonl")))},
        {"name": "jobs=1", "kind": "batch", "jobs": 1, **base},
        {"name": "jobs=2", "kind": "batch", "jobs": 2, **base},
        {"name": "dask", "kind": "dask", **base},
        {"name": f"jobs=1 ({args.posts // 10:,} posts)", "kind": "batch", "jobs": 1, **base,
         "inputs": [str(small / "*.jsonl")]},
    ]
    results = {}
    for config in configs:
        if config["name"].split(" ")[0] in args.skip or config["kind"] in args.skip:
            continue
        config["output"] = str(work / f"tags-{config['name'].split(' ')[0].replace('=', '')}"
                                      f"{'-small' if '(' in config['name'] else ''}.jsonl")
        print(f"running {config['name']} ...", flush=True)
        results[config["name"]] = _measure(config)

    print()
    print(f"{'configuration':<24}{'seconds':>9}{'posts/s':>9}{'CPU s':>8}{'PSS MB':>8}{'RSS MB':>8}{'load':>6}")
    for name, result in results.items():
        posts = args.posts // 10 if "(" in name else args.posts
        result["rate"] = posts / result["seconds"]
        print(f"{name:<24}{result['seconds']:>9.1f}{result['rate']:>9,.0f}{result['cpu_seconds']:>8.0f}"
              f"{result['peak_pss'] / 1e6:>8.0f}{result['peak_rss'] / 1e6:>8.0f}{result['load']:>6.1f}")
    print(f"(load: the machine's 1-minute load average during the run, on {os.cpu_count()} cores; "
          "other processes running at the same time slow every configuration)")

    print()
    checks = []
    peak = max(result["peak_pss"] for result in results.values())
    checks.append(("peak memory (PSS) < 1 GB, all runs", f"{peak / 1e6:.0f} MB", peak < TARGET_MEMORY_BYTES))
    if "jobs=1" in results and "jobs=2" in results:
        speedup = results["jobs=2"]["rate"] / results["jobs=1"]["rate"]
        checks.append(("jobs=2 / jobs=1 >= 1.7x", f"{speedup:.2f}x", speedup >= TARGET_SPEEDUP))
    if "dask" in results and "jobs=2" in results:
        ratio = results["dask"]["rate"] / results["jobs=2"]["rate"]
        checks.append(("dask local / jobs=2 >= 0.75 (the target)", f"{ratio:.2f}", ratio >= TARGET_DASK_RATIO))
        cpu = results["jobs=2"]["cpu_seconds"] / results["dask"]["cpu_seconds"]
        checks.append(("CPU s of jobs=2 / CPU s of dask", f"{cpu:.2f}", None))
    if "dask" in results and "jobs=1" in results:
        ratio = results["dask"]["rate"] / results["jobs=1"]["rate"]
        checks.append(("dask local / jobs=1", f"{ratio:.2f}x", None))
    if "tag_files" in results and "jobs=1" in results:
        ratio = results["jobs=1"]["rate"] / results["tag_files"]["rate"]
        checks.append(("jobs=1 / tag_files (overhead of parts)", f"{ratio:.2f}", None))
    outputs = {name: work / f"tags-{name.replace('=', '')}.jsonl" for name in ("jobs=1", "jobs=2", "dask")
               if name in results}
    if len(outputs) > 1:
        reference = next(iter(outputs.values()))
        same = all(_same_output(reference, path) for path in outputs.values())
        checks.append(("outputs identical across engines", "yes" if same else "NO", same))
    for label, value, passed in checks:
        verdict = "" if passed is None else ("PASS" if passed else "FAIL")
        print(f"{label:<42}{value:>12}  {verdict}")


if __name__ == "__main__":
    main()
