"""Sweep scaling: a CPU-bound grid of tanh training tasks on a Dask LocalCluster, 2 workers vs 1.

Each worker is one single-threaded process (Dask's nanny sets OMP/OPENBLAS/MKL threads to 1),
so the ratio measures task parallelism, not BLAS threading. Cluster start-up is not timed: the
same cluster runs every repeat, each into a fresh output file. Also timed: the same grid run
serially in this process (the baseline the 1-worker cluster should match, minus overhead).
"""

import concurrent.futures as cf
import os
import tempfile
from pathlib import Path

from _harness import median_seconds, report
from distributed import Client, LocalCluster

from theory_check.sweep import parse_config, run_sweep

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # only affects the serial baseline if set before numpy loads

N_TASKS = 8
config = parse_config({
    "teacher": {"atoms": [0.9]},
    "grid": {"model": "tanh", "d": 20, "k": 8, "n_train": 200, "steps": 500, "lr": 0.1,
             "init_scale": [0.1, 1.0], "seed": list(range(N_TASKS // 2)), "horizon": 50},
}, source="bench_sweep")
assert len(config.tasks()) == N_TASKS
tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
counter = iter(range(10**6))


def run(executor: cf.Executor) -> None:
    s = run_sweep(config, tmp / f"r{next(counter)}.jsonl", executor=executor, progress=False)
    assert s.completed == N_TASKS and not s.failed, s.failed


REPEATS = 3
times = {}
with cf.ThreadPoolExecutor(1) as serial:
    times["serial (1 thread, this process)"] = median_seconds(lambda: run(serial), repeats=REPEATS)
for n in (1, 2):
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        ex = client.get_executor()
        times[f"dask {n} worker(s)"] = median_seconds(lambda ex=ex: run(ex), repeats=REPEATS)

base = times["dask 1 worker(s)"]
rows = [{"executor": name, "tasks": N_TASKS, "median_s": t, "speedup_vs_1_worker": base / t}
        for name, t in times.items()]
report("sweep_scaling", rows, n_tasks=N_TASKS, repeats=REPEATS, cpu_count=os.cpu_count())
