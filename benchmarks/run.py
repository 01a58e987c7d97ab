"""Run every benchmarks/bench_*.py (or those named on the command line), one process each."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

here = Path(__file__).parent
sys.path.insert(0, str(here))
# Guarded: benchmarks that start worker processes (spawn) re-import this main module.
if __name__ == "__main__":
    names = sys.argv[1:] or sorted(p.stem for p in here.glob("bench_*.py"))
    for name in names:
        print(f"# {name}", flush=True)
        runpy.run_path(str(here / f"{name}.py"), run_name="__main__")
