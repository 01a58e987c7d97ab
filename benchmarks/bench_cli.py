"""CLI start-up: `--help`, `--version`, `list`, a usage error and `train --help`, as subprocesses.

Ours: `python -m theory_check.cli ARGS` (what the console script runs). Baseline, in the same
process and interleaved: the same command preceded by the imports the CLI made at start-up
before it became lazy (commit 4671336: every command module imported the claims, figures, flow
and notes modules and rich at module level, so every command paid for all of them). Floor:
`python -c pass` (interpreter and site start-up, the editable-install finder included).
Medians over REPEATS runs after one warm-up, of the wall time and of the child's CPU time
(user + sys, from getrusage; less sensitive to the load of the shared machine).
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time

from _harness import report

REPEATS = 5
CASES: tuple[tuple[str, ...], ...] = (
    ("--help",), ("--version",), ("list",), ("verify", "--seed", "x"), ("train", "--help"))
OLD_IMPORTS = ("import theory_check.claims, theory_check.figures, theory_check.flow, "
               "theory_check.model, theory_check.notes, rich.console, rich.progress, rich.table")
RUN = ("import sys; from theory_check.cli import main\n"
       "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass")


def _timed(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    py = sys.executable
    variants = {
        "ours": lambda args: [py, "-m", "theory_check.cli", *args],
        "old": lambda args: [py, "-c", f"{OLD_IMPORTS}\n{RUN}", *args],
    }
    floor = [_timed([py, "-c", "pass"]) for _ in range(REPEATS)]
    rows = []
    for args in CASES:
        samples: dict[str, list[tuple[float, float]]] = {"ours": [], "old": []}
        for make in variants.values():
            _timed(make(args))  # warm-up (file cache, .pyc)
        for _ in range(REPEATS):
            for name, make in variants.items():  # interleaved: load changes hit both alike
                samples[name].append(_timed(make(args)))
        med = {n: (statistics.median(w for w, _ in s), statistics.median(c for _, c in s))
               for n, s in samples.items()}
        rows.append({"command": " ".join(args), "ours wall (s)": med["ours"][0],
                     "ours cpu (s)": med["ours"][1], "old wall (s)": med["old"][0],
                     "old cpu (s)": med["old"][1], "speed-up (wall)": med["old"][0] / med["ours"][0]})
    rows.append({"command": "python -c pass (floor)",
                 "ours wall (s)": statistics.median(w for w, _ in floor),
                 "ours cpu (s)": statistics.median(c for _, c in floor),
                 "old wall (s)": float("nan"), "old cpu (s)": float("nan"), "speed-up (wall)": float("nan")})
    report("cli_startup", rows, repeats=REPEATS, baseline="imports of the CLI at commit 4671336")


if __name__ == "__main__":
    main()
