"""Benchmark harness: medians over repeats, ratios against a named baseline, in one process."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from theory_check.provenance import provenance

RESULTS = Path(__file__).parent / "results"


def median_seconds(fn: Callable[[], object], *, repeats: int = 7, warmup: int = 1) -> float:
    """Median wall time of `fn()` over `repeats` runs after `warmup` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def report(name: str, rows: list[dict], **meta: object) -> None:
    """Print rows as a table and write them with provenance to results/<name>.json."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(
        {"benchmark": name, "rows": rows, "provenance": provenance(**meta)}, indent=2))
    if rows:
        cols = list(rows[0])
        print(f"\n## {name}")
        print(" | ".join(cols))
        for r in rows:
            print(" | ".join(f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in cols))
