"""Sweep scaling: a CPU-bound grid of tanh training tasks on a Dask LocalCluster, 2 workers vs 1.

The clusters are what `theory-check sweep --scheduler local-dask` starts (`open_executor`):
single-threaded worker processes (Dask's nanny sets OMP/OPENBLAS/MKL threads to 1), so the
ratio measures task parallelism, not BLAS threading. Cluster start-up is not timed: the
same clusters run every repeat, each into a fresh output file, alternating 1 and 2 workers.
Also timed: the same grid run serially in this process through a one-thread executor (what
the 1-worker cluster should match, minus Dask's overhead).
"""

import concurrent.futures as cf
import contextlib
import itertools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from _harness import median_seconds, report

N_TASKS = 8
REPEATS = 5


def main() -> None:
    from theory_check.sweep import open_executor, parse_config, run_sweep

    config = parse_config({
        "teacher": {"atoms": [0.9]},
        "grid": {"model": "tanh", "d": 20, "k": 8, "n_train": 200, "steps": 1500, "lr": 0.1,
                 "init_scale": [0.1, 1.0], "seed": list(range(N_TASKS // 2)), "horizon": 50},
    }, source="bench_sweep")
    assert len(config.tasks()) == N_TASKS
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    counter = itertools.count()

    task_seconds: dict[int, list[float]] = {1: [], 2: []}

    def run(executor: cf.Executor, workers: int = 0) -> None:
        out = tmp / f"r{next(counter)}.jsonl"
        s = run_sweep(config, out, executor=executor, progress=False)
        assert s.completed == N_TASKS and not s.failed, s.failed
        if workers:  # Σ of the tasks' own run times, to compare with the wall time
            task_seconds[workers].append(sum(json.loads(line)["seconds"]
                                             for line in out.read_text().splitlines()))

    # Both clusters stay up and the repeats alternate 1, 2, 1, 2, … so that the load other
    # users put on the machine drifts equally over both; ratios are taken per pair.
    with cf.ThreadPoolExecutor(1) as serial:
        t_serial = median_seconds(lambda: run(serial), repeats=REPEATS)
    with contextlib.ExitStack() as stack:
        executors = {}
        for n in (1, 2):
            executors[n] = stack.enter_context(open_executor("local-dask", workers=n))
            run(executors[n])  # warm-up: imports in the workers (not recorded)
        pairs = []
        for _ in range(REPEATS):
            t1 = timed(lambda: run(executors[1], 1))
            t2 = timed(lambda: run(executors[2], 2))
            pairs.append((t1, t2))
    t1s, t2s = [p[0] for p in pairs], [p[1] for p in pairs]
    # concurrency = Σ task run times / wall time: ≈ workers when the tasks really overlap; if
    # it is ≈ 2 while the speed-up is not, the cores were busy with other people's work.
    conc = {n: statistics.median([c / w for c, w in zip(task_seconds[n], ts)])
            for n, ts in ((1, t1s), (2, t2s))}
    rows = [
        {"executor": "serial (this process)", "tasks": N_TASKS, "median_s": t_serial,
         "speedup_vs_1_worker": statistics.median(t1s) / t_serial, "concurrency": 1.0},
        {"executor": "dask 1 worker", "tasks": N_TASKS, "median_s": statistics.median(t1s),
         "speedup_vs_1_worker": 1.0, "concurrency": conc[1]},
        {"executor": "dask 2 workers", "tasks": N_TASKS, "median_s": statistics.median(t2s),
         "speedup_vs_1_worker": statistics.median([a / b for a, b in pairs]),
         "concurrency": conc[2]},
    ]
    report("sweep_scaling", rows, n_tasks=N_TASKS, repeats=REPEATS, cpu_count=os.cpu_count(),
           load_average=os.getloadavg(), pairs=pairs)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":  # Dask's worker processes (spawn) re-import the main module
    main()
